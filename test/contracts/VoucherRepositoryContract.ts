import { expect, it, layer } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import type { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import { ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, TicketTypeId, UserId } from "../../src/domain/shared/Ids.ts"
import { Voucher, type VoucherId } from "../../src/domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../src/domain/vouchers/VoucherRepository.ts"
import { aSale, aStoredUser, holdOf, now, openOrder } from "./OrderRepositoryContract.ts"

/* Times are the caller's: both adapters run on the same fixed instants. */
const T0 = new Date("2027-03-01T12:00:00.000Z")
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000)

let n = 0
/** A voucher as the service would store it (a fresh event unless given). */
export const aVoucher = (fields: Partial<ConstructorParameters<typeof Voucher>[0]> = {}) => {
  n++
  return new Voucher({
    id: crypto.randomUUID() as VoucherId,
    eventId: crypto.randomUUID() as EventId,
    code: `CODE${String(n).padStart(8, "0")}${Math.random().toString(36).slice(2, 8).toUpperCase()}`,
    kind: "percent",
    value: 10,
    ticketTypeIds: [],
    validFrom: null,
    validUntil: null,
    maxRedemptions: 1,
    redeemed: 0,
    createdBy: crypto.randomUUID() as UserId,
    createdAt: at(n),
    ...fields
  })
}

const hold = () => crypto.randomUUID() as ReservationId

/** One contract, every adapter: what any VoucherRepository must do. */
export const voucherRepositoryContract = (name: string, layer: Layer.Layer<VoucherRepository>) =>
  it.layer(layer, { timeout: "60 seconds" })(`VoucherRepository contract: ${name}`, (it) => {
    it.effect("finds a voucher by event and code, as it was stored; another event's code is none", () =>
      Effect.gen(function* () {
        const vouchers = yield* VoucherRepository
        const voucher = aVoucher({
          kind: "fixed",
          value: 500,
          ticketTypeIds: [crypto.randomUUID() as TicketTypeId],
          validFrom: at(-60),
          validUntil: at(60),
          maxRedemptions: 3
        })
        expect(yield* vouchers.insertAll([voucher])).toBe(true)
        expect(Option.getOrThrow(yield* vouchers.findByCode(voucher.eventId, voucher.code))).toEqual(voucher)
        expect(Option.isNone(yield* vouchers.findByCode(crypto.randomUUID() as EventId, voucher.code))).toBe(true)
        expect(Option.isNone(yield* vouchers.findByCode(voucher.eventId, "NOSUCHCODE00"))).toBe(true)
      })
    )

    it.effect("stores a batch all or nothing: a code taken at the event refuses the whole batch", () =>
      Effect.gen(function* () {
        const vouchers = yield* VoucherRepository
        const eventId = crypto.randomUUID() as EventId
        const first = aVoucher({ eventId })
        expect(yield* vouchers.insertAll([first])).toBe(true)
        const fresh = aVoucher({ eventId })
        expect(yield* vouchers.insertAll([fresh, aVoucher({ eventId, code: first.code })])).toBe(false)
        expect((yield* vouchers.listForEvent(eventId)).map((v) => v.id)).toEqual([first.id])
        // The same code at another event is another voucher.
        expect(yield* vouchers.insertAll([aVoucher({ code: first.code })])).toBe(true)
      })
    )

    it.effect("lists an event's vouchers oldest first, with their redemption counts", () =>
      Effect.gen(function* () {
        const vouchers = yield* VoucherRepository
        const eventId = crypto.randomUUID() as EventId
        const older = aVoucher({ eventId, createdAt: at(-10), maxRedemptions: 5 })
        const newer = aVoucher({ eventId, createdAt: at(-5) })
        yield* vouchers.insertAll([newer, older])
        yield* vouchers.redeem(older.id, hold(), at(0))
        yield* vouchers.redeem(older.id, hold(), at(0))
        const listed = yield* vouchers.listForEvent(eventId)
        expect(listed.map((v) => [v.id, v.redeemed])).toEqual([
          [older.id, 2],
          [newer.id, 0]
        ])
      })
    )

    it.effect("never redeems more than the maximum; a hold's second redemption is the one it has", () =>
      Effect.gen(function* () {
        const vouchers = yield* VoucherRepository
        const voucher = aVoucher({ maxRedemptions: 2 })
        yield* vouchers.insertAll([voucher])
        const [a, b, c] = [hold(), hold(), hold()]
        expect(yield* vouchers.redeem(voucher.id, a, at(0))).toBe(true)
        expect(yield* vouchers.redeem(voucher.id, a, at(0))).toBe(true)
        expect(yield* vouchers.redeem(voucher.id, b, at(0))).toBe(true)
        expect(yield* vouchers.redeem(voucher.id, c, at(0))).toBe(false)
        expect(Option.getOrThrow(yield* vouchers.findByCode(voucher.eventId, voucher.code)).redeemed).toBe(2)
        expect(yield* vouchers.redeem(crypto.randomUUID() as VoucherId, hold(), at(0))).toBe(false)
      })
    )

    it.effect("concurrent holds take exactly the redemptions there are", () =>
      Effect.gen(function* () {
        const vouchers = yield* VoucherRepository
        const voucher = aVoucher({ maxRedemptions: 5 })
        yield* vouchers.insertAll([voucher])
        const taken = yield* Effect.forEach(
          Array.from({ length: 40 }, hold),
          (id) => vouchers.redeem(voucher.id, id, at(0)),
          { concurrency: 20 }
        )
        expect(taken.filter(Boolean)).toHaveLength(5)
        expect(Option.getOrThrow(yield* vouchers.findByCode(voucher.eventId, voucher.code)).redeemed).toBe(5)
      })
    )

    it.effect("gives back redemptions once: a used-up voucher can be redeemed again", () =>
      Effect.gen(function* () {
        const vouchers = yield* VoucherRepository
        const voucher = aVoucher({ maxRedemptions: 1 })
        yield* vouchers.insertAll([voucher])
        const first = hold()
        yield* vouchers.redeem(voucher.id, first, at(0))
        expect(yield* vouchers.redeem(voucher.id, hold(), at(0))).toBe(false)
        expect(yield* vouchers.giveBack([first, hold()])).toBe(1)
        expect(yield* vouchers.giveBack([first])).toBe(0)
        expect(yield* vouchers.giveBack([])).toBe(0)
        expect(Option.getOrThrow(yield* vouchers.findByCode(voucher.eventId, voucher.code)).redeemed).toBe(0)
        expect(yield* vouchers.redeem(voucher.id, hold(), at(1))).toBe(true)
      })
    )

    it.effect("totals an event's redemptions and the discount they gave", () =>
      Effect.gen(function* () {
        const vouchers = yield* VoucherRepository
        const eventId = crypto.randomUUID() as EventId
        const a = aVoucher({ eventId, maxRedemptions: 10 })
        const b = aVoucher({ eventId, kind: "fixed", value: 300 })
        yield* vouchers.insertAll([a, b])
        expect(yield* vouchers.totalsForEvent(eventId)).toEqual({ redemptions: 0, discountMinor: 0 })
        const [h1, h2, h3] = [hold(), hold(), hold()]
        yield* vouchers.redeem(a.id, h1, at(0))
        yield* vouchers.redeem(a.id, h2, at(0))
        yield* vouchers.redeem(b.id, h3, at(0))
        yield* vouchers.recordDiscount(h1, 250)
        yield* vouchers.recordDiscount(h3, 300)
        yield* vouchers.giveBack([h2])
        expect(yield* vouchers.totalsForEvent(eventId)).toEqual({ redemptions: 2, discountMinor: 550 })
      })
    )
  })

const redeemedOf = (voucher: Voucher) =>
  Effect.flatMap(VoucherRepository, (vouchers) => vouchers.findByCode(voucher.eventId, voucher.code)).pipe(
    Effect.map((found) => Option.getOrThrow(found).redeemed)
  )

/**
 * The redemption follows its hold (with the hold, order and catalog adapters of the same kind): a hold that ends
 * without an order, or an order cancelled before it is paid, gives its redemption back in the same step; a paid
 * order keeps it. (PostgreSQL: the triggers of 0020_vouchers.sql; in memory: the twins, through RedemptionReturn.)
 */
export const voucherGiveBackContract = (
  name: string,
  adapters: Layer.Layer<VoucherRepository | OrderRepository | ReservationRepository | EventRepository | UserRepository>
) =>
  layer(adapters, { timeout: "120 seconds", excludeTestServices: true })(
    `VoucherRepository contract, with holds and orders: ${name}`,
    (it) => {
      /** A sale, a voucher of it with one redemption, and a customer's hold that took it. */
      const redeemedHold = Effect.gen(function* () {
        const vouchers = yield* VoucherRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const voucher = aVoucher({ eventId: sale.event.id, maxRedemptions: 1 })
        yield* vouchers.insertAll([voucher])
        const held = yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 1 })
        expect(yield* vouchers.redeem(voucher.id, held.id, yield* now)).toBe(true)
        expect(yield* redeemedOf(voucher)).toBe(1)
        return { alice, sale, voucher, held }
      })

      it.effect("a released hold gives its redemption back: the used-up voucher can be redeemed again", () =>
        Effect.gen(function* () {
          const { voucher, held } = yield* redeemedHold
          expect(yield* (yield* ReservationRepository).end([held.id], "released")).toHaveLength(1)
          expect(yield* redeemedOf(voucher)).toBe(0)
          expect(yield* (yield* VoucherRepository).totalsForEvent(voucher.eventId)).toEqual({
            redemptions: 0,
            discountMinor: 0
          })
          expect(yield* (yield* VoucherRepository).redeem(voucher.id, hold(), yield* now)).toBe(true)
        })
      )

      it.effect("an expired hold gives its redemption back", () =>
        Effect.gen(function* () {
          const { voucher, held } = yield* redeemedHold
          expect(yield* (yield* ReservationRepository).end([held.id], "expired")).toHaveLength(1)
          expect(yield* redeemedOf(voucher)).toBe(0)
        })
      )

      it.effect("an order cancelled before it is paid gives its redemption back, its hold converted or not", () =>
        Effect.gen(function* () {
          const orders = yield* OrderRepository
          const open = yield* redeemedHold
          const opened = yield* openOrder(open.held.id, open.alice.id)
          yield* orders.cancel(opened.id, "payment_declined", yield* now)
          expect(yield* redeemedOf(open.voucher)).toBe(0)

          const claimed = yield* redeemedHold
          const order = yield* openOrder(claimed.held.id, claimed.alice.id)
          expect(yield* orders.claimUnits(order.id)).toEqual({ _tag: "Claimed" })
          yield* orders.cancel(order.id, "payment_declined", yield* now)
          expect(yield* redeemedOf(claimed.voucher)).toBe(0)
        })
      )

      it.effect("a paid order keeps its redemption: its hold converted, nothing ends it", () =>
        Effect.gen(function* () {
          const orders = yield* OrderRepository
          const { alice, voucher, held } = yield* redeemedHold
          const order = yield* openOrder(held.id, alice.id)
          expect(yield* orders.claimUnits(order.id)).toEqual({ _tag: "Claimed" })
          yield* orders.confirm(order.id, yield* now)
          expect(yield* (yield* ReservationRepository).end([held.id], "released")).toHaveLength(0)
          yield* orders.cancel(order.id, "payment_declined", yield* now)
          expect(yield* redeemedOf(voucher)).toBe(1)
        })
      )
    }
  )

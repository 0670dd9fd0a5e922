import { expect, layer } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import type { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { Event } from "../../src/domain/catalog/Event.ts"
import { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import type { TicketType } from "../../src/domain/catalog/TicketType.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import { type PlaceHold, ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import type { ReservationId, UserId } from "../../src/domain/shared/Ids.ts"
import type { Voucher } from "../../src/domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../src/domain/vouchers/VoucherRepository.ts"
import { WithheldHolds } from "../../src/domain/vouchers/WithheldHolds.ts"
import { WaitingListRepository } from "../../src/domain/waitinglist/WaitingListRepository.ts"
import { after, aSale, aStoredUser, MINUTE, now, openOrder, place } from "./OrderRepositoryContract.ts"
import { aVoucher } from "./VoucherRepositoryContract.ts"

type Adapters =
  | WithheldHolds
  | VoucherRepository
  | OrderRepository
  | ReservationRepository
  | EventRepository
  | UserRepository
  | WaitingListRepository

/** A sale of `capacity` standing units and a voucher of it withholding `reserved` of them (stored: expects true). */
const aReservedQuota = (capacity: number, reserved: number, fields: Parameters<typeof aVoucher>[0] = {}) =>
  Effect.gen(function* () {
    const sale = yield* aSale(capacity)
    const voucher = aVoucher({
      eventId: sale.event.id,
      ticketTypeIds: [sale.standing.id],
      reservedUnits: reserved,
      reservedLeft: reserved,
      maxRedemptions: 100,
      ...fields
    })
    expect(yield* (yield* VoucherRepository).insertAll([voucher])).toBe(true)
    return { sale, voucher }
  })

/** A hold with the voucher, of `quantity` units of its ticket type. */
const withheldHold = (customerId: UserId, event: Event, type: TicketType, voucher: Voucher, quantity: number) =>
  Effect.gen(function* () {
    const at = yield* now
    const hold: PlaceHold = {
      reservationId: crypto.randomUUID() as ReservationId,
      customerId,
      eventId: event.id,
      items: [{ ticketTypeId: type.id, quantity }],
      expiresAt: after(at, 10 * MINUTE),
      customerLimit: 100
    }
    return yield* (yield* WithheldHolds).place(hold, voucher.id)
  })

const heldWith = (...args: Parameters<typeof withheldHold>) =>
  Effect.map(withheldHold(...args), (outcome) => {
    if (outcome._tag !== "Held") throw new Error(`expected Held, got ${JSON.stringify(outcome)}`)
    return outcome.reservation
  })

/** What a user can see of the type: free to the public, withheld, held, sold; and the voucher's pool. */
const countsOf = (type: TicketType, voucher: Voucher) =>
  Effect.gen(function* () {
    const types = yield* (yield* EventRepository).listTicketTypes(type.eventId)
    const now = types.find((t) => t.id === type.id) as TicketType
    const stored = Option.getOrThrow(yield* (yield* VoucherRepository).findByCode(voucher.eventId, voucher.code))
    return {
      available: now.available,
      withheld: now.withheld,
      held: now.held,
      sold: now.sold,
      pool: stored.reservedLeft
    }
  })

const isSoldOut = (outcome: { readonly _tag: string; readonly reason?: { readonly _tag: string } }) =>
  outcome._tag === "Refused" && outcome.reason?._tag === "SoldOut"

/**
 * Holds placed with a voucher that withholds units (with the voucher, hold, order and catalog adapters of the same
 * kind): the units come from the voucher's pool, never from the public, and go back to the pool (not to the public)
 * when the hold ends without an order or its order is cancelled unpaid, until the expiry job gives up the pool of a
 * voucher past its validity. (PostgreSQL: place_withheld_hold, end_holds, release_units and expire_withheld of
 * 0027_withheld_units_waiting_list.sql; in memory: the twins, through WithheldDraws.)
 */
export const withheldHoldsContract = (name: string, adapters: Layer.Layer<Adapters>) =>
  layer(adapters, { timeout: "120 seconds", excludeTestServices: true })(`WithheldHolds contract: ${name}`, (it) => {
    it.effect("a reserved quota withholds its units from the public; one larger than the free units is refused", () =>
      Effect.gen(function* () {
        const alice = yield* aStoredUser()
        const { sale, voucher } = yield* aReservedQuota(10, 4)
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 6,
          withheld: 4,
          held: 0,
          sold: 0,
          pool: 4
        })
        const items = (quantity: number) => ({ items: [{ ticketTypeId: sale.standing.id, quantity }] })
        expect(isSoldOut(yield* place(alice.id, sale.event, items(7)))).toBe(true)
        expect((yield* place(alice.id, sale.event, items(6)))._tag).toBe("Held")
        expect(isSoldOut(yield* place(alice.id, sale.event, items(1)))).toBe(true)

        const tooMany = aVoucher({
          eventId: sale.event.id,
          ticketTypeIds: [sale.standing.id],
          reservedUnits: 1,
          reservedLeft: 1
        })
        expect(yield* (yield* VoucherRepository).insertAll([tooMany])).toBe(false)
        expect(Option.isNone(yield* (yield* VoucherRepository).findByCode(sale.event.id, tooMany.code))).toBe(true)
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 0,
          withheld: 4,
          held: 6,
          sold: 0,
          pool: 4
        })
      })
    )

    it.effect("the voucher's hold draws from its pool: never more than it holds, only by its account", () =>
      Effect.gen(function* () {
        const [alice, bob] = [yield* aStoredUser(), yield* aStoredUser()]
        const { sale, voucher } = yield* aReservedQuota(5, 2, { accountId: alice.id })
        expect(isSoldOut(yield* withheldHold(bob.id, sale.event, sale.standing, voucher, 1))).toBe(true)
        expect(isSoldOut(yield* withheldHold(alice.id, sale.event, sale.standing, voucher, 3))).toBe(true)
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 3,
          withheld: 2,
          held: 0,
          sold: 0,
          pool: 2
        })
        const held = yield* heldWith(alice.id, sale.event, sale.standing, voucher, 2)
        expect(held.tickets).toBe(2)
        // The public's units are untouched: the hold's came from the pool.
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 3,
          withheld: 0,
          held: 2,
          sold: 0,
          pool: 0
        })
        expect(isSoldOut(yield* withheldHold(alice.id, sale.event, sale.standing, voucher, 1))).toBe(true)
      })
    )

    for (const status of ["released", "expired"] as const)
      it.effect(
        `${status === "expired" ? "an" : "a"} ${status} hold gives its units back to the voucher's pool, not to the public`,
        () =>
          Effect.gen(function* () {
            const alice = yield* aStoredUser()
            const { sale, voucher } = yield* aReservedQuota(2, 2)
            const held = yield* heldWith(alice.id, sale.event, sale.standing, voucher, 2)
            expect(yield* (yield* ReservationRepository).end([held.id], status)).toHaveLength(1)
            expect(yield* countsOf(sale.standing, voucher)).toEqual({
              available: 0,
              withheld: 2,
              held: 0,
              sold: 0,
              pool: 2
            })
            const bob = yield* aStoredUser()
            const public1 = yield* place(bob.id, sale.event, {
              items: [{ ticketTypeId: sale.standing.id, quantity: 1 }]
            })
            expect(isSoldOut(public1)).toBe(true)
            yield* heldWith(bob.id, sale.event, sale.standing, voucher, 2)
            // Ending it again changes nothing.
            expect(yield* (yield* ReservationRepository).end([held.id], status)).toHaveLength(0)
            expect((yield* countsOf(sale.standing, voucher)).pool).toBe(0)
          })
      )

    it.effect("an order cancelled before it is paid gives its units back to the pool, its hold converted or not", () =>
      Effect.gen(function* () {
        const orders = yield* OrderRepository
        const alice = yield* aStoredUser()
        const { sale, voucher } = yield* aReservedQuota(3, 2)

        const open = yield* heldWith(alice.id, sale.event, sale.standing, voucher, 2)
        const opened = yield* openOrder(open.id, alice.id)
        yield* orders.cancel(opened.id, "payment_declined", yield* now)
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 1,
          withheld: 2,
          held: 0,
          sold: 0,
          pool: 2
        })

        const claimed = yield* heldWith(alice.id, sale.event, sale.standing, voucher, 2)
        const order = yield* openOrder(claimed.id, alice.id)
        expect(yield* orders.claimUnits(order.id)).toEqual({ _tag: "Claimed" })
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 1,
          withheld: 0,
          held: 0,
          sold: 2,
          pool: 0
        })
        yield* orders.cancel(order.id, "payment_declined", yield* now)
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 1,
          withheld: 2,
          held: 0,
          sold: 0,
          pool: 2
        })
        yield* heldWith(alice.id, sale.event, sale.standing, voucher, 2)
      })
    )

    it.effect("a paid order keeps the units it drew", () =>
      Effect.gen(function* () {
        const orders = yield* OrderRepository
        const alice = yield* aStoredUser()
        const { sale, voucher } = yield* aReservedQuota(3, 2)
        const held = yield* heldWith(alice.id, sale.event, sale.standing, voucher, 2)
        const order = yield* openOrder(held.id, alice.id)
        expect(yield* orders.claimUnits(order.id)).toEqual({ _tag: "Claimed" })
        yield* orders.confirm(order.id, yield* now)
        yield* orders.cancel(order.id, "payment_declined", yield* now)
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 1,
          withheld: 0,
          held: 0,
          sold: 2,
          pool: 0
        })
      })
    )

    it.effect("the expiry job gives up a pool past its voucher's validity, units that came back from a hold too", () =>
      Effect.gen(function* () {
        const alice = yield* aStoredUser()
        const at = yield* now
        const { sale, voucher } = yield* aReservedQuota(3, 2, { validUntil: after(at, 60 * MINUTE) })
        const held = yield* heldWith(alice.id, sale.event, sale.standing, voucher, 2)
        yield* (yield* ReservationRepository).end([held.id], "released")
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 1,
          withheld: 2,
          held: 0,
          sold: 0,
          pool: 2
        })
        // Other tests' pools may be due too (one database): at least this one's units are given up.
        expect(
          yield* (yield* WaitingListRepository).expireOffers(after(at, 120 * MINUTE), 10_000)
        ).toBeGreaterThanOrEqual(2)
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 3,
          withheld: 0,
          held: 0,
          sold: 0,
          pool: 0
        })
        expect(isSoldOut(yield* withheldHold(alice.id, sale.event, sale.standing, voucher, 1))).toBe(true)
      })
    )

    it.effect("concurrent holds draw exactly the units the pool holds", () =>
      Effect.gen(function* () {
        const { sale, voucher } = yield* aReservedQuota(5, 5)
        const customers = yield* Effect.forEach(Array.from({ length: 20 }), () => aStoredUser())
        const outcomes = yield* Effect.forEach(
          customers,
          (c) => withheldHold(c.id, sale.event, sale.standing, voucher, 1),
          { concurrency: 20 }
        )
        expect(outcomes.filter((o) => o._tag === "Held")).toHaveLength(5)
        expect(outcomes.filter(isSoldOut)).toHaveLength(15)
        expect(yield* countsOf(sale.standing, voucher)).toEqual({
          available: 0,
          withheld: 0,
          held: 5,
          sold: 0,
          pool: 0
        })
      })
    )
  })

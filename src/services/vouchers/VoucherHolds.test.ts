import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { aSale, aStoredUser, now } from "../../../test/contracts/OrderRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { Actor } from "../../domain/accounts/Actor.ts"
import { KeyMarkSource } from "../../domain/reservations/InventoryCache.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import { Voucher, type VoucherId } from "../../domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { CatalogSnapshots } from "../reservations/CatalogSnapshots.ts"
import { makeInventoryCacheMemory } from "../reservations/InventoryCacheMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { Reservations } from "../reservations/Reservations.ts"
import { VoucherRepositoryPg } from "./VoucherRepositoryPg.ts"

/*
 * Holds carrying vouchers through the hold saga on the real PostgreSQL (embedded PGlite without a server): the
 * redemptions are counted by the database's guarded update, however many holds race for them.
 */

const config = ConfigProvider.fromEnv({
  env: { HOLD_TTL_SECONDS: "600", CUSTOMER_TICKET_LIMIT: "100000", SOLD_OUT_FLAG_TTL_MS: "2000" }
})

const World = Reservations.layer.pipe(
  Layer.provideMerge(CatalogSnapshots.layer),
  Layer.provideMerge(makeInventoryCacheMemory({ soldOutMs: 2000, viewMs: 5000 })),
  Layer.provideMerge(KeyMarkSource.fromRepository),
  Layer.provideMerge(Layer.mergeAll(ReservationRepositoryPg, EventRepositoryPg, UserRepositoryPg, VoucherRepositoryPg)),
  Layer.provideMerge(TestDatabaseLive),
  Layer.provide(ConfigProvider.layer(config))
)

const aCustomer = Effect.map(
  aStoredUser(),
  (user) => new Actor({ userId: user.id as UserId, accountType: "customer", isAdmin: false })
)

const aVoucher = (eventId: EventId, fields: Partial<ConstructorParameters<typeof Voucher>[0]> = {}) =>
  Effect.gen(function* () {
    const voucher = new Voucher({
      id: crypto.randomUUID() as VoucherId,
      eventId,
      code: `TEST${crypto.randomUUID().replaceAll("-", "").slice(0, 12).toUpperCase()}`,
      kind: "percent",
      value: 20,
      ticketTypeIds: [],
      validFrom: null,
      validUntil: null,
      maxRedemptions: 10,
      redeemed: 0,
      createdBy: crypto.randomUUID() as UserId,
      createdAt: yield* now,
      ...fields
    })
    yield* (yield* VoucherRepository).insertAll([voucher])
    return voucher
  })

const redeemedOf = (voucher: Voucher) =>
  Effect.map(
    Effect.flatMap(VoucherRepository, (v) => v.findByCode(voucher.eventId, voucher.code)),
    (found) => Option.getOrThrow(found).redeemed
  )

const gaHold = (eventId: EventId, ticketTypeId: TicketTypeId, quantity: number, voucherCode?: string) => ({
  eventId,
  items: [{ ticketTypeId, quantity }],
  ...(voucherCode === undefined ? {} : { voucherCode })
})

const tagOf = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>) =>
  Exit.isSuccess(exit)
    ? "held"
    : (Option.getOrUndefined(Option.map(Exit.findErrorOption(exit), (e) => e._tag)) ?? "defect")

layer(World, { timeout: "180 seconds", excludeTestServices: true })("Holds with vouchers on PostgreSQL", (it) => {
  it.effect(
    "500 concurrent holds carrying a 10-use voucher: exactly 10 are held, discounted; the rest are told it is used up",
    () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const sale = yield* aSale(2_000)
        const customer = yield* aCustomer
        const voucher = yield* aVoucher(sale.event.id, { maxRedemptions: 10, kind: "fixed", value: 1_000 })
        const exits = yield* Effect.forEach(
          Array.from({ length: 500 }, (_, i) => i),
          (i) =>
            Effect.exit(
              reservations.hold(
                customer,
                gaHold(sale.event.id, sale.standing.id, 1, voucher.code.toLowerCase()),
                `voucher-race-${i}`
              )
            ),
          { concurrency: "unbounded" }
        )
        const tags = exits.map(tagOf)
        expect(tags.filter((t) => t === "held")).toHaveLength(10)
        expect(tags.filter((t) => t === "VoucherUsedUp")).toHaveLength(490)
        expect(yield* redeemedOf(voucher)).toBe(10)
        const held = exits.flatMap((e) => (Exit.isSuccess(e) ? [e.value.reservation] : []))
        // 25.00 − 10.00, on the hold and as stored: what the order will charge.
        expect(held.map((r) => r.totalMinor)).toEqual(Array(10).fill(1_500))
        const repository = yield* ReservationRepository
        for (const r of held) expect(Option.getOrThrow(yield* repository.findById(r.id)).totalMinor).toBe(1_500)
        expect(yield* (yield* VoucherRepository).totalsForEvent(sale.event.id)).toEqual({
          redemptions: 10,
          discountMinor: 10_000
        })

        // Released and expired holds give their redemptions back.
        const [first, second, third] = held as [(typeof held)[0], (typeof held)[0], (typeof held)[0]]
        yield* reservations.release(customer, first.id)
        yield* reservations.release(customer, second.id)
        yield* repository.end([third.id], "expired")
        expect(yield* redeemedOf(voucher)).toBe(7)
        const again = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i),
          (i) =>
            Effect.exit(
              reservations.hold(
                customer,
                gaHold(sale.event.id, sale.standing.id, 1, voucher.code),
                `voucher-again-${i}`
              )
            ),
          { concurrency: "unbounded" }
        )
        expect(again.map(tagOf).filter((t) => t === "held")).toHaveLength(3)
        expect(yield* redeemedOf(voucher)).toBe(10)
      })
  )

  it.effect("a code that cannot be used is one refusal, whatever the reason, and takes nothing", () =>
    Effect.gen(function* () {
      const reservations = yield* Reservations
      const sale = yield* aSale(50)
      const other = yield* aSale(50)
      const customer = yield* aCustomer
      const at = yield* now
      const expired = yield* aVoucher(sale.event.id, { validUntil: new Date(at.getTime() - 60_000) })
      const early = yield* aVoucher(sale.event.id, { validFrom: new Date(at.getTime() + 60_000) })
      const forOtherType = yield* aVoucher(sale.event.id, { ticketTypeIds: [sale.seated.id] })
      const elsewhere = yield* aVoucher(other.event.id)
      const refusals = yield* Effect.forEach(
        ["NOSUCHCODE1234", expired.code, early.code, forOtherType.code, elsewhere.code],
        (code, i) =>
          Effect.flip(reservations.hold(customer, gaHold(sale.event.id, sale.standing.id, 1, code), `wrong-${i}`))
      )
      expect(new Set(refusals.map((e) => JSON.stringify(e)))).toEqual(
        new Set([
          JSON.stringify({
            _tag: "VoucherNotValid",
            code: "voucher_not_valid",
            message: "this voucher code is not valid for this hold (unknown, expired, or for other tickets)"
          })
        ])
      )
      for (const v of [expired, early, forOtherType, elsewhere]) expect(yield* redeemedOf(v)).toBe(0)
      const types = yield* (yield* CatalogSnapshots).fresh(sale.event.id)
      expect(Option.getOrThrow(types).ticketTypes.find((t) => t.id === sale.standing.id)?.held).toBe(0)
    })
  )

  it.effect("a percentage applies to the ticket types it names, rounded down; a plain hold pays the full price", () =>
    Effect.gen(function* () {
      const reservations = yield* Reservations
      const sale = yield* aSale(50)
      const customer = yield* aCustomer
      const voucher = yield* aVoucher(sale.event.id, { kind: "percent", value: 15, ticketTypeIds: [sale.standing.id] })
      const plain = yield* reservations.hold(customer, gaHold(sale.event.id, sale.standing.id, 3), "plain")
      expect(plain.reservation.totalMinor).toBe(7_500)
      const discounted = yield* reservations.hold(
        customer,
        gaHold(sale.event.id, sale.standing.id, 3, voucher.code),
        "discounted"
      )
      // 15 % of 75.00 = 11.25 off
      expect(discounted.reservation.totalMinor).toBe(7_500 - 1_125)
      expect(yield* redeemedOf(voucher)).toBe(1)
      // VoucherRedeemed goes out through the outbox, written in the transaction that recorded the discount.
      const sql = yield* SqlClient.SqlClient
      const events = yield* sql<{ payload: unknown }>`
        SELECT payload FROM outbox WHERE type = 'VoucherRedeemed' AND aggregate_id = ${discounted.reservation.id}`
      expect(events.map((e) => e.payload)).toEqual([
        {
          reservationId: discounted.reservation.id,
          voucherId: voucher.id,
          eventId: sale.event.id,
          code: voucher.code,
          discountMinor: 1_125
        }
      ])
    })
  )

  it.effect("a retry of a hold that took the last redemption replays it; a new hold is refused", () =>
    Effect.gen(function* () {
      const reservations = yield* Reservations
      const sale = yield* aSale(50)
      const customer = yield* aCustomer
      const voucher = yield* aVoucher(sale.event.id, { maxRedemptions: 1, kind: "fixed", value: 500 })
      const request = gaHold(sale.event.id, sale.standing.id, 1, voucher.code)
      const first = yield* reservations.hold(customer, request, "last-one")
      const retry = yield* reservations.hold(customer, request, "last-one")
      expect(retry).toEqual({ reservation: first.reservation, replayed: true })
      expect(first.reservation.totalMinor).toBe(2_000)
      const refused = yield* Effect.flip(reservations.hold(customer, request, "another"))
      expect(refused._tag).toBe("VoucherUsedUp")
      expect(yield* redeemedOf(voucher)).toBe(1)
    })
  )
})

import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { aSale, aStoredUser, now, place } from "../../../test/contracts/OrderRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { Actor } from "../../domain/accounts/Actor.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { KeyMarkSource } from "../../domain/reservations/InventoryCache.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import type { WaitingListEntryId } from "../../domain/waitinglist/WaitingList.ts"
import { WaitingListRepository } from "../../domain/waitinglist/WaitingListRepository.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { CatalogSnapshots } from "../reservations/CatalogSnapshots.ts"
import { makeInventoryCacheMemory } from "../reservations/InventoryCacheMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { Reservations } from "../reservations/Reservations.ts"
import { VoucherRepositoryPg } from "../vouchers/VoucherRepositoryPg.ts"
import { WithheldHoldsPg } from "../vouchers/WithheldHoldsPg.ts"
import { WaitingListRepositoryPg } from "./WaitingListRepositoryPg.ts"

/*
 * Waiting-list offers on the real PostgreSQL: made in the transaction that frees the units, in order of joining,
 * backed by withheld units that only the offer's account can take, passed on when not used in time.
 */

const config = ConfigProvider.fromEnv({
  env: { HOLD_TTL_SECONDS: "600", CUSTOMER_TICKET_LIMIT: "100000", SOLD_OUT_FLAG_TTL_MS: "2000" }
})

const World = Reservations.layer.pipe(
  Layer.provideMerge(CatalogSnapshots.layer),
  Layer.provideMerge(makeInventoryCacheMemory({ soldOutMs: 2000, viewMs: 5000 })),
  Layer.provideMerge(KeyMarkSource.fromRepository),
  Layer.provideMerge(
    Layer.mergeAll(
      ReservationRepositoryPg,
      EventRepositoryPg,
      UserRepositoryPg,
      VoucherRepositoryPg,
      WithheldHoldsPg,
      WaitingListRepositoryPg
    )
  ),
  Layer.provideMerge(TestDatabaseLive),
  Layer.provide(ConfigProvider.layer(config))
)

const HOUR = 3_600_000
const actorOf = (userId: string) => new Actor({ userId: userId as UserId, accountType: "customer", isAdmin: false })
const aCustomer = Effect.map(aStoredUser(), (user) => actorOf(user.id))

const gaHold = (eventId: EventId, ticketTypeId: TicketTypeId, quantity: number, voucherCode?: string) => ({
  eventId,
  items: [{ ticketTypeId, quantity }],
  ...(voucherCode === undefined ? {} : { voucherCode })
})

const tagOf = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>) =>
  Exit.isSuccess(exit)
    ? "held"
    : (Option.getOrUndefined(Option.map(Exit.findErrorOption(exit), (e) => e._tag)) ?? "defect")

const counters = (eventId: EventId, ticketTypeId: TicketTypeId) =>
  Effect.map(
    Effect.flatMap(EventRepository, (events) => events.listTicketTypes(eventId)),
    (types) => {
      const t = types.find((x) => x.id === ticketTypeId)
      return { held: t?.held, sold: t?.sold, withheld: t?.withheld, available: t?.available }
    }
  )

const join = (customer: string, ticketTypeId: TicketTypeId, hours = 24) =>
  Effect.flatMap(WaitingListRepository, (lists) =>
    Effect.flatMap(now, (at) =>
      lists.join(crypto.randomUUID() as WaitingListEntryId, customer as UserId, ticketTypeId, hours, at)
    )
  )

const heldId = (outcome: { readonly _tag: string }) => {
  if (outcome._tag !== "Held") throw new Error(`expected Held, got ${outcome._tag}`)
  return (outcome as unknown as { reservation: { id: ReservationId } }).reservation.id
}

layer(World, { timeout: "300 seconds", excludeTestServices: true })("Waiting-list offers on PostgreSQL", (it) => {
  it.effect("100 units released at once with 1,000 waiting: exactly 100 offers, to the first 100 in line", () =>
    Effect.gen(function* () {
      const sale = yield* aSale(100)
      const buyer = yield* aStoredUser()
      const holds: Array<ReservationId> = []
      for (let i = 0; i < 100; i++)
        holds.push(
          heldId(
            yield* place(
              buyer.id as UserId,
              sale.event,
              { items: [{ ticketTypeId: sale.standing.id, quantity: 1 }] },
              {
                customerLimit: 1_000
              }
            )
          )
        )
      // 1,000 join, 50 at a time: their places are the order the database took them in.
      const waiting = Array.from({ length: 1_000 }, () => crypto.randomUUID())
      const joined = yield* Effect.forEach(waiting, (c) => join(c, sale.standing.id), { concurrency: 50 })
      expect(joined.every((j) => j._tag === "Joined")).toBe(true)

      // Every hold released in its own transaction, all at once.
      const repository = yield* ReservationRepository
      yield* Effect.forEach(holds, (id) => repository.end([id], "released"), { concurrency: "unbounded" })

      const entries = yield* (yield* WaitingListRepository).entries(sale.standing.id)
      expect(entries).toHaveLength(1_000)
      const offered = entries.filter((e) => e.status === "offered")
      expect(offered).toHaveLength(100)
      expect(entries.slice(0, 100).every((e) => e.status === "offered")).toBe(true)
      expect(entries.slice(100).every((e) => e.status === "waiting")).toBe(true)
      expect(new Set(offered.map((e) => e.offerCode)).size).toBe(100)
      expect(yield* counters(sale.event.id, sale.standing.id)).toEqual({
        held: 0,
        sold: 0,
        withheld: 100,
        available: 0
      })
      const sql = yield* SqlClient.SqlClient
      const [events] = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox
        WHERE type = 'WaitingListOffered' AND payload->>'ticketTypeId' = ${sale.standing.id}`
      expect(events?.n).toBe(100)
      expect(yield* (yield* WaitingListRepository).length(sale.standing.id)).toBe(900)
    })
  )

  it.effect("an offer's code holds the withheld unit for its account only; everyone else finds the type sold out", () =>
    Effect.gen(function* () {
      const reservations = yield* Reservations
      const lists = yield* WaitingListRepository
      const sale = yield* aSale(1)
      const [first, second, outsider] = [yield* aCustomer, yield* aCustomer, yield* aCustomer]
      const taken = yield* reservations.hold(outsider, gaHold(sale.event.id, sale.standing.id, 1), "taken")
      yield* join(first.userId, sale.standing.id)
      yield* join(second.userId, sale.standing.id)
      yield* reservations.release(outsider, taken.reservation.id)

      const [offer] = yield* lists.entries(sale.standing.id)
      const code = offer?.offerCode as string
      expect(offer?.customerId).toBe(first.userId)
      expect(yield* counters(sale.event.id, sale.standing.id)).toMatchObject({ withheld: 1, available: 0 })

      // Outsiders: sold out without the code, not valid with someone else's.
      const plain = yield* Effect.exit(reservations.hold(outsider, gaHold(sale.event.id, sale.standing.id, 1), "o1"))
      expect(tagOf(plain)).toBe("SoldOut")
      const stolen = yield* Effect.exit(
        reservations.hold(second, gaHold(sale.event.id, sale.standing.id, 1, code), "o2")
      )
      expect(tagOf(stolen)).toBe("VoucherNotValid")

      // Its account: held at the ticket's price, from the withheld unit.
      const mine = yield* reservations.hold(first, gaHold(sale.event.id, sale.standing.id, 1, code), "mine")
      expect(mine.reservation.totalMinor).toBe(2_500)
      expect(yield* counters(sale.event.id, sale.standing.id)).toMatchObject({ held: 1, withheld: 0, available: 0 })
      // Two units with a one-unit offer: refused, nothing changes.
      const greedy = yield* Effect.exit(
        reservations.hold(first, gaHold(sale.event.id, sale.standing.id, 2, code), "greedy")
      )
      expect(tagOf(greedy)).not.toBe("held")

      // Released, the unit goes back to the offer (not to the public), and the offer can be used again.
      yield* reservations.release(first, mine.reservation.id)
      expect(yield* counters(sale.event.id, sale.standing.id)).toMatchObject({ held: 0, withheld: 1, available: 0 })
      expect(
        tagOf(yield* Effect.exit(reservations.hold(outsider, gaHold(sale.event.id, sale.standing.id, 1), "o3")))
      ).toBe("SoldOut")
      const again = yield* reservations.hold(first, gaHold(sale.event.id, sale.standing.id, 1, code), "again")
      yield* reservations.release(first, again.reservation.id)

      // Not used in time: the offer lapses and the unit passes to the next in line.
      const late = new Date((yield* now).getTime() + 25 * HOUR)
      expect(yield* lists.expireOffers(late, 1_000)).toBeGreaterThanOrEqual(1)
      const [lapsed, next] = yield* lists.entries(sale.standing.id)
      expect([lapsed?.status, next?.status, next?.customerId]).toEqual(["lapsed", "offered", second.userId])
      expect(yield* counters(sale.event.id, sale.standing.id)).toMatchObject({ withheld: 1, available: 0 })
      // The lapsed code no longer holds anything.
      const expired = yield* Effect.exit(
        reservations.hold(first, gaHold(sale.event.id, sale.standing.id, 1, code), "expired")
      )
      expect(tagOf(expired)).not.toBe("held")
    })
  )
})

import type { PgClient } from "@effect/sql-pg"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Queue } from "effect"
import { SqlClient } from "effect/sql"
import { aSale, aStoredUser, now, openOrder } from "../../../test/contracts/OrderRepositoryContract.ts"
import {
  aHoldToOrder,
  orderUpdatesContract,
  signalOf,
  subscribed
} from "../../../test/contracts/OrderUpdatesContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { DatabaseKind, pgClientEmbedded } from "../sql/Database.ts"
import { MigrationsLive } from "../sql/Migrations.ts"
import { AnnouncingOrderRepository } from "./AnnouncingOrderRepository.ts"
import { OrderRepositoryMemory } from "./OrderRepositoryMemory.ts"
import { OrderUpdatesInProcess } from "./OrderUpdatesHub.ts"
import { OrderRepositoryWithUpdates } from "./OrderUpdatesLive.ts"
import { ORDER_UPDATES_CHANNEL } from "./OrderUpdatesPg.ts"

// In memory: the repository announcing its changes to the in-process hub. The memory adapters share one store
// (MemoryStoreLive, memoised by reference).
orderUpdatesContract(
  "in-memory",
  Layer.mergeAll(
    AnnouncingOrderRepository.pipe(Layer.provide(OrderRepositoryMemory), Layer.provideMerge(OrderUpdatesInProcess)),
    ReservationRepositoryMemory,
    EventRepositoryMemory
  ).pipe(Layer.provideMerge(UserRepositoryMemory))
)

/** What the application wires for the database at hand (OrderUpdatesLive.ts), with the repositories to drive it. */
const onDatabase = <E>(database: Layer.Layer<SqlClient.SqlClient | PgClient.PgClient | DatabaseKind, E>) =>
  Layer.mergeAll(OrderRepositoryWithUpdates, ReservationRepositoryPg, EventRepositoryPg, UserRepositoryPg).pipe(
    Layer.provideMerge(database)
  )

// The PostgreSQL server: triggers, NOTIFY at commit, one LISTEN per process.
orderUpdatesContract("PostgreSQL", onDatabase(TestDatabaseLive))

// The embedded PGlite (no NOTIFY delivery): the repository announcing its changes after they commit.
const Embedded = onDatabase(MigrationsLive.pipe(Layer.provideMerge(pgClientEmbedded(undefined)), Layer.orDie))
orderUpdatesContract("embedded PGlite", Embedded)

/** A rolled-back change is never signalled; the next committed one is. */
const rollbackIsNotSignalled = Effect.gen(function* () {
  const repo = yield* OrderRepository
  const sql = yield* SqlClient.SqlClient
  const customer = yield* aStoredUser()
  const sale = yield* aSale()
  const [kept, rolledBack, marker] = [
    yield* aHoldToOrder(sale, customer.id),
    yield* aHoldToOrder(sale, customer.id),
    yield* aHoldToOrder(sale, customer.id)
  ]
  const keptSignals = yield* subscribed(kept.orderId)
  const rolledBackSignals = yield* subscribed(rolledBack.orderId)
  const markerSignals = yield* subscribed(marker.orderId)
  yield* openOrder(kept.hold.id, customer.id, { orderId: kept.orderId })
  yield* openOrder(rolledBack.hold.id, customer.id, { orderId: rolledBack.orderId })
  yield* openOrder(marker.hold.id, customer.id, { orderId: marker.orderId })
  // Signals come in commit order: once the marker's is in, the openings' are too, and are dropped.
  yield* signalOf(markerSignals)
  yield* Queue.clear(keptSignals)
  yield* Queue.clear(rolledBackSignals)

  const failed = yield* Effect.exit(
    sql.withTransaction(
      repo.cancel(rolledBack.orderId, "payment_declined", yield* now).pipe(Effect.andThen(Effect.fail("abort")))
    )
  )
  expect(failed._tag).toBe("Failure")
  yield* repo.cancel(kept.orderId, "payment_declined", yield* now)
  yield* signalOf(keptSignals)
  expect(yield* Queue.clear(rolledBackSignals)).toEqual([])
  expect((yield* repo.findById(rolledBack.orderId)).pipe((o) => o._tag === "Some" && o.value.status)).toBe(
    "pending_payment"
  )
})

for (const [name, adapters] of [
  ["PostgreSQL", onDatabase(TestDatabaseLive)],
  ["embedded PGlite", Embedded]
] as const)
  layer(adapters, { timeout: "120 seconds", excludeTestServices: true })(`OrderUpdates on ${name}`, (it) => {
    it.effect("a change rolled back is never signalled", () => rollbackIsNotSignalled)
  })

/** The backends of this database listening on the channel. */
const listeners = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND query ILIKE ${`LISTEN %${ORDER_UPDATES_CHANNEL}%`}`
})

layer(onDatabase(TestDatabaseLive), { timeout: "120 seconds", excludeTestServices: true })(
  "OrderUpdates on the PostgreSQL server: the LISTEN",
  (it) => {
    it.effect("one LISTEN for the whole process, however many wait", () =>
      Effect.gen(function* () {
        if ((yield* DatabaseKind) !== "server") return
        const customer = yield* aStoredUser()
        const sale = yield* aSale()
        for (let i = 0; i < 5; i++) yield* subscribed((yield* aHoldToOrder(sale, customer.id)).orderId)
        expect(yield* listeners).toHaveLength(1)
      })
    )

    it.effect("after the LISTEN connection is lost and back, every waiter is signalled (to read again)", () =>
      Effect.gen(function* () {
        if ((yield* DatabaseKind) !== "server") return
        const sql = yield* SqlClient.SqlClient
        const customer = yield* aStoredUser()
        const sale = yield* aSale()
        const [a, b] = [yield* aHoldToOrder(sale, customer.id), yield* aHoldToOrder(sale, customer.id)]
        const waiters = [yield* subscribed(a.orderId), yield* subscribed(b.orderId), yield* subscribed(a.orderId)]
        const [before] = yield* listeners
        yield* sql`SELECT pg_terminate_backend(${before?.pid ?? -1})`
        // No order changed: the signals say "you may have missed something", from the reconnection.
        for (const signals of waiters) yield* signalOf(signals)
        const after = yield* listeners
        expect(after).toHaveLength(1)
        expect(after[0]?.pid).not.toBe(before?.pid)

        // And it listens again: a change is signalled as before.
        yield* openOrder(a.hold.id, customer.id, { orderId: a.orderId })
        yield* signalOf(waiters[0] as Queue.Dequeue<typeof a.orderId>)
      })
    )
  }
)

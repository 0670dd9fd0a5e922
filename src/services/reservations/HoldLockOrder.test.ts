import { PgClient } from "@effect/sql-pg"
import { expect, layer } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Layer, Redacted, String as Str } from "effect"
import { SqlClient } from "effect/sql"
import { after, aSale, aStoredUser, now, unitsOf } from "../../../test/contracts/OrderRepositoryContract.ts"
import { inventoryMismatches } from "../../../test/support/SumCheck.ts"
import { databaseTarget, serverUrl, TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, OrderId, ReservationId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { OrderRepositoryPg } from "../orders/OrderRepositoryPg.ts"
import { ReservationRepositoryPg } from "./ReservationRepositoryPg.ts"

/*
 * One lock order for every function that moves inventory (migrations/0011_lock_order.sql). place_hold locks the
 * customer's customer_event_tickets row before the ticket type's row; end_holds (the release behind
 * DELETE /v1/reservations/{id}, and expiry) took the ticket type first, so a customer placing a hold while
 * releasing another deadlocked; release_units and request_refund did the same. Here customers do these things on
 * one ticket type from several fibers at once, for many rounds, on the real PostgreSQL.
 *
 * The repositories retry a statement that lost a deadlock (place_hold and every order function do), which would
 * hide most of them: the server's own count (pg_stat_database.deadlocks) is what tells. A backend adds its counts to
 * the shared statistics when it is idle (at most once a second) or when it exits, so each workload runs on a pool of
 * its own, closed (and its backends gone) before the count is read. Two processes on the embedded PGlite (a single
 * session) cannot race, so these run on a server only.
 */

const target = await Effect.runPromise(databaseTarget)

const CUSTOMERS = 4
const FIBERS_PER_CUSTOMER = 4
/** A workload stops starting new rounds after this long: without the lock order, every deadlock costs a wait. */
const WORKLOAD_DEADLINE_MS = 20_000
const WORKLOAD_APPLICATION = "goticket-hold-lock-order"

const databaseUrl = (database: string) => {
  const url = new URL(serverUrl())
  url.pathname = `/${database}`
  return url.toString()
}

/** A pool of its own on the test database, with the service's name transforms (the repositories rely on them). */
const workloadPool = (database: string) =>
  PgClient.layer({
    url: Redacted.make(databaseUrl(database)),
    maxConnections: CUSTOMERS * FIBERS_PER_CUSTOMER,
    applicationName: WORKLOAD_APPLICATION,
    connectTimeout: Duration.seconds(10),
    transformQueryNames: Str.camelToSnake,
    transformResultNames: Str.snakeToCamel
  })

/** Deadlocks the server has counted in this database (what every backend has reported so far). */
const deadlocks = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ n: number }>`
    SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()`
  return row?.n ?? 0
})

/** Waits until every backend of the workload's pool has exited (and so reported its statistics). */
const workloadBackendsGone = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  for (let i = 0; i < 200; i++) {
    const [row] = yield* sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = ${WORKLOAD_APPLICATION}`
    if (row?.n === 0) return
    yield* Effect.sleep("50 millis")
  }
  return yield* Effect.die(new Error("the workload's connections did not close"))
})

/** The error of a failed round, in one line: each message down the chain of causes. */
const summary = (cause: Cause.Cause<unknown>): string => {
  const messages: Array<string> = []
  let error: unknown = Cause.squash(cause)
  while (error instanceof Error && messages.length < 5) {
    messages.push(error.message)
    error = error.cause
  }
  return messages.join(" ← ") || Cause.pretty(cause).split("\n")[0] || "unknown failure"
}

type Repositories = ReservationRepository | OrderRepository

/**
 * Runs `rounds` of each fiber's work, all fibers at once, on a pool of its own; answers the deadlocks the server
 * counted meanwhile and the failures of rounds (each round's defects are collected, not thrown).
 */
const workload = (fibers: ReadonlyArray<Effect.Effect<void, never, Repositories>>, rounds: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [{ database } = { database: "" }] = yield* sql<{ database: string }>`SELECT current_database() AS database`
    // The server looks for a deadlock only after a lock wait of deadlock_timeout (1 s by default): shorter here
    // (the test database's own setting, for the workload's new connections), so that a deadlock costs the workload
    // a tenth of a second, not a second. Only a superuser may set it; elsewhere the workload is just slower.
    yield* Effect.ignore(sql.unsafe(`ALTER DATABASE "${database}" SET deadlock_timeout = '100ms'`))
    const before = yield* deadlocks
    const deadline = Date.now() + WORKLOAD_DEADLINE_MS
    const started = Date.now()
    const exits = yield* Effect.forEach(
      fibers,
      (round) =>
        Effect.gen(function* () {
          const done: Array<Exit.Exit<void>> = []
          for (let i = 0; i < rounds && Date.now() < deadline; i++) done.push(yield* Effect.exit(round))
          return done
        }),
      { concurrency: "unbounded" }
    ).pipe(
      Effect.map((perFiber) => perFiber.flat()),
      Effect.provide(
        Layer.mergeAll(ReservationRepositoryPg, OrderRepositoryPg).pipe(Layer.provide(workloadPool(database)))
      )
    )
    const elapsedMs = Date.now() - started
    yield* workloadBackendsGone
    const failures = exits.flatMap((exit) => (Exit.isFailure(exit) ? [summary(exit.cause)] : []))
    return { deadlocks: (yield* deadlocks) - before, failures, rounds: exits.length, elapsedMs }
  })

/** No deadlock counted by the server, no round failed (the first three failures shown), and every round ran. */
const expectEveryRoundClean = (result: Effect.Success<ReturnType<typeof workload>>, rounds: number) =>
  expect({ ...result, failures: result.failures.slice(0, 3), failed: result.failures.length }).toMatchObject({
    deadlocks: 0,
    failures: [],
    failed: 0,
    rounds
  })

interface Sale {
  readonly eventId: EventId
  readonly ticketTypeId: TicketTypeId
}

const expectHeld = <A extends { readonly _tag: string }>(outcome: A, tag: A["_tag"], what: string) =>
  outcome._tag === tag ? Effect.void : Effect.die(new Error(`${what}: expected ${tag}, got ${outcome._tag}`))

/** A one-unit hold of the customer's, as POST /v1/reservations places it. */
const placeHold = (customerId: UserId, sale: Sale) =>
  Effect.gen(function* () {
    const at = yield* now
    const outcome = yield* (yield* ReservationRepository).place({
      reservationId: crypto.randomUUID() as ReservationId,
      customerId,
      eventId: sale.eventId,
      items: [{ ticketTypeId: sale.ticketTypeId, quantity: 1 }],
      expiresAt: after(at, 10 * 60_000),
      customerLimit: 1_000
    })
    if (outcome._tag !== "Held") return yield* Effect.die(new Error(`place: expected Held, got ${outcome._tag}`))
    return outcome.reservation.id
  })

/** Places a hold and releases it again, as a customer's POST and DELETE /v1/reservations/{id} do. */
const holdAndRelease = (customerId: UserId, sale: Sale) =>
  Effect.gen(function* () {
    const id = yield* placeHold(customerId, sale)
    const ended = yield* (yield* ReservationRepository).end([id], "released", customerId)
    if (ended.length !== 1)
      return yield* Effect.die(new Error(`release: expected the hold to end, ${ended.length} did`))
  })

/** A hold whose order is opened and its units claimed (the checkout saga's first steps). */
const claimedOrder = (customerId: UserId, sale: Sale) =>
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const reservationId = yield* placeHold(customerId, sale)
    const orderId = crypto.randomUUID() as OrderId
    const at = yield* now
    yield* expectHeld(
      yield* orders.open({ orderId, reservationId, customerId, holdUntil: after(at, 30 * 60_000) }),
      "Opened",
      "open"
    )
    yield* expectHeld(yield* orders.claimUnits(orderId), "Claimed", "claim")
    return orderId
  })

/** Checkout, payment declined: the claimed units go back (cancel_order → release_units). */
const checkoutAndCancel = (customerId: UserId, sale: Sale) =>
  Effect.gen(function* () {
    const orderId = yield* claimedOrder(customerId, sale)
    const cancelled = yield* (yield* OrderRepository).cancel(orderId, "payment_declined", yield* now)
    if (cancelled.status !== "cancelled") return yield* Effect.die(new Error(`cancel: got ${cancelled.status}`))
  })

/** Checkout, paid, then refunded (request_refund). */
const buyAndRefund = (customerId: UserId, sale: Sale) =>
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const orderId = yield* claimedOrder(customerId, sale)
    yield* orders.confirm(orderId, yield* now)
    const refund = yield* orders.requestRefund({
      refundId: `refund-${crypto.randomUUID()}`,
      orderId,
      requestedBy: customerId,
      includeCheckedIn: false,
      at: yield* now
    })
    yield* expectHeld(refund, "Requested", "refund")
  })

/**
 * A hold of two neighbouring seats of the five, the first pair free at that moment from `offset` on (as best available
 * chooses again after a lost race), released again; a round in which every pair was taken ends with nothing held.
 * Its ticket type is given, so that it queues for a group of that type's holds (GroupedHolds) when two are running.
 */
const seatsHoldAndRelease = (
  customerId: UserId,
  sale: Sale & { readonly seatIds: ReadonlyArray<string> },
  offset: number
) =>
  Effect.gen(function* () {
    const repository = yield* ReservationRepository
    const seats = sale.seatIds
    for (let i = 0; i < seats.length; i++) {
      const pair = [seats[(offset + i) % seats.length], seats[(offset + i + 1) % seats.length]] as Array<string>
      const at = yield* now
      const outcome = yield* repository.place({
        reservationId: crypto.randomUUID() as ReservationId,
        customerId,
        eventId: sale.eventId,
        seatIds: pair.sort(),
        seatTypeIds: [sale.ticketTypeId],
        expiresAt: after(at, 10 * 60_000),
        customerLimit: 1_000
      })
      if (outcome._tag === "Held") {
        const ended = yield* repository.end([outcome.reservation.id], "released", customerId)
        if (ended.length !== 1)
          return yield* Effect.die(new Error(`release: expected the hold to end, ${ended.length} did`))
        return
      }
      if (outcome._tag !== "Refused" || outcome.reason._tag !== "SeatUnavailable")
        return yield* Effect.die(new Error(`place: expected Held or SeatUnavailable, got ${JSON.stringify(outcome)}`))
    }
  })

const Setup = Layer.mergeAll(EventRepositoryPg, UserRepositoryPg).pipe(Layer.provideMerge(TestDatabaseLive))

layer(Setup, { timeout: "120 seconds", excludeTestServices: true })("lock order on PostgreSQL", (it) => {
  const ROUNDS = 25

  it.effect.skipIf(target !== "server")(
    `${CUSTOMERS} customers × ${FIBERS_PER_CUSTOMER} fibers place and release holds of one ticket type, ${ROUNDS} rounds each: no deadlock, no defect, exact counters`,
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const { event, standing } = yield* aSale(10_000)
        const sale = { eventId: event.id, ticketTypeId: standing.id }
        const customers = yield* Effect.forEach(Array.from({ length: CUSTOMERS }), () => aStoredUser())

        const result = yield* workload(
          customers.flatMap((c) => Array.from({ length: FIBERS_PER_CUSTOMER }, () => holdAndRelease(c.id, sale))),
          ROUNDS
        )

        expectEveryRoundClean(result, CUSTOMERS * FIBERS_PER_CUSTOMER * ROUNDS)
        expect(yield* unitsOf(event)).toMatchObject({ Standing: { held: 0, sold: 0 } })
        expect(yield* inventoryMismatches([event.id])).toEqual([])
        const counts = yield* sql<{ tickets: number }>`
          SELECT tickets FROM customer_event_tickets WHERE event_id = ${event.id}`
        expect(counts.map((c) => c.tickets)).toEqual(customers.map(() => 0))
        const [left] = yield* sql<{ n: number }>`
          SELECT count(*)::int AS n FROM reservations WHERE event_id = ${event.id} AND status <> 'released'`
        expect(left?.n).toBe(0)
      }).pipe(Effect.orDie),
    { timeout: 90_000 }
  )

  it.effect.skipIf(target !== "server")(
    `${CUSTOMERS} customers × ${FIBERS_PER_CUSTOMER} fibers hold pairs of five seats of one type and release them, ${ROUNDS} rounds each: no deadlock, no defect, every seat available again`,
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const { event, seated, a1, a2, a3, b1, b2 } = yield* aSale(10)
        const sale = {
          eventId: event.id,
          ticketTypeId: seated.id,
          seatIds: [a1, a2, a3, b1, b2].map((seat) => seat.id as string)
        }
        const customers = yield* Effect.forEach(Array.from({ length: CUSTOMERS }), () => aStoredUser())

        const result = yield* workload(
          customers.flatMap((c, i) =>
            Array.from({ length: FIBERS_PER_CUSTOMER }, (_, j) =>
              seatsHoldAndRelease(c.id, sale, i * FIBERS_PER_CUSTOMER + j)
            )
          ),
          ROUNDS
        )

        expectEveryRoundClean(result, CUSTOMERS * FIBERS_PER_CUSTOMER * ROUNDS)
        expect(yield* unitsOf(event)).toMatchObject({ Seated: { held: 0, sold: 0 } })
        expect(yield* inventoryMismatches([event.id])).toEqual([])
        const [held] = yield* sql<{ n: number }>`
          SELECT count(*)::int AS n FROM seats WHERE event_id = ${event.id} AND status <> 'available'`
        expect(held?.n).toBe(0)
        // Not every round was refused: seats were held and released again.
        const [placed] = yield* sql<{ n: number }>`
          SELECT count(*)::int AS n FROM reservations WHERE event_id = ${event.id}`
        expect(placed?.n).toBeGreaterThan(0)
      }).pipe(Effect.orDie),
    { timeout: 90_000 }
  )

  it.effect.skipIf(target !== "server")(
    `the same customers hold, cancel claimed checkouts and refund tickets of one ticket type at once, ${ROUNDS} rounds each: no deadlock, no defect, exact counters`,
    () =>
      Effect.gen(function* () {
        const { event, standing } = yield* aSale(10_000)
        const sale = { eventId: event.id, ticketTypeId: standing.id }
        const customers = yield* Effect.forEach(Array.from({ length: CUSTOMERS }), () => aStoredUser())

        const result = yield* workload(
          customers.flatMap((c) => [
            holdAndRelease(c.id, sale),
            Effect.asVoid(placeHold(c.id, sale)),
            checkoutAndCancel(c.id, sale),
            buyAndRefund(c.id, sale)
          ]),
          ROUNDS
        )

        expectEveryRoundClean(result, CUSTOMERS * 4 * ROUNDS)
        // Left: one hold per round of each customer's placing fiber; every sale was cancelled or refunded.
        expect(yield* unitsOf(event)).toMatchObject({ Standing: { held: CUSTOMERS * ROUNDS, sold: 0 } })
        expect(yield* inventoryMismatches([event.id])).toEqual([])
      }).pipe(Effect.orDie),
    { timeout: 90_000 }
  )
})

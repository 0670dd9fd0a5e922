import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Deferred, Effect, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import type { PlaceHold } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, UserId } from "../../domain/shared/Ids.ts"
import { groupedHolds } from "./GroupedHolds.ts"
import type { PlaceHoldRow } from "./PlaceHoldAnswer.ts"

const TICKET_TYPE = "00000000-0000-4000-8000-000000000001"

const at = new Date()

const holdOf = (n: number): PlaceHold => ({
  reservationId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}` as ReservationId,
  customerId: "00000000-0000-4000-8000-0000000000aa" as UserId,
  eventId: "00000000-0000-4000-8000-0000000000ee" as EventId,
  items: [{ ticketTypeId: TICKET_TYPE, quantity: 1 }],
  expiresAt: new Date("2030-01-01T00:00:00Z"),
  customerLimit: 10
})

/**
 * `groupedHolds` over a stand-in for place_hold that records which holds it placed (nothing reaches the database),
 * with holds 1 and 2 placed and kept running until `release`: on a grouped type, they are its two transactions.
 */
const twoRunning = (grouping: "on" | "off", kind: Partial<PlaceHold> = {}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const gate = yield* Deferred.make<void>()
    const placed: Array<string> = []
    const placeOnce = (hold: PlaceHold) =>
      Effect.suspend(() => {
        placed.push(hold.reservationId)
        const running = [holdOf(1).reservationId, holdOf(2).reservationId].includes(hold.reservationId)
        return Effect.as(running ? Deferred.await(gate) : Effect.void, [] as ReadonlyArray<PlaceHoldRow>)
      })
    const place = yield* groupedHolds(sql, placeOnce).pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { GROUPED_HOLDS: grouping } })))
    )
    const busy = yield* Effect.forkChild(
      Effect.all([place({ ...holdOf(1), ...kind }, at), place({ ...holdOf(2), ...kind }, at)], {
        concurrency: "unbounded"
      })
    )
    // Lets the two reach place_hold.
    yield* Effect.yieldNow.pipe(Effect.repeat({ times: 20 }))
    const release = Effect.andThen(Deferred.succeed(gate, undefined), Fiber.join(busy))
    return { sql, place, placed, release }
  })

describe("GroupedHolds", () => {
  it.layer(TestDatabaseLive, { timeout: 60_000 })((it) => {
    it.effect("a hold inside the caller's transaction is placed at once, even on a busy type", () =>
      Effect.gen(function* () {
        const { sql, place, placed, release } = yield* twoRunning("on")
        expect(placed).toEqual([holdOf(1).reservationId, holdOf(2).reservationId])
        // Inside a transaction it does not wait for a group (which would leave the caller's transaction). Were it
        // queued, it would wait for one of the two running holds (released below): the deadline would pass first.
        const inside = yield* sql.withTransaction(place(holdOf(3), at)).pipe(Effect.timeout("10 seconds"))
        expect(inside).toEqual([])
        expect(placed).toContain(holdOf(3).reservationId)
        yield* release
      })
    )

    it.effect("a hold of seats waits for the group of its ticket type; seats of unknown types are placed at once", () =>
      Effect.gen(function* () {
        const { place, placed, release } = yield* twoRunning("on", { seatIds: ["seat-1"], seatTypeIds: [TICKET_TYPE] })
        expect(placed).toEqual([holdOf(1).reservationId, holdOf(2).reservationId])
        // Its types unknown, it cannot be grouped safely: placed at once, beside the two running holds.
        const unknown = { ...holdOf(3), items: undefined, seatIds: ["seat-3"] }
        expect(yield* place(unknown, at).pipe(Effect.timeout("10 seconds"))).toEqual([])
        // Of a busy type, it queues for the next group (placed once one of the two ends, not before).
        const waiting = yield* Effect.forkChild(
          place({ ...unknown, reservationId: holdOf(4).reservationId, seatTypeIds: [TICKET_TYPE] }, at)
        )
        yield* Effect.yieldNow.pipe(Effect.repeat({ times: 20 }))
        expect(placed).not.toContain(holdOf(4).reservationId)
        yield* release
        yield* Fiber.join(waiting)
      })
    )

    it.effect("GROUPED_HOLDS=off places every hold on its own, as place_hold alone would", () =>
      Effect.gen(function* () {
        const { place, placed, release } = yield* twoRunning("off")
        // On, the third hold would wait for one of the two running ones (released below). Off, it is placed at once.
        expect(yield* place(holdOf(3), at).pipe(Effect.timeout("10 seconds"))).toEqual([])
        expect(placed).toHaveLength(3)
        yield* release
      })
    )
  })
})

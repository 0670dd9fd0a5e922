import { Effect, Layer, Option } from "effect"
import { SqlClient, SqlError } from "effect/sql"
import { Inbox } from "../../domain/events/Inbox.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import { inFlightOnce } from "./InFlight.ts"

/**
 * The inbox in PostgreSQL: the handler runs in a transaction that first inserts (consumer, event id). A duplicate
 * finds the row (or waits for the concurrent first delivery to commit, then finds it) and is dropped. An effect
 * outside the database (`onceAfter`) runs between a look and the insert, with no transaction open meanwhile.
 */
export const InboxPg = Layer.effect(
  Inbox,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const handled = (consumer: string, eventId: string) =>
      sql`SELECT 1 FROM inbox WHERE consumer = ${consumer} AND event_id = ${eventId}`.pipe(
        Effect.map((rows) => rows.length > 0),
        Effect.orDie
      )
    const record = (consumer: string, eventId: string) =>
      sql`INSERT INTO inbox (consumer, event_id) VALUES (${consumer}, ${eventId}) ON CONFLICT DO NOTHING`.pipe(
        Effect.asVoid,
        Effect.orDie
      )
    // Generator functions made once, not per event (see the lean hold route's `program`, src/http/HoldRoute.ts).
    const lookRunRecord = Effect.fnUntraced(function* <A, E, R>(
      consumer: string,
      eventId: string,
      effect: Effect.Effect<A, E, R>
    ) {
      if (yield* handled(consumer, eventId)) return Option.none<A>()
      const result = yield* effect
      yield* record(consumer, eventId)
      return Option.some(result)
    })
    const insertThenRun = Effect.fnUntraced(function* <A, E, R>(
      consumer: string,
      eventId: string,
      effect: Effect.Effect<A, E, R>
    ) {
      const fresh = yield* sql`INSERT INTO inbox (consumer, event_id) VALUES (${consumer}, ${eventId})
        ON CONFLICT DO NOTHING RETURNING 1 AS fresh`
      if (fresh.length === 0) return Option.none<A>()
      return Option.some(yield* effect)
    })
    const inFlight = inFlightOnce()
    return Inbox.of({
      onceAfter: (consumer, eventId, effect) =>
        inFlight(`${consumer}/${eventId}`, lookRunRecord(consumer, eventId, effect)).pipe(
          hotPathSpan("Inbox.onceAfter", { attributes: { consumer, eventId } })
        ),
      once: (consumer, eventId, effect) =>
        sql
          .withTransaction(insertThenRun(consumer, eventId, effect))
          .pipe(
            Effect.catchIf(SqlError.isSqlError, Effect.die),
            hotPathSpan("Inbox.once", { attributes: { consumer, eventId } })
          )
    })
  })
)

import { Effect, Layer, Option } from "effect"
import { SqlClient, SqlError } from "effect/sql"
import { Inbox } from "../../domain/events/Inbox.ts"

/**
 * The inbox in PostgreSQL: the handler runs in a transaction that first inserts (consumer, event id). A duplicate
 * finds the row (or waits for the concurrent first delivery to commit, then finds it) and is dropped.
 */
export const InboxPg = Layer.effect(
  Inbox,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return Inbox.of({
      once: (consumer, eventId, effect) =>
        sql
          .withTransaction(
            Effect.gen(function* () {
              const fresh = yield* sql`INSERT INTO inbox (consumer, event_id) VALUES (${consumer}, ${eventId})
                ON CONFLICT DO NOTHING RETURNING 1 AS fresh`
              if (fresh.length === 0) return Option.none()
              return Option.some(yield* effect)
            })
          )
          .pipe(
            Effect.catchIf(SqlError.isSqlError, Effect.die),
            Effect.withSpan("Inbox.once", { attributes: { consumer, eventId } })
          )
    })
  })
)

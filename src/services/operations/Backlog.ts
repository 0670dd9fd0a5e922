import { Clock, Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Outbox } from "../../domain/events/Outbox.ts"

/**
 * What operators watch: the outbox's backlog (Outbox.lag, as the goticket_outbox_* metrics report it) and the saga
 * executions not complete, by status, from the PostgreSQL workflow engine's table (migrations/0012).
 */
export class Backlog extends Context.Service<Backlog>()("goticket/Backlog", {
  make: Effect.gen(function* () {
    const outbox = yield* Outbox
    const sql = yield* SqlClient.SqlClient
    const figures = Effect.fn("Backlog.figures")(function* () {
      const lag = yield* outbox.lag
      const rows = yield* sql<{ status: string; count: number }>`
        SELECT status, count(*)::int AS count FROM workflow_executions WHERE status <> 'complete' GROUP BY status`.pipe(
        Effect.orDie
      )
      return {
        at: new Date(yield* Clock.currentTimeMillis),
        outbox: { pending: lag.pending, oldestAgeMs: lag.oldestAgeMs },
        sagas: Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]))
      }
    })
    return { figures } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

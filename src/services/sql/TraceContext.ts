import { Effect, Option } from "effect"
import type { SqlClient, Statement } from "effect/sql"

/** The W3C traceparent of the current span (`00-<trace id>-<span id>-<flags>`), or "" outside any span. */
export const currentTraceparent: Effect.Effect<string> = Effect.map(Effect.option(Effect.currentSpan), (span) =>
  Option.match(span, {
    onNone: () => "",
    onSome: (s) => `00-${s.traceId}-${s.spanId}-${s.sampled ? "01" : "00"}`
  })
)

/**
 * Runs a database function call with the current trace context set for its transaction, so the domain events its
 * triggers write to the outbox carry the request that caused them (migrations/0005_domain_events.sql reads
 * `goticket.traceparent`). The setting is made in a one-row subquery the call is evaluated over, so it costs no
 * extra round trip; `OFFSET 0` keeps the planner from folding it away.
 *
 * `rowsOf` is for functions returning a table (their columns come back as the statement's), `valueOf` for a
 * scalar function (its value comes back as column `value`).
 */
export const tracedCall = (sql: SqlClient.SqlClient) => {
  const over = (tp: string) => sql`(SELECT set_config('goticket.traceparent', ${tp}, true)) AS trace`
  return {
    rowsOf: <A extends object>(call: Statement.Fragment) =>
      Effect.flatMap(
        currentTraceparent,
        (tp) => sql<A>`SELECT (s.r).* FROM (SELECT ${call} AS r FROM ${over(tp)} OFFSET 0) AS s`
      ),
    valueOf: <A>(call: Statement.Fragment) =>
      Effect.flatMap(currentTraceparent, (tp) => sql<{ value: A }>`SELECT ${call} AS value FROM ${over(tp)}`),
    /** The FROM item to join an UPDATE to (`UPDATE t SET … FROM ${trace} WHERE …`). */
    fromItem: Effect.map(currentTraceparent, over)
  }
}

import { Effect, Metric, Option } from "effect"
import { SqlClient } from "effect/sql"
import { EventBus } from "../../domain/events/EventBus.ts"
import type { Outbox } from "../../domain/events/Outbox.ts"
import { refreshOutboxGauges } from "../events/OutboxMetrics.ts"
import { notificationsConsumer } from "../notifications/NotificationsConsumer.ts"
import { DatabaseKind } from "../sql/Database.ts"
import { salesStatsConsumer } from "../stats/SalesStatsConsumer.ts"
import { organizerWebhooksConsumer } from "../webhooks/WebhooksConsumer.ts"
import { dependencyUp } from "./Dependencies.ts"

export const CONSUMERS = [notificationsConsumer.name, salesStatsConsumer.name, organizerWebhooksConsumer.name]
const SAGA_STATUSES = ["runnable", "running", "suspended"] as const
const CONNECTION_STATES = ["active", "idle", "idle in transaction"] as const

export const sagaBacklog = Metric.gauge("goticket_saga_backlog", {
  description: "Saga executions not finished, by status (runnable: due to run; running: leased; suspended: waiting)"
})
export const deadLetters = Metric.gauge("goticket_dead_letters", {
  description: "Events in a consumer's dead-letter queue (replay them with npm run dlq)"
})
export const databaseProbeSeconds = Metric.gauge("goticket_db_probe_seconds", {
  description: "Time of a SELECT 1 through the API's pool at the last scrape: waiting for a connection included"
})
export const databaseConnections = Metric.gauge("goticket_db_connections", {
  description: "Connections to the service's database by state (pg_stat_activity; a PostgreSQL server only)"
})

const within2s = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.timeout(effect, "2 seconds")

const refreshSagas = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ status: string; n: number }>`
    SELECT status, count(*)::int AS n FROM workflow_executions WHERE status <> 'complete' GROUP BY status`
  for (const status of SAGA_STATUSES)
    yield* Metric.update(
      Metric.withAttributes(sagaBacklog, { status }),
      rows.find((row) => row.status === status)?.n ?? 0
    )
}).pipe(within2s, Effect.ignore)

const refreshDeadLetters = Effect.gen(function* () {
  const bus = yield* EventBus
  const depths = yield* Effect.forEach(CONSUMERS, (consumer) =>
    bus.deadLetters(consumer).pipe(Effect.map((letters) => [consumer, letters.length] as const))
  )
  for (const [consumer, depth] of depths) yield* Metric.update(Metric.withAttributes(deadLetters, { consumer }), depth)
}).pipe(
  within2s,
  Effect.matchEffect({
    onFailure: () => Effect.sync(() => dependencyUp.set({ dependency: "broker" }, 0)),
    onSuccess: () => Effect.sync(() => dependencyUp.set({ dependency: "broker" }, 1))
  })
)

const refreshDatabase = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const started = performance.now()
  const up = yield* sql`SELECT 1`.pipe(
    within2s,
    Effect.as(1),
    Effect.orElseSucceed(() => 0)
  )
  dependencyUp.set({ dependency: "database" }, up)
  yield* Metric.update(databaseProbeSeconds, (performance.now() - started) / 1000)
  const kind = yield* Effect.serviceOption(DatabaseKind)
  if (up === 0 || Option.getOrUndefined(kind) !== "server") return
  const rows = yield* sql<{ state: string; n: number }>`
    SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND backend_type = 'client backend' GROUP BY 1`
  for (const state of CONNECTION_STATES)
    yield* Metric.update(
      Metric.withAttributes(databaseConnections, { state }),
      rows.find((row) => row.state === state)?.n ?? 0
    )
}).pipe(within2s, Effect.ignore)

/**
 * What is read when /metrics is scraped rather than kept up to date: the outbox, the saga backlog, the dead-letter
 * depths (which also tell whether the broker answers) and the database. Run concurrently, each bounded to 2 s;
 * never fails the scrape.
 */
export const refreshScrapeGauges = Effect.all(
  [refreshOutboxGauges, refreshSagas, refreshDeadLetters, refreshDatabase],
  {
    concurrency: "unbounded",
    discard: true
  }
)

/** The series above at zero from start-up (before the first scrape has read them). */
export const zeroScrapeGauges = Effect.all(
  [
    ...SAGA_STATUSES.map((status) => Metric.value(Metric.withAttributes(sagaBacklog, { status }))),
    ...CONSUMERS.map((consumer) => Metric.value(Metric.withAttributes(deadLetters, { consumer }))),
    Metric.value(databaseProbeSeconds)
  ],
  { discard: true }
)

export type ScrapeRequirements = SqlClient.SqlClient | EventBus | Outbox

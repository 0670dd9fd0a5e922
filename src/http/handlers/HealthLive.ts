import { HttpApiBuilder } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Duration, Effect, Metric } from "effect"
import { Outbox } from "../../domain/events/Outbox.ts"
import { outboxLagSeconds, outboxPending } from "../../services/events/OutboxRelay.ts"
import { prometheusText } from "../../services/observability/PrometheusText.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { NotReady } from "../api/HealthApi.ts"

export const HealthLive = HttpApiBuilder.group(GoTicketApi, "health", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    // The lag is read at scrape time, so that an API-only process (no relay) reports it too.
    const refreshOutboxGauges = outbox.lag.pipe(
      Effect.tap(({ pending, oldestAgeMs }) =>
        Effect.all([Metric.set(outboxPending, pending), Metric.set(outboxLagSeconds, oldestAgeMs / 1000)])
      ),
      Effect.timeout("2 seconds"),
      Effect.catchAllCause(() => Effect.void)
    )
    return handlers
      .handle("metrics", () => Effect.zipRight(refreshOutboxGauges, prometheusText))
      .handle("live", () => Effect.succeed({ status: "ok" as const, checks: {} }))
      .handle("ready", () =>
        sql`SELECT 1`.pipe(
          Effect.timeoutFail({
            duration: Duration.seconds(2),
            onTimeout: () => new NotReady({ message: "the database did not answer within 2 s" })
          }),
          Effect.catchTag("SqlError", (e) =>
            Effect.fail(new NotReady({ message: `the database is unreachable: ${e.message}` }))
          ),
          Effect.as({ status: "ok" as const, checks: { database: "ok" } })
        )
      )
  })
)

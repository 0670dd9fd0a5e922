import { HttpApiBuilder } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import { Duration, Effect } from "effect"
import { Outbox } from "../../domain/events/Outbox.ts"
import { refreshOutboxGauges } from "../../services/events/OutboxMetrics.ts"
import { prometheusText } from "../../services/observability/PrometheusText.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { NotReady } from "../api/HealthApi.ts"

export const HealthLive = HttpApiBuilder.group(GoTicketApi, "health", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    return handlers
      .handle("metrics", () =>
        Effect.zipRight(Effect.provideService(refreshOutboxGauges, Outbox, outbox), prometheusText)
      )
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

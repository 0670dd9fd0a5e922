import { Duration, Effect } from "effect"
import { HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { SqlClient } from "effect/sql"
import { Unauthenticated } from "../../domain/accounts/errors.ts"
import { EventBus } from "../../domain/events/EventBus.ts"
import { Outbox } from "../../domain/events/Outbox.ts"
import { metricsText } from "../../services/observability/Metrics.ts"
import { refreshScrapeGauges } from "../../services/observability/ScrapeGauges.ts"
import { MetricsTokenConfig, scraperAllowed } from "../../services/observability/ScraperToken.ts"
import { DatabaseKind } from "../../services/sql/Database.ts"
import { Readiness } from "../../services/startup/Readiness.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { NotReady } from "../api/HealthApi.ts"

export const HealthLive = HttpApiBuilder.group(GoTicketApi, "health", (handlers) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    const bus = yield* EventBus
    const kind = yield* DatabaseKind
    const readiness = yield* Readiness
    const token = yield* MetricsTokenConfig
    const scraperAllowedHere = Effect.gen(function* () {
      const header = (yield* HttpServerRequest.HttpServerRequest).headers.authorization
      if (!scraperAllowed(token, header))
        return yield* new Unauthenticated({ message: "send the metrics token: Authorization: Bearer <METRICS_TOKEN>" })
    })
    return handlers
      .handle("metrics", () =>
        scraperAllowedHere.pipe(
          Effect.andThen(
            refreshScrapeGauges.pipe(
              Effect.provideService(Outbox, outbox),
              Effect.provideService(EventBus, bus),
              Effect.provideService(SqlClient.SqlClient, sql),
              Effect.provideService(DatabaseKind, kind)
            )
          ),
          Effect.andThen(metricsText)
        )
      )
      .handle("live", () => Effect.succeed({ status: "ok" as const, checks: {} }))
      .handle("ready", () =>
        Effect.gen(function* () {
          if (!(yield* readiness.isReady))
            return yield* new NotReady({
              message: "starting: the start-up tasks (admin account, demo data) are running"
            })
        }).pipe(
          Effect.andThen(sql`SELECT 1`),
          Effect.timeoutOrElse({
            duration: Duration.seconds(2),
            orElse: () => Effect.fail(new NotReady({ message: "the database did not answer within 2 s" }))
          }),
          Effect.catchTag("SqlError", (e) =>
            Effect.fail(new NotReady({ message: `the database is unreachable: ${e.message}` }))
          ),
          Effect.as({ status: "ok" as const, checks: { database: "ok" } })
        )
      )
  })
)

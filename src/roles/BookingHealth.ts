import { createHash, timingSafeEqual } from "node:crypto"
import { Config, Duration, Effect, Layer, Option, Redacted } from "effect"
import { HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { SqlClient } from "effect/sql"
import { EventBus } from "../domain/events/EventBus.ts"
import { Outbox } from "../domain/events/Outbox.ts"
import { metricsText } from "../services/observability/Metrics.ts"
import { refreshScrapeGauges } from "../services/observability/ScrapeGauges.ts"
import { DatabaseKind } from "../services/sql/Database.ts"
import { Readiness } from "../services/startup/Readiness.ts"

const json = (status: number, body: unknown) => HttpServerResponse.jsonUnsafe(body, { status })

/**
 * The booking role serves no REST API; its HTTP listener (HOST:PORT) answers only the probes and the scraper, with
 * the bodies the REST role gives them: `GET /health/live`, `GET /health/ready` (503 until the RPC listener is up,
 * then the database within 2 s), `GET /metrics` (METRICS_TOKEN as its bearer when set). Anything else is 404.
 */
export const BookingHealthLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const outbox = yield* Outbox
    const bus = yield* EventBus
    const kind = yield* DatabaseKind
    const readiness = yield* Readiness
    const token = yield* Config.option(Config.Redacted("METRICS_TOKEN"))
    const digest = (text: string) => createHash("sha256").update(text).digest()

    const ready = Effect.gen(function* () {
      if (!(yield* readiness.isReady)) return json(503, { _tag: "NotReady", message: "starting" })
      return yield* sql`SELECT 1`.pipe(
        Effect.as(json(200, { status: "ok", checks: { database: "ok" } })),
        Effect.timeoutOrElse({
          duration: Duration.seconds(2),
          orElse: () =>
            Effect.succeed(json(503, { _tag: "NotReady", message: "the database did not answer within 2 s" }))
        }),
        Effect.catchTag("SqlError", (e) =>
          Effect.succeed(json(503, { _tag: "NotReady", message: `the database is unreachable: ${e.message}` }))
        )
      )
    })

    const metrics = (authorization: string) =>
      Option.isSome(token) && !timingSafeEqual(digest(authorization), digest(`Bearer ${Redacted.value(token.value)}`))
        ? Effect.succeed(json(401, { _tag: "Unauthenticated", message: "send the metrics token" }))
        : refreshScrapeGauges.pipe(
            Effect.provideService(Outbox, outbox),
            Effect.provideService(EventBus, bus),
            Effect.provideService(SqlClient.SqlClient, sql),
            Effect.provideService(DatabaseKind, kind),
            Effect.andThen(metricsText),
            Effect.map((text) =>
              HttpServerResponse.text(text, { contentType: "text/plain; version=0.0.4; charset=utf-8" })
            )
          )

    yield* HttpServer.serveEffect(
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const path = new URL(request.url, "http://booking").pathname
        if (request.method !== "GET") return json(404, { _tag: "NotFound", message: "the booking role serves RPC" })
        if (path === "/health/live") return json(200, { status: "ok", checks: {} })
        if (path === "/health/ready") return yield* ready
        if (path === "/metrics") return yield* metrics(request.headers.authorization ?? "")
        return json(404, { _tag: "NotFound", message: "the booking role serves RPC (RPC_PORT), not REST" })
      })
    )
  })
)

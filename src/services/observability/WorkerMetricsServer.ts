import { createServer } from "node:http"
import { Config, Effect, Layer } from "effect"
import { metricsText } from "./Metrics.ts"
import { refreshScrapeGauges } from "./ScrapeGauges.ts"
import { MetricsTokenConfig, scraperAllowed } from "./ScraperToken.ts"

/**
 * WORKER_METRICS_PORT (default 9464, the usual port of a Prometheus exporter; `0` turns it off) on HOST (default
 * 127.0.0.1): the worker role (`npm run worker`) has no HTTP API, so it serves `GET /metrics` (its consumers, relay,
 * sagas, process; the same METRICS_TOKEN rule as the API) and `GET /health/live` on a small listener of its own.
 * A port already taken (a second worker on one host) is logged and the worker runs on without it.
 */
export const WorkerMetricsConfig = Config.all({
  port: Config.Port("WORKER_METRICS_PORT").pipe(Config.withDefault(9464)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1"))
})

export const WorkerMetricsServerLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const { port, host } = yield* WorkerMetricsConfig
    if (port === 0) return
    const token = yield* MetricsTokenConfig
    const context = yield* Effect.context<Effect.Services<typeof refreshScrapeGauges>>()
    const scrape = refreshScrapeGauges.pipe(Effect.andThen(metricsText), Effect.provideContext(context))
    const server = createServer((request, response) => {
      const path = (request.url ?? "/").split("?")[0]
      if (request.method !== "GET" || (path !== "/metrics" && path !== "/health/live")) {
        response.writeHead(404, { "content-type": "application/json" }).end('{"message":"not found"}')
        return
      }
      if (path === "/health/live") {
        response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok","checks":{}}')
        return
      }
      if (!scraperAllowed(token, request.headers.authorization)) {
        response
          .writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" })
          .end('{"message":"send the metrics token: Authorization: Bearer <METRICS_TOKEN>"}')
        return
      }
      Effect.runPromise(scrape).then(
        (text) => response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(text),
        () => response.writeHead(500).end()
      )
    })
    const listening = yield* Effect.acquireRelease(
      Effect.callback<boolean>((resume) => {
        server.once("error", (error) => {
          resume(Effect.as(Effect.logWarning(`worker metrics not served on ${host}:${port}: ${error.message}`), false))
        })
        server.listen(port, host, () => resume(Effect.succeed(true)))
      }),
      (served) =>
        served ? Effect.callback<void>((resume) => void server.close(() => resume(Effect.void))) : Effect.void
    )
    if (listening) yield* Effect.logInfo(`worker metrics on http://${host}:${port}/metrics`)
  })
)

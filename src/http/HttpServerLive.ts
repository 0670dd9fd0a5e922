import { createServer } from "node:http"
import { HttpApiBuilder, HttpApiScalar, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { type Config, Effect, Layer } from "effect"
import { AppConfig } from "../services/config/AppConfig.ts"
import { GoTicketApi } from "./api/GoTicketApi.ts"
import { answerClientError } from "./ClientErrors.ts"
import { CorsLive } from "./Cors.ts"
import { AdminLive } from "./handlers/AdminLive.ts"
import { AuditLive } from "./handlers/AuditLive.ts"
import { AuthenticationLive, OptionalAuthenticationLive, RouteTaggerLive } from "./handlers/AuthenticationLive.ts"
import { AuthLive, MeLive } from "./handlers/AuthLive.ts"
import { EventsLive } from "./handlers/EventsLive.ts"
import { HealthLive } from "./handlers/HealthLive.ts"
import { CheckInsLive, OrdersLive, PaymentsLive, TicketsLive } from "./handlers/OrdersLive.ts"
import { OrganizerLive } from "./handlers/OrganizerLive.ts"
import { PrivacyLive } from "./handlers/PrivacyLive.ts"
import { ReservationsLive } from "./handlers/ReservationsLive.ts"
import { WebhooksLive } from "./handlers/WebhooksLive.ts"
import { errorTranslation, requestLogging } from "./RequestPipeline.ts"
import { ServerLimits } from "./ServerLimits.ts"
import { makeTrafficGate } from "./TrafficGate.ts"

/** In-flight requests get this long to finish after SIGTERM before their connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000

export const ApiLive = HttpApiBuilder.api(GoTicketApi).pipe(
  Layer.provide([
    HealthLive,
    AdminLive,
    AuditLive,
    AuthLive,
    MeLive,
    PrivacyLive,
    EventsLive,
    OrganizerLive,
    ReservationsLive,
    OrdersLive,
    TicketsLive,
    CheckInsLive,
    PaymentsLive,
    WebhooksLive
  ]),
  Layer.provide([AuthenticationLive, OptionalAuthenticationLive, RouteTaggerLive])
)

/** The API with its OpenAPI document (/openapi.json), the docs page (/docs) and the request pipeline. */
export const HttpAppLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const gate = yield* makeTrafficGate
    return HttpApiBuilder.serve(requestLogging(config.maxBodyBytes, gate)).pipe(
      Layer.provide(HttpApiScalar.layer({ path: "/docs" })),
      Layer.provide(CorsLive),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
      Layer.provide(HttpApiBuilder.middleware(errorTranslation(config.maxBodyBytes))),
      Layer.provide(ApiLive)
    )
  })
)

const makeNodeServer = (limits: Config.Config.Success<typeof ServerLimits>) => () => {
  const server = createServer({
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout: Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs),
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
    // Request headers above 16 KiB in all are refused by Node with 431 before they reach the application.
    maxHeaderSize: 16_384
  })
  server.on("clientError", answerClientError)
  // server.close() (run when the layer is released) stops accepting and waits for in-flight requests;
  // past the grace period the remaining connections are cut so shutdown always ends.
  process.once("SIGTERM", () => setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref())
  return server
}

export const NodeServerLive = Layer.unwrapEffect(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const limits = yield* ServerLimits
    return NodeHttpServer.layer(makeNodeServer(limits), { port: config.port, host: config.host })
  })
)

/** Logs where the API and its docs are, once the server listens. */
export const AnnounceAddress = Layer.effectDiscard(
  HttpServer.addressFormattedWith((address) =>
    Effect.logInfo(`GoTicket is serving on ${address}; API docs at ${address}/docs`)
  )
)

import { createServer, type Server } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { type Config, Effect, Layer } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { PublicBaseUrl } from "../services/accounts/PublicBaseUrl.ts"
import { AppConfig } from "../services/config/AppConfig.ts"
import { OrderWatch } from "../services/orders/OrderWatch.ts"
import { allowedMethods } from "./AllowedMethods.ts"
import { GoTicketApi } from "./api/GoTicketApi.ts"
import { answerClientError } from "./ClientErrors.ts"
import { CorsLive, CorsOrigins } from "./Cors.ts"
import { DocsPageLive } from "./DocsPage.ts"
import { FrontDoor, makeFrontDoor } from "./FrontDoor.ts"
import { LeanHoldRouteConfig, makeHoldRoute } from "./HoldRoute.ts"
import { AccountRecoveryLive, AccountSecurityLive } from "./handlers/AccountSecurityLive.ts"
import { AdminLive } from "./handlers/AdminLive.ts"
import { AuditLive } from "./handlers/AuditLive.ts"
import {
  AuthenticationLive,
  GatewayErrorsLive,
  OptionalAuthenticationLive,
  OrganizerAuthenticationLive,
  RouteTaggerLive
} from "./handlers/AuthenticationLive.ts"
import { AuthLive, MeLive } from "./handlers/AuthLive.ts"
import { EventsLive } from "./handlers/EventsLive.ts"
import { HealthLive } from "./handlers/HealthLive.ts"
import { CheckInsLive, OrdersLive, PaymentsLive, TicketsLive } from "./handlers/OrdersLive.ts"
import { OrganizerApiKeysLive } from "./handlers/OrganizerApiKeysLive.ts"
import { OrganizerLive } from "./handlers/OrganizerLive.ts"
import { OrganizerOrdersLive } from "./handlers/OrganizerOrdersLive.ts"
import { PrivacyLive } from "./handlers/PrivacyLive.ts"
import { ReservationsLive } from "./handlers/ReservationsLive.ts"
import { ServiceKeysLive } from "./handlers/ServiceKeysLive.ts"
import { VouchersLive } from "./handlers/VouchersLive.ts"
import { WaitingListsLive } from "./handlers/WaitingListsLive.ts"
import { WebhooksLive } from "./handlers/WebhooksLive.ts"
import { errorTranslation, requestLogging } from "./RequestPipeline.ts"
import { ServerLimits } from "./ServerLimits.ts"
import { makeTrafficGate } from "./TrafficGate.ts"

/** In-flight requests get this long to finish after SIGTERM before their connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000

/** The middleware of the contract; the routes are built with them, so they are provided to every group. */
const ApiMiddlewareLive = Layer.mergeAll(
  AuthenticationLive,
  OptionalAuthenticationLive,
  OrganizerAuthenticationLive,
  RouteTaggerLive,
  GatewayErrorsLive
)

/** The API's routes and its OpenAPI document (/openapi.json). */
export const ApiLive = HttpApiBuilder.layer(GoTicketApi, { openapiPath: "/openapi.json" }).pipe(
  Layer.provide(
    Layer.mergeAll(
      HealthLive,
      AdminLive,
      ServiceKeysLive,
      AuditLive,
      AuthLive,
      MeLive,
      AccountRecoveryLive,
      AccountSecurityLive,
      PrivacyLive,
      EventsLive,
      OrganizerLive,
      OrganizerApiKeysLive,
      OrganizerOrdersLive,
      ReservationsLive,
      OrdersLive,
      TicketsLive,
      CheckInsLive,
      PaymentsLive,
      WebhooksLive,
      VouchersLive,
      WaitingListsLive
    ).pipe(Layer.provide(ApiMiddlewareLive))
  )
)

/**
 * On shutdown, before the server waits (up to its grace period) for the requests in flight: order status streams
 * end and long-polls answer, as they would otherwise hold the shutdown for the whole grace period. Built after the
 * server, so released before it.
 */
const EndWaitsOnShutdown = Layer.effectDiscard(
  Effect.gen(function* () {
    const watch = yield* OrderWatch
    yield* Effect.addFinalizer(() => watch.endAllWaits)
  })
)

/**
 * The lean route of `POST /v1/reservations` in the server's front door (HoldRoute.ts), unless LEAN_HOLD_ROUTE=off.
 * Built after the generic stack serves (it hands that stack what it does not take), removed before it stops.
 */
const HoldRouteLive = Layer.effectDiscard(
  Effect.gen(function* () {
    if (!(yield* LeanHoldRouteConfig)) return
    const door = yield* FrontDoor
    const route = yield* makeHoldRoute({
      corsEnabled: (yield* CorsOrigins).length > 0,
      maxBodyBytes: (yield* AppConfig).maxBodyBytes
    })
    yield* Effect.acquireRelease(
      Effect.sync(() => door.install(route)),
      (uninstall) => Effect.sync(uninstall)
    )
  })
)

/**
 * The API with its OpenAPI document (/openapi.json), the docs page (/docs) and the request pipeline: the request
 * logging (with the traffic gate) around everything, the error translation around the router. The pipeline writes
 * its own log line per request, so the framework's request logger is off.
 */
export const HttpAppLive = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const gate = yield* makeTrafficGate
    const routes = Layer.mergeAll(
      ApiLive,
      DocsPageLive,
      CorsLive,
      HttpRouter.middleware(errorTranslation(config.maxBodyBytes, allowedMethods), { global: true })
    )
    return Layer.mergeAll(EndWaitsOnShutdown, HoldRouteLive).pipe(
      Layer.provideMerge(
        HttpRouter.serve(routes, {
          disableLogger: true,
          disableListenLog: true,
          middleware: requestLogging(config.maxBodyBytes, gate)
        })
      )
    )
  })
)

const makeNodeServer = (limits: Config.Success<typeof ServerLimits>, attach: (server: Server) => Server) => () => {
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
  return attach(server)
}

/** The Node HTTP server, with its front door (FrontDoor.ts) for the routes served ahead of the Effect stack. */
export const NodeServerLive = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const limits = yield* ServerLimits
    const { attach, door } = makeFrontDoor()
    return Layer.merge(
      NodeHttpServer.layer(makeNodeServer(limits, attach), {
        port: config.port,
        host: config.host,
        gracefulShutdownTimeout: SHUTDOWN_GRACE_MS
      }),
      Layer.succeed(FrontDoor, door)
    )
  })
)

/** Once the server listens, mail links (without PUBLIC_BASE_URL) point at its address. */
export const PublishOwnAddress = Layer.effectDiscard(
  HttpServer.addressFormattedWith((address) =>
    Effect.gen(function* () {
      yield* (yield* PublicBaseUrl).listening(address)
    })
  )
)

/** Logs where the API and its docs are, and how long the process took to get there: said once it is ready. */
export const announceReady = HttpServer.addressFormattedWith((address) =>
  Effect.logInfo(
    `GoTicket is ready on ${address}; API docs at ${address}/docs (started in ${process.uptime().toFixed(1)} s)`
  )
)

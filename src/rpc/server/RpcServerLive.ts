import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Config, Context, Effect, Layer, Option } from "effect"
import { HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { RpcSerialization, RpcServer } from "effect/rpc"
import { validate } from "../../services/config/validate.ts"
import { Door } from "../../services/door/Door.ts"
import { Availability } from "../../services/inventory/Availability.ts"
import { Backlog } from "../../services/operations/Backlog.ts"
import { Support } from "../../services/support/Support.ts"
import { GoTicketRpcs } from "../contract/index.ts"
import { makeMsgpack } from "../Msgpack.ts"
import { BookingHandlersLive } from "./BookingHandlers.ts"
import { DoorHandlersLive } from "./DoorHandlers.ts"
import { GatewayHandlersLive } from "./GatewayHandlers.ts"
import { InventoryHandlersLive } from "./InventoryHandlers.ts"
import { OperationsHandlersLive } from "./OperationsHandlers.ts"
import { ServiceAuthLive } from "./ServiceAuthLive.ts"
import { SupportHandlersLive } from "./SupportHandlers.ts"

/** RPC_PORT (unset: no RPC listener; 0 picks a free one) and RPC_HOST (default loopback: internal callers only). */
export const RpcListenerConfig = Config.all({
  port: Config.option(
    Config.Int("RPC_PORT").pipe(
      validate({
        message: "RPC_PORT must be a port number (0 picks a free one)",
        validation: (n) => n >= 0 && n <= 65535
      })
    )
  ),
  host: Config.String("RPC_HOST").pipe(Config.withDefault("127.0.0.1"))
})

/** The largest frame (one message, or a message's unfinished bytes) a client may send: larger ones are refused. */
export const MAX_RPC_FRAME_BYTES = 1024 * 1024
/** Messages of one response waiting for a slow HTTP reader before the stream behind them waits (backpressure). */
const STREAM_BUFFER = 16

/** Where the RPC listener listens (`http://host:port`), once it does; undefined without RPC_PORT. */
export class RpcAddress extends Context.Service<RpcAddress, { readonly url: string | undefined }>()(
  "goticket/rpc/RpcAddress"
) {}

const serializations = {
  ndjson: RpcSerialization.makeNdjson({ maxBufferSize: MAX_RPC_FRAME_BYTES }),
  msgpack: makeMsgpack({ maxBufferSize: MAX_RPC_FRAME_BYTES })
} as const

const withSerialization = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  kind: keyof typeof serializations
): Effect.Effect<A, E, Exclude<R, RpcSerialization.RpcSerialization>> =>
  Effect.provideService(effect, RpcSerialization.RpcSerialization, serializations[kind])

/** Every group's handlers, with the services only RPC uses, over the application's services. */
export const RpcHandlersLive = Layer.mergeAll(
  InventoryHandlersLive,
  BookingHandlersLive,
  DoorHandlersLive,
  SupportHandlersLive,
  OperationsHandlersLive,
  GatewayHandlersLive,
  ServiceAuthLive
).pipe(Layer.provide(Layer.mergeAll(Availability.layer, Door.layer, Support.layer, Backlog.layer)))

/**
 * The internal RPC endpoint, one route per protocol, the serialisation chosen by the client:
 * - `POST /rpc`: HTTP, `content-type: application/msgpack` for MessagePack, else NDJSON (`application/x-ndjson`);
 *   a streamed procedure's messages come in the response body as they happen.
 * - `GET /rpc/ws?serialization=msgpack|ndjson` (default ndjson): WebSocket, many calls over one connection.
 * Both protocols serve the whole GoTicketRpcs group, every call behind ServiceAuth.
 */
export const rpcApp = Effect.gen(function* () {
  const options = { spanPrefix: "rpc", streamBufferSize: STREAM_BUFFER } as const
  const http = {
    ndjson: yield* withSerialization(RpcServer.toHttpEffect(GoTicketRpcs, options), "ndjson"),
    msgpack: yield* withSerialization(RpcServer.toHttpEffect(GoTicketRpcs, options), "msgpack")
  }
  const ws = {
    ndjson: yield* withSerialization(RpcServer.toHttpEffectWebsocket(GoTicketRpcs, options), "ndjson"),
    msgpack: yield* withSerialization(RpcServer.toHttpEffectWebsocket(GoTicketRpcs, options), "msgpack")
  }
  return Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, "http://rpc")
    const path = url.pathname.replace(/\/+$/, "")
    if (path === "/rpc" && request.method === "POST")
      return yield* (request.headers["content-type"] ?? "").startsWith(serializations.msgpack.contentType)
        ? http.msgpack
        : http.ndjson
    if (path === "/rpc/ws" && request.method === "GET")
      return yield* url.searchParams.get("serialization") === "msgpack" ? ws.msgpack : ws.ndjson
    return HttpServerResponse.text("not found: POST /rpc or GET /rpc/ws", { status: 404 })
  })
})

/** The RPC listener on RPC_HOST:RPC_PORT, its own HTTP server beside the REST one; nothing when RPC_PORT is unset. */
export const RpcServerLive = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* RpcListenerConfig
    if (Option.isNone(config.port)) return Layer.succeed(RpcAddress, { url: undefined })
    const serve = Layer.effectContext(
      Effect.gen(function* () {
        const app = yield* rpcApp
        yield* HttpServer.serveEffect(app)
        const url = yield* HttpServer.addressFormattedWith((address) => Effect.succeed(address))
        yield* Effect.logInfo(`internal RPC on ${url}/rpc (HTTP) and ${url.replace(/^http/, "ws")}/rpc/ws`)
        return Context.make(RpcAddress, { url: url as string | undefined })
      })
    )
    return serve.pipe(
      Layer.provide(NodeHttpServer.layer(() => createServer(), { port: config.port.value, host: config.host }))
    )
  })
)

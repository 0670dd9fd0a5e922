/**
 * GoTicket's internal RPC client: a typed client Layer per group, over HTTP or WebSocket, MessagePack or NDJSON.
 * Imports the contract and the library only (no server, no database), so any internal system can use it.
 *
 * ```ts
 * const layer = BookingClient.layer.pipe(Layer.provide(rpcConnection({ url: "http://127.0.0.1:3100", key })))
 * const order = yield* (yield* BookingClient).GetOrder({ customerId, orderId })
 * ```
 */
import { Context, Layer, Redacted } from "effect"
import { FetchHttpClient, Headers } from "effect/http"
import { RpcClient, RpcMiddleware, RpcSerialization } from "effect/rpc"
import type { RpcClientError } from "effect/rpc/RpcClientError"
import { Socket } from "effect/socket"
import { BookingRpcs } from "../contract/Booking.ts"
import { ServiceAuth } from "../contract/Common.ts"
import { DoorRpcs } from "../contract/Door.ts"
import { InventoryRpcs } from "../contract/Inventory.ts"
import { OperationsRpcs } from "../contract/Operations.ts"
import { SupportRpcs } from "../contract/Support.ts"
import { makeMsgpack } from "../Msgpack.ts"

export * from "../contract/index.ts"

export interface RpcConnection {
  /** The RPC listener, `http://host:port` (RPC_HOST:RPC_PORT of the service). */
  readonly url: string
  /** The caller's service key (`gtk_…`), sent with every call. */
  readonly key: string | Redacted.Redacted<string>
  /** `http` (default): a request per call, streams in the response body. `websocket`: one connection for all. */
  readonly protocol?: "http" | "websocket" | undefined
  /** `msgpack` (default) or `ndjson`. */
  readonly serialization?: "msgpack" | "ndjson" | undefined
}

/** Sends the key with every call (the client side of ServiceAuth). */
export const serviceKeyAuth = (key: string | Redacted.Redacted<string>) =>
  RpcMiddleware.layerClient(ServiceAuth, ({ request, next }) =>
    next({
      ...request,
      headers: Headers.set(
        request.headers,
        "authorization",
        `Bearer ${Redacted.isRedacted(key) ? Redacted.value(key) : key}`
      )
    })
  )

/** The transport and the key, for any of the group clients below. */
export const rpcConnection = (connection: RpcConnection) => {
  const serialization = connection.serialization ?? "msgpack"
  const serializationLayer = Layer.succeed(
    RpcSerialization.RpcSerialization,
    serialization === "msgpack" ? makeMsgpack() : RpcSerialization.ndjson
  )
  const base = connection.url.replace(/\/+$/, "")
  const protocol =
    connection.protocol === "websocket"
      ? RpcClient.layerProtocolSocket({ retryTransientErrors: true }).pipe(
          Layer.provide(
            Socket.layerWebSocket(`${base.replace(/^http/, "ws")}/rpc/ws?serialization=${serialization}`).pipe(
              Layer.provide(Socket.layerWebSocketConstructorGlobal)
            )
          )
        )
      : RpcClient.layerProtocolHttp({ url: `${base}/rpc` }).pipe(Layer.provide(FetchHttpClient.layer))
  return Layer.mergeAll(protocol.pipe(Layer.provide(serializationLayer)), serviceKeyAuth(connection.key))
}

export class InventoryClient extends Context.Service<
  InventoryClient,
  RpcClient.FromGroup<typeof InventoryRpcs, RpcClientError>
>()("goticket/rpc/InventoryClient") {
  static readonly layer = Layer.effect(InventoryClient, RpcClient.make(InventoryRpcs))
}

export class BookingClient extends Context.Service<
  BookingClient,
  RpcClient.FromGroup<typeof BookingRpcs, RpcClientError>
>()("goticket/rpc/BookingClient") {
  static readonly layer = Layer.effect(BookingClient, RpcClient.make(BookingRpcs))
}

export class DoorClient extends Context.Service<DoorClient, RpcClient.FromGroup<typeof DoorRpcs, RpcClientError>>()(
  "goticket/rpc/DoorClient"
) {
  static readonly layer = Layer.effect(DoorClient, RpcClient.make(DoorRpcs))
}

export class SupportClient extends Context.Service<
  SupportClient,
  RpcClient.FromGroup<typeof SupportRpcs, RpcClientError>
>()("goticket/rpc/SupportClient") {
  static readonly layer = Layer.effect(SupportClient, RpcClient.make(SupportRpcs))
}

export class OperationsClient extends Context.Service<
  OperationsClient,
  RpcClient.FromGroup<typeof OperationsRpcs, RpcClientError>
>()("goticket/rpc/OperationsClient") {
  static readonly layer = Layer.effect(OperationsClient, RpcClient.make(OperationsRpcs))
}

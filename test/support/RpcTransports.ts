import { Effect, Layer } from "effect"
import type { RpcClient } from "effect/rpc"
import { RpcTest } from "effect/rpc"
import type { RpcClientError } from "effect/rpc/RpcClientError"
import {
  BookingClient,
  BookingRpcs,
  DoorClient,
  DoorRpcs,
  InventoryClient,
  InventoryRpcs,
  OperationsClient,
  OperationsRpcs,
  type RpcConnection,
  rpcConnection,
  SupportClient,
  SupportRpcs,
  serviceKeyAuth
} from "../../src/rpc/client/index.ts"
import { RpcAddress, RpcHandlersLive } from "../../src/rpc/server/RpcServerLive.ts"

/**
 * How a suite reaches the RPC server: in memory (RpcTest: the client wired straight to the handlers and the
 * ServiceAuth middleware, no transport, no serialisation), or over the listener by HTTP or WebSocket.
 */
export type RpcTransport =
  | { readonly protocol: "in-memory" }
  | { readonly protocol: "http" | "websocket"; readonly serialization: "msgpack" | "ndjson" }

export const transportName = (transport: RpcTransport) =>
  transport.protocol === "in-memory" ? "in memory (RpcTest)" : `${transport.protocol} + ${transport.serialization}`

/** The three ways, with both serialisations over the network. */
export const ALL_TRANSPORTS: ReadonlyArray<RpcTransport> = [
  { protocol: "in-memory" },
  { protocol: "http", serialization: "ndjson" },
  { protocol: "http", serialization: "msgpack" },
  { protocol: "websocket", serialization: "ndjson" },
  { protocol: "websocket", serialization: "msgpack" }
]

export type RpcClients = BookingClient | InventoryClient | DoorClient | SupportClient | OperationsClient

/** RpcTest's client has no transport to fail; the group clients' type allows an RpcClientError. */
const inMemory = <C>(client: C) => client as unknown as RpcClient.RpcClient<never, RpcClientError>

const inMemoryClients = Layer.mergeAll(
  Layer.effect(BookingClient, Effect.map(RpcTest.makeClient(BookingRpcs), inMemory) as never),
  Layer.effect(InventoryClient, Effect.map(RpcTest.makeClient(InventoryRpcs), inMemory) as never),
  Layer.effect(DoorClient, Effect.map(RpcTest.makeClient(DoorRpcs), inMemory) as never),
  Layer.effect(SupportClient, Effect.map(RpcTest.makeClient(SupportRpcs), inMemory) as never),
  Layer.effect(OperationsClient, Effect.map(RpcTest.makeClient(OperationsRpcs), inMemory) as never)
) as Layer.Layer<RpcClients>

const networkClients = Layer.mergeAll(
  BookingClient.layer,
  InventoryClient.layer,
  DoorClient.layer,
  SupportClient.layer,
  OperationsClient.layer
)

/**
 * Runs `effect` with every group's client, calling with `key` over `transport`. In memory needs the handlers in the
 * context (`withRpcHandlers`); the network needs the server's listener (RpcAddress).
 */
export const withClients = <A, E>(
  transport: RpcTransport,
  key: string,
  effect: Effect.Effect<A, E, RpcClients>
): Effect.Effect<A, E, RpcAddress | Layer.Success<typeof RpcHandlersLive>> =>
  Effect.gen(function* () {
    if (transport.protocol === "in-memory")
      return yield* Effect.scoped(Effect.provide(effect, inMemoryClients.pipe(Layer.provide(serviceKeyAuth(key)))))
    const { url } = yield* RpcAddress
    if (url === undefined) return yield* Effect.die("the RPC listener is off")
    const connection: RpcConnection = { ...transport, url, key }
    return yield* Effect.scoped(Effect.provide(effect, networkClients.pipe(Layer.provide(rpcConnection(connection)))))
  })

/** A test server's layer with the RPC handlers (and the ServiceAuth middleware) in its context, for RpcTest. */
export const withRpcHandlers = <A, E, R>(server: Layer.Layer<A, E, R>) =>
  RpcHandlersLive.pipe(Layer.provideMerge(server))

import { Cause, Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import {
  BookingClient,
  DoorClient,
  InventoryClient,
  OperationsClient,
  rpcConnection,
  SupportClient
} from "../rpc/client/index.ts"

/**
 * What the CLI ends with, and the exit code it gives: 1 the service refused (not found, refund refused…), 2 bad
 * arguments or no connection settings, 3 the service cannot be reached, 4 the key is rejected or lacks the scope.
 */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  message: Schema.String,
  exitCode: Schema.Int
}) {}

export const EXIT = { refused: 1, usage: 2, unreachable: 3, keyRefused: 4 } as const

export const usageError = (message: string) => new CliFailure({ message, exitCode: EXIT.usage })

/**
 * `goticket`: the root command and the flags every command shares (the connection, and `--json` for scripts).
 * The subcommands read them with `yield* goticket`.
 */
export const goticket = Command.make("goticket").pipe(
  Command.withSharedFlags({
    url: Flag.String("url").pipe(
      Flag.withDescription("GoTicket's RPC listener, http://host:port (default: $GOTICKET_RPC_URL)"),
      Flag.withFallbackConfig(Config.String("GOTICKET_RPC_URL")),
      Flag.optional
    ),
    key: Flag.Redacted("key").pipe(
      Flag.withDescription("the service key, gtk_… (default: $GOTICKET_SERVICE_KEY; prefer the variable)"),
      Flag.withFallbackConfig(Config.Redacted("GOTICKET_SERVICE_KEY")),
      Flag.optional
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("print JSON (one document; one line per message when following)"),
      Flag.withDefault(false)
    )
  }),
  Command.withDescription(
    "GoTicket's operator CLI over the internal RPC (HTTP, MessagePack). Exit codes: 0 done, 1 refused by the " +
      "service, 2 bad arguments, 3 service unreachable, 4 key rejected or lacking the scope."
  )
)

export type RpcClients = BookingClient | InventoryClient | DoorClient | SupportClient | OperationsClient

const clients = Layer.mergeAll(
  BookingClient.layer,
  InventoryClient.layer,
  DoorClient.layer,
  SupportClient.layer,
  OperationsClient.layer
)

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)

/** Turns whatever a call failed with into the sentence and exit code an operator gets. */
const classify = (url: string) => (error: unknown) => {
  const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : undefined
  if (error instanceof CliFailure) return error
  if (tag === "RpcClientError")
    return new CliFailure({
      message: `cannot reach GoTicket at ${url}: ${messageOf(error)} (is RPC_PORT set on the service?)`,
      exitCode: EXIT.unreachable
    })
  if (tag === "ServiceKeyRejected" || tag === "ScopeRefused")
    return new CliFailure({ message: `${tag}: ${messageOf(error)}`, exitCode: EXIT.keyRefused })
  return new CliFailure({ message: `${tag ?? "Error"}: ${messageOf(error)}`, exitCode: EXIT.refused })
}

/**
 * Runs `effect` with the group clients over HTTP to `--url` with `--key`; its failures become CliFailures (a
 * defect of the call, e.g. a payload the server could not decode, is one too: exit 1 with the server's words).
 */
export const callService = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const root = yield* goticket
    if (Option.isNone(root.url)) return yield* usageError("no RPC URL: set GOTICKET_RPC_URL or pass --url")
    if (Option.isNone(root.key)) return yield* usageError("no service key: set GOTICKET_SERVICE_KEY or pass --key")
    const url = root.url.value
    if (!/^https?:\/\/[^/]+/.test(url))
      return yield* usageError(`"${url}" is not an RPC URL: http://host:port (RPC_HOST:RPC_PORT of the service)`)
    const connection = rpcConnection({ url, key: Redacted.value(root.key.value), serialization: "msgpack" })
    return yield* Effect.scoped(Effect.provide(effect, clients.pipe(Layer.provide(connection)))).pipe(
      Effect.catchCause((cause) => {
        const failure = Cause.findErrorOption(cause)
        if (Option.isSome(failure)) return Effect.fail(classify(url)(failure.value))
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
        const defect = Cause.squash(cause)
        return Effect.fail(
          defect !== null && typeof defect === "object" && "_tag" in defect
            ? classify(url)(defect)
            : new CliFailure({ message: `the call failed: ${messageOf(defect)}`, exitCode: EXIT.refused })
        )
      })
    )
  })

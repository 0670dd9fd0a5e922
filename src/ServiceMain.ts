import { NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Option } from "effect"
import { ApplicationLive, gracefulTeardown, RoleConfig } from "./Application.ts"
import { WorkersConfig } from "./ClusterPrimary.ts"
import { BookingLive } from "./roles/Booking.ts"
import { GatewayLive } from "./roles/Gateway.ts"
import { profileOnSignal } from "./services/diagnostics/ProfileOnSignal.ts"
import { LoggerLive } from "./services/observability/Logging.ts"

/**
 * The service in this process (a whole one, a cluster worker, or one role of the split deployment), started on
 * import by src/main.ts.
 */
const main = Effect.gen(function* () {
  // Refused here with its sentence when invalid (the primary leaves that to the service's start).
  yield* WorkersConfig
  const database = yield* Config.option(Config.String("DATABASE_URL"))
  const payments = yield* Config.option(Config.String("PAYMENT_PROVIDER_URL"))
  // SIGTERM/SIGINT interrupt this fiber: the HTTP server stops accepting and drains, then pools close.
  const role = yield* RoleConfig
  if (role === "gateway" || role === "booking") {
    const set = (name: string) => Effect.map(Config.option(Config.String(name)), Option.isSome)
    const missing = [
      ...(Option.isNone(database) ? ["DATABASE_URL"] : []),
      ...(role === "gateway" && !(yield* set("BOOKING_RPC_URL")) ? ["BOOKING_RPC_URL"] : []),
      ...(role === "gateway" && !(yield* set("BOOKING_SERVICE_KEY")) ? ["BOOKING_SERVICE_KEY"] : []),
      ...(role === "booking" && Option.isNone(payments) ? ["PAYMENT_PROVIDER_URL"] : []),
      ...(role === "booking" && !(yield* set("RPC_PORT")) ? ["RPC_PORT"] : [])
    ]
    if (missing.length > 0) {
      yield* Effect.logError(`ROLE=${role} needs ${missing.join(", ")} (README: Split deployment)`)
      return yield* Effect.sync(() => process.exit(2))
    }
    yield* Effect.logInfo(
      role === "gateway"
        ? "starting the gateway role: REST, the booking services over RPC (BOOKING_RPC_URL)"
        : "starting the booking role: internal RPC over the domain and the database"
    )
    return yield* Layer.launch(role === "gateway" ? GatewayLive : BookingLive)
  }
  return yield* Layer.launch(ApplicationLive)
})

profileOnSignal(process.env.CPU_PROFILE_DIR)
main.pipe(Effect.provide(LoggerLive), NodeRuntime.runMain({ teardown: gracefulTeardown }))

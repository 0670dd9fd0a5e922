import { NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer, Logger, LogLevel } from "effect"
import { PaymentSandboxLive } from "./services/payments/sandbox/SandboxServer.ts"

/**
 * The sandbox payment provider as its own process (`tsx src/payment-sandbox.ts`), so that payments outlive a
 * crash of the ticketing service. Settings: SANDBOX_* (see src/services/payments/sandbox/SandboxConfig.ts) and
 * LOG_LEVEL. SIGTERM/SIGINT close the server; the in-memory state goes with the process.
 */
const LogLevelLive = Layer.unwrapEffect(
  Effect.map(Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)), Logger.minimumLogLevel)
)

Layer.launch(PaymentSandboxLive).pipe(
  Effect.provide(Layer.mergeAll(Logger.json, LogLevelLive)),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)

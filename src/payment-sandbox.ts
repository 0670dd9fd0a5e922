import { NodeRuntime } from "@effect/platform-node"
import { Cause, Config, Effect, Exit, Layer, Logger, type LogLevel, References, Runtime } from "effect"
import { validate } from "./services/config/validate.ts"
import { PaymentSandboxLive } from "./services/payments/sandbox/SandboxServer.ts"

/**
 * The sandbox payment provider as its own process (`npm run payment-sandbox`), so that payments outlive a
 * crash of the ticketing service. Settings: SANDBOX_* (see src/services/payments/sandbox/SandboxConfig.ts) and
 * LOG_LEVEL. SIGTERM/SIGINT close the server; the in-memory state goes with the process.
 */
const logLevels: Record<string, LogLevel.LogLevel> = {
  ALL: "All",
  TRACE: "Trace",
  DEBUG: "Debug",
  INFO: "Info",
  WARN: "Warn",
  ERROR: "Error",
  FATAL: "Fatal",
  OFF: "None",
  NONE: "None"
}

const LogLevelLive = Layer.unwrap(
  Effect.gen(function* () {
    const level = yield* Config.String("LOG_LEVEL").pipe(
      Config.withDefault("Info"),
      Config.map((name) => name.toUpperCase()),
      validate({
        message: "LOG_LEVEL must be one of All, Trace, Debug, Info, Warn, Error, Fatal, Off",
        validation: (name) => name in logLevels
      })
    )
    return Layer.succeed(References.MinimumLogLevel, logLevels[level] ?? "Info")
  })
)

/** A stop by SIGTERM/SIGINT exits with 0, as with Effect 3 (Effect 4's default is 130). */
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

Layer.launch(PaymentSandboxLive).pipe(
  Effect.provide(Layer.mergeAll(Logger.layer([Logger.consoleJson]), LogLevelLive)),
  NodeRuntime.runMain({ teardown })
)

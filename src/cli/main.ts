/**
 * `npm run goticket -- <command>`: the operator CLI, a client of the internal RPC (src/rpc/client) like any other
 * internal caller. It needs the service's RPC listener (GOTICKET_RPC_URL) and a service key (GOTICKET_SERVICE_KEY)
 * with the scope of the command: `admin` for keys, `ops` for dead letters and the backlog, `support` for orders.
 */
// Subpaths: the package's index loads every Node module it has (half a second more per start of the CLI).
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Console, Effect, Exit, References } from "effect"
import { Command } from "effect/cli"
import { backlog } from "./BacklogCommand.ts"
import { EXIT, goticket } from "./Connection.ts"
import { deadLetters } from "./DeadLetterCommands.ts"
import { keys } from "./KeysCommands.ts"
import { orders } from "./OrderCommands.ts"

export const cli = goticket.pipe(Command.withSubcommands([keys, orders, deadLetters, backlog]))

/** The exit code: 0 done (help included), else the CliFailure's code; a wrong command line is 2. */
const main = Command.run(cli, { version: "0.1.0" }).pipe(
  Effect.as(0),
  Effect.catch((error) =>
    error._tag === "CliFailure"
      ? Effect.as(Console.error(`goticket: ${error.message}`), error.exitCode)
      : // The library printed the help and what is wrong with the command line.
        Effect.succeed(EXIT.usage)
  )
)

main.pipe(
  Effect.provide(NodeServices.layer),
  Effect.provideService(References.MinimumLogLevel, "Warn"),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    // Ctrl-C (following an order, say) ends with 130, as shells expect of an interrupted command.
    teardown: (exit, onExit) =>
      onExit(
        Exit.isSuccess(exit)
          ? typeof exit.value === "number"
            ? exit.value
            : 0
          : Cause.hasInterruptsOnly(exit.cause)
            ? 130
            : 1
      )
  })
)

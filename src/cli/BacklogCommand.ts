import { Effect } from "effect"
import { Command } from "effect/cli"
import { OperationsClient } from "../rpc/client/index.ts"
import { callService } from "./Connection.ts"
import { show, table } from "./Output.ts"

export const backlog = Command.make("backlog", {}, () =>
  callService(
    Effect.gen(function* () {
      const figures = yield* (yield* OperationsClient).Backlog()
      const sagas = Object.entries(figures.sagas)
      yield* show(figures, () =>
        [
          `at ${figures.at.toISOString()}`,
          `outbox: ${figures.outbox.pending} event(s) not yet confirmed by the broker, oldest ${Math.round(
            figures.outbox.oldestAgeMs
          )} ms`,
          sagas.length === 0
            ? "sagas: none unfinished"
            : `sagas not complete:\n${table(
                ["STATUS", "COUNT"],
                sagas.map(([status, count]) => [status, String(count)])
              )}`
        ].join("\n")
      )
    })
  )
).pipe(Command.withDescription("the outbox and saga backlog figures"))

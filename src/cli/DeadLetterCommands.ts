import { Effect, Schema } from "effect"
import { Argument, Command } from "effect/cli"
import { ConsumerName, OperationsClient } from "../rpc/client/index.ts"
import { callService } from "./Connection.ts"
import { show, table } from "./Output.ts"

const consumer = Argument.Literals("consumer", ConsumerName.literals).pipe(
  Argument.withDescription(`the consumer: ${ConsumerName.literals.join(", ")}`)
)

const list = Command.make("list", { consumer }, ({ consumer }) =>
  callService(
    Effect.gen(function* () {
      const letters = yield* (yield* OperationsClient).DeadLetters({ consumer })
      yield* show(letters, () =>
        letters.length === 0
          ? `no dead letters for ${consumer}`
          : `${letters.length} dead letter(s) for ${consumer}, oldest first:\n\n${table(
              ["EVENT ID", "TYPE", "ATTEMPTS", "DEAD AT", "ERROR"],
              letters.map((l) => [
                l.eventId,
                l.type,
                String(l.attempts),
                l.deadAt.toISOString(),
                l.lastError.replace(/\s+/g, " ")
              ])
            )}`
      )
    })
  )
).pipe(Command.withDescription("a consumer's dead letters, oldest first (nothing is removed)"))

const replay = Command.make(
  "replay",
  {
    consumer,
    eventIds: Argument.String("event-id").pipe(
      Argument.withDescription("only these events (default: every dead letter of the consumer)"),
      Argument.withSchema(Schema.String.check(Schema.isGUID())),
      Argument.variadic({ max: 1000 })
    )
  },
  ({ consumer, eventIds }) =>
    callService(
      Effect.gen(function* () {
        const { replayed } = yield* (yield* OperationsClient).ReplayDeadLetters({
          consumer,
          ...(eventIds.length === 0 ? {} : { eventIds })
        })
        const missing = eventIds.length > 0 && replayed < eventIds.length
        yield* show({ replayed }, () =>
          [
            `replayed ${replayed} dead letter(s) to ${consumer}`,
            ...(missing ? [`${eventIds.length - replayed} of the given event ids were not among its dead letters`] : [])
          ].join("\n")
        )
      })
    )
).pipe(Command.withDescription("sends dead letters (all, or these events) back to the consumer; audited"))

export const deadLetters = Command.make("dead-letters").pipe(
  Command.withDescription("the event consumers' dead letters, through the service (no broker access needed)"),
  Command.withSubcommands([list, replay])
)

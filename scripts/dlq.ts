import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect, Exit, Option, References } from "effect"
import { type DeadLetter, EventBus } from "../src/domain/events/EventBus.ts"
import { EventBusConfig } from "../src/services/events/EventBusLive.ts"
import { EventBusRabbitMq } from "../src/services/events/EventBusRabbitMq.ts"

/*
 * `npm run dlq -- list <consumer>`: a consumer's dead letters, oldest first (nothing is removed).
 * `npm run dlq -- replay <consumer> [eventId...]`: sends them (all, or those events) back to the consumer.
 * Exit codes: 0 done, 1 the broker cannot be reached, 2 bad arguments or no AMQP_URL.
 *
 * The fallback, for when the service is down: the way is `npm run goticket -- dead-letters list|replay`, through the
 * service (an `ops` key, audited, no broker credentials, the in-process bus too). This one reads RabbitMQ directly.
 */

const KNOWN_CONSUMERS = ["notifications", "sales-stats", "organizer-webhooks"]

const usage = `usage:
  npm run dlq -- list <consumer>                  list the consumer's dead letters, oldest first
  npm run dlq -- replay <consumer> [eventId...]   send them (all, or these events) back to the consumer

consumers: ${KNOWN_CONSUMERS.join(", ")}
needs AMQP_URL (and AMQP_EXCHANGE / AMQP_QUEUE_PREFIX if the app sets them)`

type Command =
  | { readonly _tag: "List"; readonly consumer: string }
  | { readonly _tag: "Replay"; readonly consumer: string; readonly eventIds: ReadonlyArray<string> | undefined }
  | { readonly _tag: "Invalid"; readonly reason: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const CONSUMER = /^[A-Za-z0-9_-]+$/

export const parseArguments = (args: ReadonlyArray<string>): Command => {
  const [command, consumer, ...rest] = args
  if (command === undefined || command === "help" || command === "--help" || command === "-h")
    return { _tag: "Invalid", reason: "no command" }
  if (command !== "list" && command !== "replay") return { _tag: "Invalid", reason: `unknown command "${command}"` }
  if (consumer === undefined) return { _tag: "Invalid", reason: `${command} needs a consumer` }
  if (!CONSUMER.test(consumer)) return { _tag: "Invalid", reason: `"${consumer}" is not a consumer name` }
  if (command === "list")
    return rest.length === 0
      ? { _tag: "List", consumer }
      : { _tag: "Invalid", reason: `list takes only a consumer, not "${rest.join(" ")}"` }
  const notIds = rest.filter((id) => !UUID.test(id))
  if (notIds.length > 0) return { _tag: "Invalid", reason: `not event ids: ${notIds.join(", ")}` }
  return { _tag: "Replay", consumer, eventIds: rest.length === 0 ? undefined : rest }
}

const table = (letters: ReadonlyArray<DeadLetter>): string => {
  const rows = [
    ["EVENT ID", "TYPE", "ATTEMPTS", "DEAD AT", "ERROR"],
    ...letters.map((letter) => [
      letter.envelope.id,
      letter.envelope.type,
      String(letter.attempts),
      letter.deadAt.toISOString(),
      letter.lastError.replace(/\s+/g, " ")
    ])
  ]
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)))
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < 4 ? cell.padEnd(widths[column] ?? 0) : cell))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

const run = (command: Exclude<Command, { _tag: "Invalid" }>) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const unknown = KNOWN_CONSUMERS.includes(command.consumer)
      ? ""
      : ` (not one of the app's consumers: ${KNOWN_CONSUMERS.join(", ")})`
    if (command._tag === "List") {
      const letters = yield* bus.deadLetters(command.consumer)
      yield* Console.log(
        letters.length === 0
          ? `no dead letters for ${command.consumer}${unknown}`
          : `${letters.length} dead letter(s) for ${command.consumer}, oldest first:\n\n${table(letters)}`
      )
      return 0
    }
    const replayed = yield* bus.replayDeadLetters(command.consumer, command.eventIds)
    yield* Console.log(`replayed ${replayed} dead letter(s) to ${command.consumer}${replayed === 0 ? unknown : ""}`)
    if (command.eventIds !== undefined && replayed < command.eventIds.length)
      yield* Console.log(`${command.eventIds.length - replayed} of the given event ids were not among its dead letters`)
    return 0
  })

const main = Effect.gen(function* () {
  const command = parseArguments(process.argv.slice(2))
  if (command._tag === "Invalid") {
    yield* Console.error(`${command.reason}\n\n${usage}`)
    return 2
  }
  const config = yield* EventBusConfig
  if (Option.isNone(config.url)) {
    yield* Console.error(
      "AMQP_URL is not set: dead letters are kept by RabbitMQ (the in-process bus keeps them only inside the app's own process).\nSet it, e.g. AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm run dlq -- list notifications"
    )
    return 2
  }
  const url = config.url.value
  return yield* run(command).pipe(
    Effect.provide(EventBusRabbitMq.layer({ url, exchange: config.exchange, queuePrefix: config.queuePrefix })),
    Effect.catchTag("EventBusUnavailable", (error) => Effect.as(Console.error(error.message), 1))
  )
})

main.pipe(
  Effect.provideService(References.MinimumLogLevel, "Warn"),
  NodeRuntime.runMain({
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) && typeof exit.value === "number" ? exit.value : 1)
  })
)

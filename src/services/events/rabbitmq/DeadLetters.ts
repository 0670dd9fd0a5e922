import type { ChannelModel, ConfirmChannel, GetMessage } from "amqplib"
import { Duration, Effect, Option, type Redacted, Result, type Scope } from "effect"
import type { DeadLetter, EventBusShape, EventBusUnavailable } from "../../../domain/events/EventBus.ts"
import {
  AmqpError,
  amqpCall,
  type ConnectOptions,
  confirmed,
  quietly,
  scopedConfirmChannel,
  scopedConnection,
  unavailable
} from "./Amqp.ts"
import { attemptOf, consumerQueues, envelopeOf, Header, replayedHeaders, republishOptions } from "./Topology.ts"

export interface DeadLetterSettings {
  readonly url: Redacted.Redacted<string>
  readonly connectOptions: ConnectOptions
  readonly queuePrefix: string
  /** How long `deadLetters` / `replayDeadLetters` may take. */
  readonly adminTimeout: Duration.Duration
  /** Where the broker is, without the password: for messages. */
  readonly broker: string
  readonly spanAttributes: Record<string, unknown>
}

/** `count` messages off a queue without acknowledging them (they go back when the channel nacks or closes). */
const peek = (channel: ConfirmChannel, queue: string, count: number) =>
  Effect.gen(function* () {
    const messages: Array<GetMessage> = []
    while (messages.length < count) {
      const message = yield* amqpCall(`cannot read ${queue}`, () => channel.get(queue, { noAck: false }))
      if (message === false) break
      messages.push(message)
    }
    return messages
  })

/**
 * How many messages the queue holds; None if it does not exist (nothing is created by looking). Asked on a channel
 * of its own: the broker closes the channel that asks about a missing queue.
 */
const messageCount = (connection: ChannelModel, queue: string) =>
  Effect.scoped(
    Effect.flatMap(scopedConfirmChannel(connection), (channel) =>
      amqpCall(`cannot check ${queue}`, () => channel.checkQueue(queue))
    )
  ).pipe(
    Effect.map((reply) => Option.some(reply.messageCount)),
    Effect.catchIf(
      (error) => error.code === 404,
      () => Effect.succeed(Option.none<number>())
    )
  )

const deadLetterOf = (message: GetMessage): Option.Option<DeadLetter> => {
  const decoded = envelopeOf(message)
  if (Result.isFailure(decoded)) return Option.none()
  const headers = message.properties.headers ?? {}
  const attempts = Number(headers[Header.attempts] ?? attemptOf(message))
  const deadAt = new Date(String(headers[Header.deadAt] ?? ""))
  return Option.some({
    envelope: decoded.success,
    attempts: Number.isInteger(attempts) && attempts >= 1 ? attempts : 1,
    lastError: String(headers[Header.error] ?? ""),
    deadAt: Number.isNaN(deadAt.getTime()) ? new Date(0) : deadAt
  })
}

/**
 * The dead letters of the RabbitMQ bus: each call on a short-lived connection of its own. Listing takes the
 * messages off `<prefix>.<consumer>.dead` unacknowledged and puts them back in their order; replaying copies the
 * chosen ones to the main queue (attempts reset) and acknowledges them once the copies are confirmed.
 */
export const makeDeadLetters = (
  settings: DeadLetterSettings
): Pick<EventBusShape, "deadLetters" | "replayDeadLetters"> => {
  const { adminTimeout, broker, queuePrefix: prefix } = settings

  /** A short-lived connection and confirm channel for an administrative call. */
  const withAdmin = <A>(
    what: string,
    use: (connection: ChannelModel, channel: ConfirmChannel) => Effect.Effect<A, AmqpError, Scope.Scope>
  ): Effect.Effect<A, EventBusUnavailable> =>
    Effect.scoped(
      Effect.gen(function* () {
        const connection = yield* scopedConnection(settings.url, settings.connectOptions)
        return yield* use(connection, yield* scopedConfirmChannel(connection))
      })
    ).pipe(
      Effect.timeoutOrElse({
        duration: adminTimeout,
        orElse: () => Effect.fail(new AmqpError({ message: `no answer within ${Duration.format(adminTimeout)}` }))
      }),
      Effect.mapError(unavailable(`${what} on RabbitMQ at ${broker}`))
    )

  const warnUnreadable = (consumer: string, count: number) =>
    count === 0
      ? Effect.void
      : Effect.logWarning(
          `${count} dead letter(s) of ${consumer} are not events (unreadable bodies): left in ${consumerQueues(prefix, consumer).dead}`
        )

  const deadLetters: EventBusShape["deadLetters"] = Effect.fn("EventBus.deadLetters", {
    attributes: settings.spanAttributes
  })(function* (consumer: string) {
    yield* Effect.annotateCurrentSpan({ "messaging.consumer.group.name": consumer })
    const queues = consumerQueues(prefix, consumer)
    return yield* withAdmin(`cannot list the dead letters of ${consumer}`, (connection, channel) =>
      Effect.gen(function* () {
        const count = yield* messageCount(connection, queues.dead)
        if (Option.isNone(count) || count.value === 0) return []
        const messages = yield* peek(channel, queues.dead, count.value)
        // Back into the queue, in their order: listing consumes nothing.
        yield* quietly(() => channel.nackAll(true))
        const letters = messages.flatMap((message) => Option.toArray(deadLetterOf(message)))
        yield* warnUnreadable(consumer, messages.length - letters.length)
        return letters
      })
    )
  })

  const replayDeadLetters: EventBusShape["replayDeadLetters"] = Effect.fn("EventBus.replayDeadLetters", {
    attributes: settings.spanAttributes
  })(function* (consumer: string, eventIds?: ReadonlyArray<string>) {
    yield* Effect.annotateCurrentSpan({ "messaging.consumer.group.name": consumer })
    const queues = consumerQueues(prefix, consumer)
    const wanted = eventIds === undefined ? undefined : new Set(eventIds)
    return yield* withAdmin(`cannot replay the dead letters of ${consumer}`, (connection, channel) =>
      Effect.gen(function* () {
        const count = yield* messageCount(connection, queues.dead)
        if (Option.isNone(count) || count.value === 0) return 0
        const messages = yield* peek(channel, queues.dead, count.value)
        const readable = messages.filter((message) => Result.isSuccess(envelopeOf(message)))
        const chosen = readable.filter((message) =>
          Result.match(envelopeOf(message), {
            onFailure: () => false,
            onSuccess: (envelope) => wanted === undefined || wanted.has(envelope.id)
          })
        )
        if (chosen.length > 0) {
          yield* amqpCall(`cannot declare queue ${queues.main}`, () =>
            channel.assertQueue(queues.main, { durable: true })
          )
          // Copied to the main queue and confirmed before they leave the dead letters: a crash duplicates, never loses.
          yield* amqpCall(`cannot replay into ${queues.main}`, () =>
            Promise.all(
              chosen.map((message) =>
                confirmed((callback) =>
                  channel.sendToQueue(
                    queues.main,
                    message.content,
                    republishOptions(message.properties, replayedHeaders),
                    callback
                  )
                )
              )
            )
          )
          for (const message of chosen) yield* quietly(() => channel.ack(message))
        }
        yield* quietly(() => channel.nackAll(true))
        if (wanted === undefined) yield* warnUnreadable(consumer, messages.length - readable.length)
        return chosen.length
      })
    )
  })

  return { deadLetters, replayDeadLetters }
}

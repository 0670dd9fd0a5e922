import type { ConfirmChannel, Message, MessageProperties, Options } from "amqplib"
import { Duration, Effect, Result, Schema } from "effect"
import { routingKeyOf } from "../../../domain/events/DomainEvents.ts"
import type { Subscription } from "../../../domain/events/EventBus.ts"
import { EnvelopeJson, type EventEnvelope } from "../../../domain/events/EventEnvelope.ts"
import { type AmqpError, amqpCall } from "./Amqp.ts"

/*
 * What the RabbitMQ adapter puts on the broker, in one place: queue names, headers, message properties.
 *
 *   exchange `goticket.events` (topic, durable) ──routing key `order.OrderConfirmed`──▶ queue `goticket.<consumer>`
 *   a failed delivery ──▶ `goticket.<consumer>.retry.<ms>` (x-message-ttl, dead-lettered back to the main queue)
 *   a delivery that failed maxAttempts times, or an unreadable body ──▶ `goticket.<consumer>.dead`
 */

export const DEFAULT_EXCHANGE = "goticket.events"
export const DEFAULT_QUEUE_PREFIX = "goticket"

/** Message headers the adapter reads and writes. */
export const Header = {
  /** The delivery's attempt (absent: 1). */
  attempt: "x-goticket-attempt",
  /** On dead letters: how many deliveries failed, the last error, when it gave up (ISO 8601). */
  attempts: "x-goticket-attempts",
  error: "x-goticket-error",
  deadAt: "x-goticket-dead-at",
  /** W3C trace context of the request that caused the event. */
  traceparent: "traceparent"
} as const

export interface ConsumerQueues {
  readonly main: string
  readonly dead: string
  readonly retry: (delayMs: number) => string
}

export const consumerQueues = (prefix: string, consumer: string): ConsumerQueues => {
  const main = `${prefix}.${consumer}`
  return { main, dead: `${main}.dead`, retry: (delayMs) => `${main}.retry.${delayMs}` }
}

/** A delay as a queue's x-message-ttl: whole milliseconds, never negative. */
export const ttlMillis = (delay: Duration.Input): number => Math.max(0, Math.round(Duration.toMillis(delay)))

/** Every retry delay a subscription can use, in milliseconds (one delay queue each). */
export const retryDelaysMillis = (retryDelays: ReadonlyArray<Duration.Input>): ReadonlyArray<number> =>
  retryDelays.length === 0 ? [0] : [...new Set(retryDelays.map(ttlMillis))]

/** Every queue a consumer's topology declares. */
export const queuesOf = (prefix: string, subscription: Pick<Subscription, "consumer" | "retryDelays">) => {
  const queues = consumerQueues(prefix, subscription.consumer)
  return [queues.main, queues.dead, ...retryDelaysMillis(subscription.retryDelays).map(queues.retry)]
}

/** The consumer's durable queues and bindings; idempotent, run on every (re)connection. */
export const declareConsumerTopology = (
  channel: ConfirmChannel,
  exchange: string,
  queues: ConsumerQueues,
  subscription: Pick<Subscription, "eventTypes" | "retryDelays">
): Effect.Effect<void, AmqpError> =>
  Effect.gen(function* () {
    yield* declareExchange(channel, exchange)
    yield* amqpCall(`cannot declare queue ${queues.main}`, () => channel.assertQueue(queues.main, { durable: true }))
    for (const type of new Set(subscription.eventTypes))
      yield* amqpCall(`cannot bind ${queues.main}`, () => channel.bindQueue(queues.main, exchange, routingKeyOf(type)))
    for (const delayMs of retryDelaysMillis(subscription.retryDelays))
      yield* amqpCall(`cannot declare queue ${queues.retry(delayMs)}`, () =>
        channel.assertQueue(queues.retry(delayMs), {
          durable: true,
          messageTtl: delayMs,
          deadLetterExchange: "",
          deadLetterRoutingKey: queues.main
        })
      )
    yield* amqpCall(`cannot declare queue ${queues.dead}`, () => channel.assertQueue(queues.dead, { durable: true }))
  })

export const declareExchange = (channel: ConfirmChannel, exchange: string): Effect.Effect<void, AmqpError> =>
  amqpCall(`cannot declare exchange ${exchange}`, () => channel.assertExchange(exchange, "topic", { durable: true }))

const encodeEnvelope = Schema.encodeEffect(EnvelopeJson)
const decodeEnvelope = Schema.decodeUnknownResult(EnvelopeJson)

/** The envelope's JSON body. An envelope that cannot be encoded is a bug of its producer: a defect. */
export const bodyOf = (envelope: EventEnvelope): Effect.Effect<Buffer> =>
  Effect.map(Effect.orDie(encodeEnvelope(envelope)), (json) => Buffer.from(json, "utf8"))

export const envelopeOf = (message: Message): Result.Result<EventEnvelope, string> =>
  Result.mapError(decodeEnvelope(message.content.toString("utf8")), (error) => error.message.slice(0, 300))

/** How an envelope is published: persistent, identified, typed, timestamped (seconds), with its trace context. */
export const publishOptionsOf = (envelope: EventEnvelope): Options.Publish => ({
  persistent: true,
  messageId: envelope.id,
  type: envelope.type,
  contentType: "application/json",
  timestamp: Math.floor(envelope.occurredAt.getTime() / 1000),
  headers: envelope.traceparent === null ? {} : { [Header.traceparent]: envelope.traceparent }
})

export const attemptOf = (message: Message): number => {
  const value = Number(message.properties.headers?.[Header.attempt] ?? 1)
  return Number.isInteger(value) && value >= 1 ? value : 1
}

/** Headers RabbitMQ adds when it dead-letters a message (here: when a delay expires); not carried further. */
const brokerHeader = /^x-(death|first-death-|last-death-)/

/** The message's properties for a republish (to a delay queue, the dead letters, back to the main queue). */
export const republishOptions = (
  properties: MessageProperties,
  headers: (current: Record<string, unknown>) => Record<string, unknown>
): Options.Publish => {
  const kept: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(properties.headers ?? {}))
    if (!brokerHeader.test(name) && value !== undefined) kept[name] = value
  const options: Options.Publish = { persistent: true, headers: headers(kept) }
  if (typeof properties.messageId === "string") options.messageId = properties.messageId
  if (typeof properties.type === "string") options.type = properties.type
  if (typeof properties.contentType === "string") options.contentType = properties.contentType
  if (typeof properties.timestamp === "number") options.timestamp = properties.timestamp
  return options
}

/** Dead letter headers: attempts, last error (short), when. */
export const deadLetterHeaders = (attempts: number, error: string, deadAt: Date) => ({
  [Header.attempts]: attempts,
  [Header.error]: error.slice(0, 500),
  [Header.deadAt]: deadAt.toISOString()
})

/** Back to attempt 1, without the dead letter headers. */
export const replayedHeaders = (headers: Record<string, unknown>) => {
  const { [Header.attempts]: _attempts, [Header.error]: _error, [Header.deadAt]: _deadAt, ...rest } = headers
  return { ...rest, [Header.attempt]: 1 }
}

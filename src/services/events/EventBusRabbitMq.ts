import type { ConfirmChannel, ConsumeMessage } from "amqplib"
import {
  Cause,
  Deferred,
  Duration,
  Effect,
  Exit,
  FiberSet,
  Layer,
  Option,
  type Redacted,
  Result,
  type Scope
} from "effect"
import { EventBus, type EventBusShape, type Subscription } from "../../domain/events/EventBus.ts"
import {
  checkSubscription,
  DEFAULT_DRAIN_TIMEOUT,
  describeFailure,
  handleDelivery,
  retryDelayOf
} from "./DeliveryRules.ts"
import {
  AmqpError,
  amqpCall,
  type ConnectOptions,
  confirmed,
  describeUrl,
  quietly,
  scopedConfirmChannel,
  scopedConnection
} from "./rabbitmq/Amqp.ts"
import { makeDeadLetters } from "./rabbitmq/DeadLetters.ts"
import { makePublisher } from "./rabbitmq/Publisher.ts"
import {
  attemptOf,
  type ConsumerQueues,
  consumerQueues,
  DEFAULT_EXCHANGE,
  DEFAULT_QUEUE_PREFIX,
  deadLetterHeaders,
  declareConsumerTopology,
  envelopeOf,
  Header,
  republishOptions,
  ttlMillis
} from "./rabbitmq/Topology.ts"

export interface EventBusRabbitMqOptions {
  /** `amqp://user:password@host:5672/vhost` */
  readonly url: Redacted.Redacted<string>
  /** The topic exchange events are published to (default `goticket.events`). */
  readonly exchange?: string | undefined
  /** Queue names are `<prefix>.<consumer>`, `.retry.<ms>`, `.dead` (default `goticket`). */
  readonly queuePrefix?: string | undefined
  /** How long one connection attempt may take (default 3 s). */
  readonly connectTimeout?: Duration.Input | undefined
  /** How long `publish` (connection included) waits for the broker's confirms before EventBusUnavailable (default 5 s). */
  readonly publishTimeout?: Duration.Input | undefined
  /** How long `deadLetters` / `replayDeadLetters` may take (default 30 s). */
  readonly adminTimeout?: Duration.Input | undefined
  /** A consumer's first reconnection delay, doubled after each failed one (default 100 ms)… */
  readonly reconnectInitialDelay?: Duration.Input | undefined
  /** …up to this (default 5 s). */
  readonly reconnectMaxDelay?: Duration.Input | undefined
  /** How long closing a consumer waits for its in-flight handlers before interrupting them (default 30 s). */
  readonly drainTimeout?: Duration.Input | undefined
  /** AMQP heartbeat, so that a silently dead broker is noticed (default 10 s; a `heartbeat` in the URL wins). */
  readonly heartbeatSeconds?: number | undefined
}

const reasonOf = (exit: Exit.Exit<unknown, AmqpError>): string =>
  Exit.isSuccess(exit)
    ? "the session ended"
    : Option.match(Cause.findErrorOption(exit.cause), {
        onNone: () => Cause.pretty(exit.cause),
        onSome: (error) => error.message
      })

/**
 * The EventBus on RabbitMQ. Starts without a broker: connections are opened on demand, `publish` fails with
 * EventBusUnavailable until the broker is back, consumers reconnect by themselves.
 *
 * - publish: one connection and confirm channel, events published in order (persistent, messageId, type,
 *   timestamp, traceparent), success once every one is confirmed.
 * - consume: its own connection and confirm channel per consumer; declares the topology (see rabbitmq/Topology.ts),
 *   prefetch = concurrency; a failed delivery is republished to a delay queue or the dead letters, the original
 *   acknowledged only once that republish is confirmed.
 */
export const makeEventBusRabbitMq = (
  options: EventBusRabbitMqOptions
): Effect.Effect<EventBusShape, never, Scope.Scope> =>
  Effect.gen(function* () {
    const exchange = options.exchange ?? DEFAULT_EXCHANGE
    const prefix = options.queuePrefix ?? DEFAULT_QUEUE_PREFIX
    const connectOptions: ConnectOptions = {
      timeout: Duration.fromInputUnsafe(options.connectTimeout ?? "3 seconds"),
      heartbeatSeconds: options.heartbeatSeconds ?? 10
    }
    const publishTimeout = Duration.fromInputUnsafe(options.publishTimeout ?? "5 seconds")
    const adminTimeout = Duration.fromInputUnsafe(options.adminTimeout ?? "30 seconds")
    const initialDelay = Duration.toMillis(options.reconnectInitialDelay ?? "100 millis")
    const maxDelay = Duration.toMillis(options.reconnectMaxDelay ?? "5 seconds")
    const drainTimeout = options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT
    const broker = describeUrl(options.url)
    const spanAttributes = { "messaging.system": "rabbitmq", "server.address": broker }

    const publish = yield* makePublisher({
      url: options.url,
      connectOptions,
      exchange,
      publishTimeout,
      broker,
      spanAttributes
    })
    const { deadLetters, replayDeadLetters } = makeDeadLetters({
      url: options.url,
      connectOptions,
      queuePrefix: prefix,
      adminTimeout,
      broker,
      spanAttributes
    })

    // -------------------------------------------------------------------------------------------------------------
    // Consuming
    // -------------------------------------------------------------------------------------------------------------

    /** What becomes of a delivery: acked, or republished (confirmed) and then acked. */
    const settle = <R>(
      channel: ConfirmChannel,
      queues: ConsumerQueues,
      subscription: Subscription<R>,
      message: ConsumeMessage
    ): Effect.Effect<void, never, R> => {
      const attempt = attemptOf(message)
      const ack = quietly(() => channel.ack(message))
      const republish = (queue: string, headers: (current: Record<string, unknown>) => Record<string, unknown>) =>
        amqpCall(`cannot republish to ${queue}`, () =>
          confirmed((callback) =>
            channel.sendToQueue(queue, message.content, republishOptions(message.properties, headers), callback)
          )
        ).pipe(
          // Settling runs uninterruptibly: the wait for the confirm is what may be cut short.
          Effect.interruptible,
          Effect.timeoutOrElse({
            duration: publishTimeout,
            orElse: () =>
              Effect.fail(new AmqpError({ message: `no confirm within ${Duration.format(publishTimeout)}` }))
          }),
          Effect.andThen(ack),
          // Not confirmed: the original stays unacked and comes back (now, or when the channel is reopened).
          Effect.catch((error) =>
            Effect.andThen(
              Effect.logWarning(`consumer ${subscription.consumer}: ${error.message}; the delivery is requeued`),
              quietly(() => channel.nack(message, false, true))
            )
          )
        )
      const deadLetter = (attempts: number, error: string) =>
        republish(queues.dead, (headers) => ({ ...headers, ...deadLetterHeaders(attempts, error, new Date()) }))

      return Effect.gen(function* () {
        const decoded = envelopeOf(message)
        if (Result.isFailure(decoded)) {
          yield* Effect.logError(
            `consumer ${subscription.consumer}: an unreadable message goes to the dead letters`
          ).pipe(Effect.annotateLogs({ messageId: String(message.properties.messageId), error: decoded.failure }))
          return yield* deadLetter(attempt, `unreadable envelope: ${decoded.failure}`)
        }
        const envelope = decoded.success
        // Bindings outlive subscriptions: a type this consumer no longer subscribes to is dropped.
        if (!subscription.eventTypes.includes(envelope.type)) return yield* ack
        return yield* handleDelivery(
          "rabbitmq",
          subscription,
          { envelope, attempt },
          (exit) =>
            Effect.gen(function* () {
              if (Exit.isSuccess(exit)) return yield* ack
              const error = describeFailure(exit.cause)
              const log = Effect.annotateLogs({
                consumer: subscription.consumer,
                eventId: envelope.id,
                eventType: envelope.type,
                attempt,
                error
              })
              if (attempt < subscription.maxAttempts) {
                const delayMs = ttlMillis(retryDelayOf(subscription, attempt))
                yield* log(Effect.logWarning(`event handler failed; redelivery in ${delayMs} ms`))
                return yield* republish(queues.retry(delayMs), (headers) => ({
                  ...headers,
                  [Header.attempt]: attempt + 1
                }))
              }
              yield* log(Effect.logError("event handler failed for the last time; the event is a dead letter"))
              return yield* deadLetter(attempt, error)
            }),
          // Left unacknowledged: the broker delivers it again once the channel is closed.
          Effect.void
        )
      })
    }

    /**
     * One connection's worth of consuming: declares, consumes, and fails once the connection or channel is lost.
     * Closing its scope cancels the consumer, lets in-flight handlers finish, then closes channel and connection.
     */
    const session = <R>(subscription: Subscription<R>, queues: ConsumerQueues, ready: Effect.Effect<void>) =>
      Effect.scoped(
        Effect.gen(function* () {
          const connection = yield* scopedConnection(options.url, connectOptions)
          const channel = yield* scopedConfirmChannel(connection)
          const lost = yield* Deferred.make<never, AmqpError>()
          const onLost = (reason: string) => () =>
            Deferred.doneUnsafe(lost, Exit.fail(new AmqpError({ message: reason })))
          connection.on("close", onLost("the connection closed"))
          channel.on("close", onLost("the channel closed"))

          yield* declareConsumerTopology(channel, exchange, queues, subscription)
          yield* amqpCall("cannot set the prefetch", () => channel.prefetch(subscription.concurrency))

          const inFlight = yield* FiberSet.make()
          const run = yield* FiberSet.runtime(inFlight)<R>()
          yield* Effect.addFinalizer(() =>
            Effect.interruptible(FiberSet.awaitEmpty(inFlight)).pipe(
              Effect.timeout(drainTimeout),
              Effect.catchTag("TimeoutError", () =>
                Effect.logWarning(`consumer ${subscription.consumer}: handlers still running after the drain timeout`)
              )
            )
          )
          yield* Effect.acquireRelease(
            amqpCall(`cannot consume ${queues.main}`, () =>
              channel.consume(queues.main, (message) => {
                // null: the broker cancelled the consumer (its queue was deleted).
                if (message === null) onLost("the broker cancelled the consumer")()
                else run(settle(channel, queues, subscription, message))
              })
            ),
            ({ consumerTag }) => quietly(() => channel.cancel(consumerTag))
          )
          yield* ready
          return yield* Deferred.await(lost)
        })
      )

    /**
     * Returns once the consumer's queue is declared and consumed (so that what is published next reaches it), or
     * once its first connection attempt failed: then it warns and keeps trying in the background, so that an app
     * starts while the broker is down. Either way it reconnects with backoff whenever the connection is lost, until
     * the scope closes.
     */
    const consume = <R>(subscription: Subscription<R>): Effect.Effect<void, never, Scope.Scope | R> =>
      Effect.gen(function* () {
        yield* checkSubscription(subscription)
        const queues = consumerQueues(prefix, subscription.consumer)
        const firstAttempt = yield* Deferred.make<void>()
        let failures = 0
        const ready = Effect.gen(function* () {
          if (failures > 0)
            yield* Effect.logInfo(`consumer ${subscription.consumer} is connected to RabbitMQ at ${broker} again`)
          failures = 0
          yield* Deferred.succeed(firstAttempt, undefined)
        })
        const run = Effect.gen(function* () {
          while (true) {
            const exit = yield* Effect.exit(session(subscription, queues, ready))
            failures++
            const delay = Math.min(initialDelay * 2 ** (failures - 1), maxDelay)
            const what = (yield* Deferred.isDone(firstAttempt)) ? "lost" : "cannot reach"
            yield* Effect.logWarning(
              `consumer ${subscription.consumer} ${what} RabbitMQ at ${broker} (${reasonOf(exit)}); reconnecting in ${Math.round(delay)} ms`
            ).pipe(Effect.annotateLogs({ consumer: subscription.consumer, reconnectAttempt: failures }))
            yield* Deferred.succeed(firstAttempt, undefined)
            yield* Effect.sleep(Duration.millis(delay))
          }
        })
        yield* Effect.forkScoped(run)
        yield* Deferred.await(firstAttempt)
      }).pipe(
        Effect.withSpan("EventBus.consume", {
          attributes: { ...spanAttributes, "messaging.consumer.group.name": subscription.consumer }
        })
      )

    return { publish, consume, deadLetters, replayDeadLetters } satisfies EventBusShape
  })

export const EventBusRabbitMq = {
  make: makeEventBusRabbitMq,
  /** Scoped: connections are opened on demand and closed with the layer; it builds even if the broker is down. */
  layer: (options: EventBusRabbitMqOptions): Layer.Layer<EventBus> =>
    Layer.effect(EventBus, makeEventBusRabbitMq(options))
}

import type { ChannelModel, ConfirmChannel, ConsumeMessage, GetMessage } from "amqplib"
import {
  Cause,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  FiberSet,
  Layer,
  Option,
  type Redacted,
  type Scope,
  SynchronizedRef
} from "effect"
import { routingKeyOf } from "../../domain/events/DomainEvents.ts"
import {
  type DeadLetter,
  EventBus,
  type EventBusShape,
  EventBusUnavailable,
  type Subscription
} from "../../domain/events/EventBus.ts"
import type { EventEnvelope } from "../../domain/events/EventEnvelope.ts"
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
  closeGracefully,
  confirmed,
  connect,
  describeUrl,
  quietly,
  scopedConfirmChannel,
  scopedConnection
} from "./rabbitmq/Amqp.ts"
import {
  attemptOf,
  bodyOf,
  type ConsumerQueues,
  consumerQueues,
  DEFAULT_EXCHANGE,
  DEFAULT_QUEUE_PREFIX,
  deadLetterHeaders,
  declareConsumerTopology,
  declareExchange,
  envelopeOf,
  Header,
  publishOptionsOf,
  replayedHeaders,
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
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** How long `publish` (connection included) waits for the broker's confirms before EventBusUnavailable (default 5 s). */
  readonly publishTimeout?: Duration.DurationInput | undefined
  /** How long `deadLetters` / `replayDeadLetters` may take (default 30 s). */
  readonly adminTimeout?: Duration.DurationInput | undefined
  /** A consumer's first reconnection delay, doubled after each failed one (default 100 ms)… */
  readonly reconnectInitialDelay?: Duration.DurationInput | undefined
  /** …up to this (default 5 s). */
  readonly reconnectMaxDelay?: Duration.DurationInput | undefined
  /** How long closing a consumer waits for its in-flight handlers before interrupting them (default 30 s). */
  readonly drainTimeout?: Duration.DurationInput | undefined
  /** AMQP heartbeat, so that a silently dead broker is noticed (default 10 s; a `heartbeat` in the URL wins). */
  readonly heartbeatSeconds?: number | undefined
}

/** The publisher's connection and confirm channel, dropped when either closes and opened again on demand. */
interface PublishLink {
  readonly connection: ChannelModel
  readonly channel: ConfirmChannel
  open: boolean
}

const reasonOf = (exit: Exit.Exit<unknown, AmqpError>): string =>
  Exit.isSuccess(exit)
    ? "the session ended"
    : Option.match(Cause.failureOption(exit.cause), {
        onNone: () => Cause.pretty(exit.cause),
        onSome: (error) => error.message
      })

const unavailable = (what: string) => (error: AmqpError) =>
  new EventBusUnavailable({ message: `${what}: ${error.message}` })

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
      timeout: Duration.decode(options.connectTimeout ?? "3 seconds"),
      heartbeatSeconds: options.heartbeatSeconds ?? 10
    }
    const publishTimeout = Duration.decode(options.publishTimeout ?? "5 seconds")
    const adminTimeout = Duration.decode(options.adminTimeout ?? "30 seconds")
    const initialDelay = Duration.toMillis(options.reconnectInitialDelay ?? "100 millis")
    const maxDelay = Duration.toMillis(options.reconnectMaxDelay ?? "5 seconds")
    const drainTimeout = options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT
    const broker = describeUrl(options.url)
    const spanAttributes = { "messaging.system": "rabbitmq", "server.address": broker }

    // -------------------------------------------------------------------------------------------------------------
    // Publishing
    // -------------------------------------------------------------------------------------------------------------

    const link = yield* SynchronizedRef.make(Option.none<PublishLink>())

    const closeLink = (current: PublishLink) =>
      Effect.zipRight(
        Effect.sync(() => {
          current.open = false
        }),
        closeGracefully(() => current.connection.close())
      )

    /** A connection, a confirm channel and the exchange; a connection whose setup fails or is interrupted is closed. */
    const openLink = Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const connection = yield* restore(connect(options.url, connectOptions))
        const setUp = Effect.gen(function* () {
          const channel = yield* amqpCall("cannot open a channel", () => connection.createConfirmChannel())
          const current: PublishLink = { connection, channel, open: true }
          const lost = () => {
            current.open = false
          }
          channel.on("error", () => {})
          channel.on("close", lost)
          connection.on("close", lost)
          yield* declareExchange(channel, exchange)
          return current
        })
        return yield* restore(setUp).pipe(
          Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : quietly(() => connection.close())))
        )
      })
    )

    const currentLink = SynchronizedRef.modifyEffect(link, (current) =>
      Option.isSome(current) && current.value.open
        ? Effect.succeed([current.value, current] as const)
        : Effect.map(openLink, (opened) => [opened, Option.some(opened)] as const)
    )

    /** A link that failed (or timed out) is closed, so that the next publish starts afresh. */
    const dropLink = (failed: PublishLink) =>
      Effect.zipRight(
        SynchronizedRef.update(link, (current) =>
          Option.isSome(current) && current.value === failed ? Option.none() : current
        ),
        Effect.zipRight(
          Effect.sync(() => {
            failed.open = false
          }),
          quietly(() => failed.connection.close())
        )
      )

    yield* Effect.addFinalizer(() =>
      Effect.flatMap(SynchronizedRef.get(link), (current) =>
        Option.isSome(current) ? closeLink(current.value) : Effect.void
      )
    )

    const publish: EventBusShape["publish"] = Effect.fn("EventBus.publish", {
      kind: "producer",
      attributes: { ...spanAttributes, "messaging.destination.name": exchange }
    })(function* (events: ReadonlyArray<EventEnvelope>) {
      yield* Effect.annotateCurrentSpan({ "messaging.batch.message_count": events.length })
      if (events.length === 0) return
      const bodies = yield* Effect.forEach(events, bodyOf)
      yield* Effect.gen(function* () {
        const current = yield* currentLink
        yield* amqpCall("publish failed", () =>
          // Published in one synchronous loop: the broker receives them in this order.
          Promise.all(
            events.map((envelope, index) =>
              confirmed((callback) =>
                current.channel.publish(
                  exchange,
                  routingKeyOf(envelope.type),
                  bodies[index] ?? Buffer.alloc(0),
                  publishOptionsOf(envelope),
                  callback
                )
              )
            )
          )
        ).pipe(Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : dropLink(current))))
      }).pipe(
        Effect.timeoutFail({
          duration: publishTimeout,
          onTimeout: () => new AmqpError({ message: `no confirm within ${Duration.format(publishTimeout)}` })
        }),
        Effect.mapError(unavailable(`cannot publish to RabbitMQ at ${broker}`))
      )
    })

    // -------------------------------------------------------------------------------------------------------------
    // Consuming
    // -------------------------------------------------------------------------------------------------------------

    /** What becomes of a delivery: acked, or republished (confirmed) and then acked. */
    const settle = (
      channel: ConfirmChannel,
      queues: ConsumerQueues,
      subscription: Subscription,
      message: ConsumeMessage
    ): Effect.Effect<void> => {
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
          Effect.timeoutFail({
            duration: publishTimeout,
            onTimeout: () => new AmqpError({ message: `no confirm within ${Duration.format(publishTimeout)}` })
          }),
          Effect.zipRight(ack),
          // Not confirmed: the original stays unacked and comes back (now, or when the channel is reopened).
          Effect.catchAll((error) =>
            Effect.zipRight(
              Effect.logWarning(`consumer ${subscription.consumer}: ${error.message}; the delivery is requeued`),
              quietly(() => channel.nack(message, false, true))
            )
          )
        )
      const deadLetter = (attempts: number, error: string) =>
        republish(queues.dead, (headers) => ({ ...headers, ...deadLetterHeaders(attempts, error, new Date()) }))

      return Effect.gen(function* () {
        const decoded = envelopeOf(message)
        if (Either.isLeft(decoded)) {
          yield* Effect.logError(
            `consumer ${subscription.consumer}: an unreadable message goes to the dead letters`
          ).pipe(Effect.annotateLogs({ messageId: String(message.properties.messageId), error: decoded.left }))
          return yield* deadLetter(attempt, `unreadable envelope: ${decoded.left}`)
        }
        const envelope = decoded.right
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
    const session = (subscription: Subscription, queues: ConsumerQueues, ready: Effect.Effect<void>) =>
      Effect.scoped(
        Effect.gen(function* () {
          const connection = yield* scopedConnection(options.url, connectOptions)
          const channel = yield* scopedConfirmChannel(connection)
          const lost = yield* Deferred.make<never, AmqpError>()
          const onLost = (reason: string) => () =>
            Deferred.unsafeDone(lost, Exit.fail(new AmqpError({ message: reason })))
          connection.on("close", onLost("the connection closed"))
          channel.on("close", onLost("the channel closed"))

          yield* declareConsumerTopology(channel, exchange, queues, subscription)
          yield* amqpCall("cannot set the prefetch", () => channel.prefetch(subscription.concurrency))

          const inFlight = yield* FiberSet.make()
          const run = yield* FiberSet.runtime(inFlight)()
          yield* Effect.addFinalizer(() =>
            Effect.interruptible(FiberSet.awaitEmpty(inFlight)).pipe(
              Effect.timeout(drainTimeout),
              Effect.catchTag("TimeoutException", () =>
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
    const consume: EventBusShape["consume"] = (subscription) =>
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

    // -------------------------------------------------------------------------------------------------------------
    // Dead letters
    // -------------------------------------------------------------------------------------------------------------

    /** A short-lived connection and confirm channel for an administrative call. */
    const withAdmin = <A>(
      what: string,
      use: (connection: ChannelModel, channel: ConfirmChannel) => Effect.Effect<A, AmqpError, Scope.Scope>
    ): Effect.Effect<A, EventBusUnavailable> =>
      Effect.scoped(
        Effect.gen(function* () {
          const connection = yield* scopedConnection(options.url, connectOptions)
          return yield* use(connection, yield* scopedConfirmChannel(connection))
        })
      ).pipe(
        Effect.timeoutFail({
          duration: adminTimeout,
          onTimeout: () => new AmqpError({ message: `no answer within ${Duration.format(adminTimeout)}` })
        }),
        Effect.mapError(unavailable(`${what} on RabbitMQ at ${broker}`))
      )

    /**
     * How many messages the queue holds; None if it does not exist (nothing is created by looking). Asked on a
     * channel of its own: the broker closes the channel that asks about a missing queue.
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
      if (Either.isLeft(decoded)) return Option.none()
      const headers = message.properties.headers ?? {}
      const attempts = Number(headers[Header.attempts] ?? attemptOf(message))
      const deadAt = new Date(String(headers[Header.deadAt] ?? ""))
      return Option.some({
        envelope: decoded.right,
        attempts: Number.isInteger(attempts) && attempts >= 1 ? attempts : 1,
        lastError: String(headers[Header.error] ?? ""),
        deadAt: Number.isNaN(deadAt.getTime()) ? new Date(0) : deadAt
      })
    }

    const warnUnreadable = (consumer: string, count: number) =>
      count === 0
        ? Effect.void
        : Effect.logWarning(
            `${count} dead letter(s) of ${consumer} are not events (unreadable bodies): left in ${consumerQueues(prefix, consumer).dead}`
          )

    const deadLetters: EventBusShape["deadLetters"] = Effect.fn("EventBus.deadLetters", {
      attributes: spanAttributes
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
      attributes: spanAttributes
    })(function* (consumer: string, eventIds?: ReadonlyArray<string>) {
      yield* Effect.annotateCurrentSpan({ "messaging.consumer.group.name": consumer })
      const queues = consumerQueues(prefix, consumer)
      const wanted = eventIds === undefined ? undefined : new Set(eventIds)
      return yield* withAdmin(`cannot replay the dead letters of ${consumer}`, (connection, channel) =>
        Effect.gen(function* () {
          const count = yield* messageCount(connection, queues.dead)
          if (Option.isNone(count) || count.value === 0) return 0
          const messages = yield* peek(channel, queues.dead, count.value)
          const readable = messages.filter((message) => Either.isRight(envelopeOf(message)))
          const chosen = readable.filter((message) =>
            Either.match(envelopeOf(message), {
              onLeft: () => false,
              onRight: (envelope) => wanted === undefined || wanted.has(envelope.id)
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

    return { publish, consume, deadLetters, replayDeadLetters } satisfies EventBusShape
  })

export const EventBusRabbitMq = {
  make: makeEventBusRabbitMq,
  /** Scoped: connections are opened on demand and closed with the layer; it builds even if the broker is down. */
  layer: (options: EventBusRabbitMqOptions): Layer.Layer<EventBus> =>
    Layer.scoped(EventBus, makeEventBusRabbitMq(options))
}

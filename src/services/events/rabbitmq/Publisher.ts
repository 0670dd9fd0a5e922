import type { ChannelModel, ConfirmChannel } from "amqplib"
import { Duration, Effect, Exit, Option, type Redacted, type Scope, SynchronizedRef } from "effect"
import { routingKeyOf } from "../../../domain/events/DomainEvents.ts"
import type { EventBusShape } from "../../../domain/events/EventBus.ts"
import type { EventEnvelope } from "../../../domain/events/EventEnvelope.ts"
import {
  AmqpError,
  amqpCall,
  type ConnectOptions,
  closeGracefully,
  confirmed,
  connect,
  quietly,
  unavailable
} from "./Amqp.ts"
import { bodyOf, declareExchange, publishOptionsOf } from "./Topology.ts"

export interface PublisherSettings {
  readonly url: Redacted.Redacted<string>
  readonly connectOptions: ConnectOptions
  readonly exchange: string
  /** How long `publish` (connection included) waits for the broker's confirms before EventBusUnavailable. */
  readonly publishTimeout: Duration.Duration
  /** Where the broker is, without the password: for messages. */
  readonly broker: string
  readonly spanAttributes: Record<string, unknown>
}

/** The publisher's connection and confirm channel, dropped when either closes and opened again on demand. */
interface PublishLink {
  readonly connection: ChannelModel
  readonly channel: ConfirmChannel
  open: boolean
}

/**
 * The bus's `publish`: one connection and confirm channel, opened on demand (and again after it was lost), events
 * published in order (persistent, messageId, type, timestamp, traceparent), success once every one is confirmed.
 * The connection is closed with the scope.
 */
export const makePublisher = (
  settings: PublisherSettings
): Effect.Effect<EventBusShape["publish"], never, Scope.Scope> =>
  Effect.gen(function* () {
    const { exchange, publishTimeout } = settings
    const link = yield* SynchronizedRef.make(Option.none<PublishLink>())

    const closeLink = (current: PublishLink) =>
      Effect.andThen(
        Effect.sync(() => {
          current.open = false
        }),
        closeGracefully(() => current.connection.close())
      )

    /** A connection, a confirm channel and the exchange; a connection whose setup fails or is interrupted is closed. */
    const openLink = Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const connection = yield* restore(connect(settings.url, settings.connectOptions))
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
      SynchronizedRef.update(link, (current) =>
        Option.isSome(current) && current.value === failed ? Option.none() : current
      ).pipe(
        Effect.andThen(
          Effect.sync(() => {
            failed.open = false
          })
        ),
        Effect.andThen(quietly(() => failed.connection.close()))
      )

    yield* Effect.addFinalizer(() =>
      Effect.flatMap(SynchronizedRef.get(link), (current) =>
        Option.isSome(current) ? closeLink(current.value) : Effect.void
      )
    )

    return Effect.fn("EventBus.publish", {
      kind: "producer",
      attributes: { ...settings.spanAttributes, "messaging.destination.name": exchange }
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
        Effect.timeoutOrElse({
          duration: publishTimeout,
          orElse: () => Effect.fail(new AmqpError({ message: `no confirm within ${Duration.format(publishTimeout)}` }))
        }),
        Effect.mapError(unavailable(`cannot publish to RabbitMQ at ${settings.broker}`))
      )
    })
  })

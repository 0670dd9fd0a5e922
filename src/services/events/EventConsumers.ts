import { Duration, Effect, Layer, Metric, Option, Schedule } from "effect"
import type { DomainEvent, EventType } from "../../domain/events/DomainEvents.ts"
import { EventBus } from "../../domain/events/EventBus.ts"
import { type EventEnvelope, payloadOf } from "../../domain/events/EventEnvelope.ts"
import { Inbox } from "../../domain/events/Inbox.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import { EventsConfig } from "./EventsConfig.ts"
import { spanOfTraceparent } from "./TraceLink.ts"

export const eventsHandled = Metric.counter("goticket_events_handled_total", {
  description: "Domain events handled by a consumer (duplicates dropped by the inbox are not counted)",
  incremental: true
})
export const eventsFailed = Metric.counter("goticket_event_handler_failures_total", {
  description: "Failed deliveries of a domain event to a consumer (each is retried, then dead-lettered)",
  incremental: true
})
export const eventsSkipped = Metric.counter("goticket_events_skipped_total", {
  description: "Domain events a consumer had nothing to do for (its `wanted` said no): no inbox record, no transaction",
  incremental: true
})
export const eventsDuplicate = Metric.counter("goticket_events_duplicate_total", {
  description: "Redelivered domain events dropped by a consumer's inbox",
  incremental: true
})

/** A consumer of domain events: what it listens to and what it does with one, with its own dependencies. */
export interface Consumer<R> {
  /** Names its queue, its inbox and its dead letters. */
  readonly name: string
  readonly eventTypes: ReadonlyArray<EventType>
  readonly handle: (event: DomainEvent, envelope: EventEnvelope) => Effect.Effect<void, unknown, R>
  /**
   * Whether the event can have any effect at all; false skips it with no inbox record and no transaction. Only for a
   * handler that, given this answer, would do nothing whenever (and however often) the event arrived.
   */
  readonly wanted?: (event: DomainEvent, envelope: EventEnvelope) => Effect.Effect<boolean, unknown, R>
  /**
   * `wanted` from the envelope alone (its type, its time), asked first: false skips the event before its payload is
   * decoded. For the consumer that most events of a sale pass by.
   */
  readonly wantedEnvelope?: (envelope: EventEnvelope) => Effect.Effect<boolean, unknown, R>
  /**
   * Where the handler's effect lands: `database` (the default) commits it together with the inbox record, in one
   * transaction; `outside` (a mail) runs it with no transaction open, then records it (at least once).
   */
  readonly effects?: "database" | "outside"
}

/**
 * Runs a consumer on the bus for the life of the layer: each event is decoded against its schema and handled
 * through the inbox, so a redelivery has no second effect and the handler's own database writes commit with the
 * record that it ran. A failure is retried (CONSUMER_RETRY_BASE_MS, five times longer each time) and, after
 * CONSUMER_MAX_ATTEMPTS, dead-lettered. The handler's span sits in the bus's delivery span, in the trace of the
 * request that caused the event, and links to that request's span.
 */
export const consumerLayer = <R>(consumer: Consumer<R>) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const bus = yield* EventBus
      const inbox = yield* Inbox
      const config = yield* EventsConfig
      const base = Duration.toMillis(config.consumerRetryBase)
      // Labelled once, not per event.
      const labelled = (metric: Metric.Counter<number>) => Metric.withAttributes(metric, { consumer: consumer.name })
      const handledHere = labelled(eventsHandled)
      const duplicateHere = labelled(eventsDuplicate)
      const skippedHere = labelled(eventsSkipped)
      const failedHere = labelled(eventsFailed)

      const handleOne = (envelope: EventEnvelope, attempt: number) => {
        const cause = spanOfTraceparent(envelope.traceparent)
        const once = consumer.effects === "outside" ? inbox.onceAfter : inbox.once
        const wanted = consumer.wanted
        const handled = (run: Effect.Effect<void, unknown, R>) =>
          Effect.flatMap(once(consumer.name, envelope.id, run), (ran) =>
            Option.isSome(ran)
              ? Metric.update(handledHere, 1)
              : Effect.andThen(Metric.update(duplicateHere, 1), Effect.logDebug("duplicate event dropped"))
          )
        // Without `wanted`, the event is decoded inside the inbox's transaction, as it is handled. (A function: the
        // decode runs as soon as its effect is made.)
        const decided = () =>
          wanted === undefined
            ? handled(Effect.flatMap(payloadOf(envelope), (event) => consumer.handle(event, envelope)))
            : Effect.flatMap(payloadOf(envelope), (event) =>
                Effect.flatMap(wanted(event, envelope), (yes) =>
                  yes ? handled(consumer.handle(event, envelope)) : Metric.update(skippedHere, 1)
                )
              )
        const wantedEnvelope = consumer.wantedEnvelope
        return (
          wantedEnvelope === undefined
            ? decided()
            : Effect.flatMap(wantedEnvelope(envelope), (yes) => (yes ? decided() : Metric.update(skippedHere, 1)))
        ).pipe(
          Effect.tapCause((failure) =>
            Effect.andThen(
              Metric.update(failedHere, 1),
              Effect.logWarning("event handler failed; it will be retried", failure)
            )
          ),
          Effect.asVoid,
          Effect.annotateLogs({ consumer: consumer.name, eventId: envelope.id, eventType: envelope.type, attempt }),
          hotPathSpan(`${consumer.name} process ${envelope.type}`, {
            kind: "consumer",
            // Nested in the bus's delivery span, which continues the trace of the request that caused the event.
            links: Option.match(cause, {
              onNone: () => [],
              onSome: (span) => [{ span, attributes: { "goticket.link": "caused-by" } }]
            }),
            attributes: {
              "messaging.system": "goticket",
              "messaging.operation": "process",
              "messaging.destination.name": consumer.name,
              "messaging.message.id": envelope.id,
              "goticket.event.type": envelope.type,
              "goticket.delivery.attempt": attempt
            }
          })
        )
      }

      // Awaited, not forked: the queue must exist before the relay (built after the consumers) publishes, or the
      // first events of a new deployment would be routed nowhere. Both buses' `consume` return once subscribed (the
      // RabbitMQ one also when the broker is down at start-up: it then keeps connecting in the background).
      yield* bus
        .consume({
          consumer: consumer.name,
          eventTypes: consumer.eventTypes,
          maxAttempts: config.consumerMaxAttempts,
          retryDelays: [base, base * 5, base * 25, base * 125].map((ms) => Duration.millis(ms)),
          concurrency: config.consumerConcurrency,
          handle: ({ envelope, attempt }) => handleOne(envelope, attempt)
        })
        .pipe(
          Effect.tapError((error) =>
            Effect.logWarning(`cannot start consumer ${consumer.name}; retrying`).pipe(
              Effect.annotateLogs({ error: error.message })
            )
          ),
          Effect.retry(Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("5 seconds")]))
        )
    })
  )

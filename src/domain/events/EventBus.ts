import { Context, type Duration, type Effect, Schema, type Scope } from "effect"
import type { EventType } from "./DomainEvents.ts"
import type { EventEnvelope } from "./EventEnvelope.ts"

/** The broker cannot be reached or did not confirm: nothing was lost, the caller tries again later. */
export class EventBusUnavailable extends Schema.TaggedError<EventBusUnavailable>()("EventBusUnavailable", {
  message: Schema.String
}) {}

/** One delivery of an event to a consumer: the first is attempt 1, each redelivery after a failure adds one. */
export interface Delivery {
  readonly envelope: EventEnvelope
  readonly attempt: number
}

/**
 * A consumer of events: its own durable queue (`consumer` names it), the event types it receives, and how its
 * failures are retried. A handler that fails (or dies) has the event redelivered after `retryDelays[attempt - 1]`
 * (the last delay repeats); after `maxAttempts` failed deliveries the event goes to the consumer's dead letters.
 * The handler runs with the services of the `consume` call (R): nothing is provided again per delivery.
 */
export interface Subscription<R = never> {
  readonly consumer: string
  readonly eventTypes: ReadonlyArray<EventType>
  readonly maxAttempts: number
  readonly retryDelays: ReadonlyArray<Duration.Input>
  /** How many deliveries this consumer handles at once (RabbitMQ's prefetch). */
  readonly concurrency: number
  readonly handle: (delivery: Delivery) => Effect.Effect<void, unknown, R>
}

/** An event a consumer gave up on, kept until it is replayed. */
export interface DeadLetter {
  readonly envelope: EventEnvelope
  readonly attempts: number
  readonly lastError: string
  readonly deadAt: Date
}

/**
 * Port: the message broker. Delivery is at least once (consumers drop duplicates by event id through their inbox);
 * events of one aggregate are published in the order given.
 */
export interface EventBusShape {
  /** Succeeds only once the broker has confirmed every event (publisher confirms), so the caller may mark them sent. */
  readonly publish: (events: ReadonlyArray<EventEnvelope>) => Effect.Effect<void, EventBusUnavailable>
  /**
   * Starts consuming for as long as the scope is open: declares the consumer's queue (durable, so events published
   * while the consumer is away wait for it) and survives broker restarts by reconnecting with backoff.
   */
  readonly consume: <R = never>(
    subscription: Subscription<R>
  ) => Effect.Effect<void, EventBusUnavailable, Scope.Scope | R>
  /** The consumer's dead letters, oldest first, without removing them. */
  readonly deadLetters: (consumer: string) => Effect.Effect<ReadonlyArray<DeadLetter>, EventBusUnavailable>
  /** Sends the consumer's dead letters (all of them, or those with the given event ids) back to it, attempts reset. */
  readonly replayDeadLetters: (
    consumer: string,
    eventIds?: ReadonlyArray<string>
  ) => Effect.Effect<number, EventBusUnavailable>
}

export class EventBus extends Context.Service<EventBus, EventBusShape>()("goticket/EventBus") {}

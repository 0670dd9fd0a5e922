import { Clock, Duration, Effect, Exit, FiberSet, Layer, Queue, Schema, type Scope, Semaphore } from "effect"
import type { EventType } from "../../domain/events/DomainEvents.ts"
import {
  type DeadLetter,
  type Delivery,
  EventBus,
  type EventBusShape,
  type Subscription
} from "../../domain/events/EventBus.ts"
import { EnvelopeJson, type EventEnvelope } from "../../domain/events/EventEnvelope.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import {
  checkSubscription,
  DEFAULT_DRAIN_TIMEOUT,
  describeFailure,
  handleDelivery,
  retryDelayOf
} from "./DeliveryRules.ts"

// ---------------------------------------------------------------------------------------------------------------
// The in-process bus.
// ---------------------------------------------------------------------------------------------------------------

/** An event waiting in a consumer's queue, in its wire form (so handlers see exactly what RabbitMQ would give them). */
interface Pending {
  readonly body: string
  readonly attempt: number
}

/** A consumer's queue: created by its first `consume`, kept (and filled) while the consumer is stopped. */
interface ConsumerQueue {
  readonly pending: Queue.Queue<Pending>
  readonly bindings: Set<EventType>
  readonly dead: Array<DeadLetter>
}

// An envelope is checked where it is made (EventEnvelope's constructor): encoding it only writes it out; the
// consumer's side decodes and checks it as it would a message from the broker.
const encodeEnvelope = (envelope: EventEnvelope) =>
  Effect.orDie(Schema.encodeEffect(EnvelopeJson)(envelope, { disableChecks: true }))
const decodeEnvelope = (body: string) => Effect.orDie(Schema.decodeEffect(EnvelopeJson)(body))

export interface EventBusInProcessOptions {
  /** How long closing a consumer waits for its in-flight handlers (default 30 s). */
  readonly drainTimeout?: Duration.Input | undefined
}

/**
 * The EventBus in memory, with RabbitMQ's semantics: a queue per consumer bound to its event types, deliveries on
 * their own fibers (never inside `publish`, whose caller may hold a transaction), `concurrency` at once, retries
 * after `retryDelays` (Effect's Clock: TestClock drives them), dead letters and replay. Nothing survives the process.
 */
export const makeEventBusInProcess = (
  options: EventBusInProcessOptions = {}
): Effect.Effect<EventBusShape, never, Scope.Scope> =>
  Effect.gen(function* () {
    const drainTimeout = options.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT
    const queues = new Map<string, ConsumerQueue>()
    /** Failed deliveries waiting out their delay: they outlive the consumer that failed them, as a delay queue does. */
    const delayed = yield* FiberSet.make()

    const queueOf = (consumer: string): Effect.Effect<ConsumerQueue> =>
      Effect.suspend(() => {
        const existing = queues.get(consumer)
        if (existing !== undefined) return Effect.succeed(existing)
        return Effect.map(Queue.unbounded<Pending>(), (pending) => {
          const raced = queues.get(consumer)
          if (raced !== undefined) return raced
          const created: ConsumerQueue = { pending, bindings: new Set(), dead: [] }
          queues.set(consumer, created)
          return created
        })
      })

    // Generator functions made once, not per call (per event, during a sale): see HoldRoute's `program`.
    const publish: EventBusShape["publish"] = Effect.fnUntraced(
      function* (events: Parameters<EventBusShape["publish"]>[0]) {
        // Encoded first: an envelope that cannot be encoded (a defect) stops the whole batch, as it would on the wire.
        const bodies = yield* Effect.forEach(events, encodeEnvelope)
        for (const [index, envelope] of events.entries())
          for (const queue of queues.values())
            if (queue.bindings.has(envelope.type))
              yield* Queue.offer(queue.pending, { body: bodies[index] ?? "", attempt: 1 })
      },
      (effect, events) =>
        hotPathSpan("EventBus.publish", {
          kind: "producer",
          attributes: { "messaging.system": "in-process", "messaging.batch.message_count": events.length }
        })(effect)
    )

    const consume = <R>(subscription: Subscription<R>): Effect.Effect<void, never, Scope.Scope | R> =>
      Effect.gen(function* () {
        yield* checkSubscription(subscription)
        const queue = yield* queueOf(subscription.consumer)
        for (const type of subscription.eventTypes) queue.bindings.add(type)
        const subscribed = new Set<EventType>(subscription.eventTypes)

        /** After a delivery: nothing when it succeeded, else a redelivery later or a dead letter. */
        const settle = Effect.fnUntraced(function* (
          pending: Pending,
          envelope: Delivery["envelope"],
          exit: Exit.Exit<unknown, unknown>
        ) {
          if (Exit.isSuccess(exit)) return
          const error = describeFailure(exit.cause)
          const log = Effect.annotateLogs({
            consumer: subscription.consumer,
            eventId: envelope.id,
            eventType: envelope.type,
            attempt: pending.attempt,
            error
          })
          if (pending.attempt < subscription.maxAttempts) {
            const delay = retryDelayOf(subscription, pending.attempt)
            yield* log(Effect.logWarning(`event handler failed; redelivery in ${Duration.format(delay)}`))
            // Interruptible (a FiberSet's fibers start so): the layer's close does not wait out the delay.
            yield* FiberSet.run(
              delayed,
              Effect.sleep(delay).pipe(
                Effect.andThen(Queue.offer(queue.pending, { body: pending.body, attempt: pending.attempt + 1 }))
              )
            )
            return
          }
          const deadAt = new Date(yield* Clock.currentTimeMillis)
          queue.dead.push({ envelope, attempts: pending.attempt, lastError: error, deadAt })
          yield* log(Effect.logError("event handler failed for the last time; the event is a dead letter"))
        })

        const deliver = Effect.fnUntraced(function* (pending: Pending) {
          const envelope = yield* decodeEnvelope(pending.body)
          // Bindings outlive subscriptions (as on the broker): a type no longer subscribed is dropped.
          if (!subscribed.has(envelope.type)) return
          const delivery: Delivery = { envelope, attempt: pending.attempt }
          yield* handleDelivery(
            "in-process",
            subscription,
            delivery,
            (exit) => settle(pending, envelope, exit),
            // Back in the queue, as an unacknowledged message would be.
            Queue.offer(queue.pending, pending)
          )
        })

        const permits = yield* Semaphore.make(subscription.concurrency)
        const inFlight = yield* FiberSet.make()
        // Scope close, in reverse order: the dispatcher stops (forked last), in-flight handlers finish, the rest.
        yield* Effect.addFinalizer(() =>
          Effect.interruptible(FiberSet.awaitEmpty(inFlight)).pipe(
            Effect.timeout(drainTimeout),
            Effect.catchTag("TimeoutError", () =>
              Effect.logWarning(`consumer ${subscription.consumer}: handlers still running after the drain timeout`)
            )
          )
        )
        const dispatchOne = Effect.fnUntraced(function* (
          restore: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
        ) {
          yield* restore(permits.take(1))
          const pending = yield* restore(Queue.take(queue.pending)).pipe(
            Effect.onInterrupt(() => Effect.asVoid(permits.release(1)))
          )
          // A FiberSet's fibers start interruptible: the handler itself stays so (its own timeouts work).
          yield* FiberSet.run(inFlight, deliver(pending).pipe(Effect.ensuring(permits.release(1))))
        })
        yield* Effect.uninterruptibleMask(dispatchOne).pipe(Effect.forever, Effect.forkScoped)
      }).pipe(
        Effect.withSpan("EventBus.consume", {
          attributes: { "messaging.system": "in-process", "messaging.consumer.group.name": subscription.consumer }
        })
      )

    const deadLetters: EventBusShape["deadLetters"] = (consumer) =>
      Effect.sync(() => [...(queues.get(consumer)?.dead ?? [])]).pipe(
        Effect.withSpan("EventBus.deadLetters", { attributes: { "messaging.consumer.group.name": consumer } })
      )

    const replayDeadLetters: EventBusShape["replayDeadLetters"] = (consumer, eventIds) =>
      Effect.gen(function* () {
        const queue = queues.get(consumer)
        if (queue === undefined) return 0
        const wanted = eventIds === undefined ? undefined : new Set(eventIds)
        const chosen = queue.dead.filter((letter) => wanted === undefined || wanted.has(letter.envelope.id))
        const kept = queue.dead.filter((letter) => !chosen.includes(letter))
        queue.dead.splice(0, queue.dead.length, ...kept)
        for (const letter of chosen)
          yield* Queue.offer(queue.pending, { body: yield* encodeEnvelope(letter.envelope), attempt: 1 })
        return chosen.length
      }).pipe(
        Effect.withSpan("EventBus.replayDeadLetters", { attributes: { "messaging.consumer.group.name": consumer } })
      )

    return { publish, consume, deadLetters, replayDeadLetters } satisfies EventBusShape
  })

export const EventBusInProcess = {
  make: makeEventBusInProcess,
  /** A fresh bus per layer: its queues and dead letters live as long as the layer. */
  layer: (options: EventBusInProcessOptions = {}): Layer.Layer<EventBus> =>
    Layer.effect(EventBus, makeEventBusInProcess(options))
}

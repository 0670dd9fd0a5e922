import { Cause, Duration, Effect, Exit, Option } from "effect"
import type { Delivery, Subscription } from "../../domain/events/EventBus.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import { spanOfTraceparent } from "./TraceLink.ts"

// The delivery rules both buses share: one definition of retry, failure, the delivery's span and its settlement.

/** The wait before the next delivery once attempt `attempt` failed: `retryDelays[attempt - 1]`, the last repeating. */
export const retryDelayOf = (subscription: Pick<Subscription, "retryDelays">, attempt: number): Duration.Duration => {
  const delays = subscription.retryDelays
  const delay = delays[Math.min(Math.max(attempt, 1), delays.length) - 1]
  return delay === undefined ? Duration.zero : Duration.fromInputUnsafe(delay)
}

const describeError = (error: unknown): string => {
  if (typeof error === "string") return error
  if (typeof error === "object" && error !== null) {
    const { _tag, message, name } = error as { _tag?: unknown; message?: unknown; name?: unknown }
    const label = typeof _tag === "string" ? _tag : typeof name === "string" ? name : undefined
    const text = typeof message === "string" && message !== "" ? message : undefined
    if (label !== undefined || text !== undefined) return [label, text].filter((part) => part !== undefined).join(": ")
  }
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

/** A handler's failure in one short line: kept with a dead letter and logged. */
export const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const failure = Cause.findErrorOption(cause)
  const text =
    failure._tag === "Some"
      ? describeError(failure.value)
      : Cause.hasDies(cause)
        ? `defect: ${describeError(Cause.squash(cause))}`
        : "interrupted"
  return text.length > 500 ? `${text.slice(0, 497)}...` : text
}

/** A subscription that cannot work is a programming error: a defect at `consume`. */
export const checkSubscription = <R>(subscription: Subscription<R>): Effect.Effect<void> => {
  const problems = [
    /^[A-Za-z0-9_-]+$/.test(subscription.consumer) ? undefined : "consumer must be a name of [A-Za-z0-9_-]",
    Number.isInteger(subscription.concurrency) && subscription.concurrency >= 1
      ? undefined
      : "concurrency must be an integer ≥ 1",
    Number.isInteger(subscription.maxAttempts) && subscription.maxAttempts >= 1
      ? undefined
      : "maxAttempts must be an integer ≥ 1",
    subscription.eventTypes.length > 0 ? undefined : "eventTypes must not be empty"
  ].filter((problem) => problem !== undefined)
  return problems.length === 0
    ? Effect.void
    : Effect.die(new Error(`invalid subscription "${subscription.consumer}": ${problems.join("; ")}`))
}

/**
 * The span around one delivery: in the trace of the request that caused the event (its traceparent), else a trace
 * of its own; never under the long-finished span of the `consume` call.
 */
export const deliverySpan = (
  system: string,
  consumer: string,
  delivery: Delivery
): (<A, E, R>(handle: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) => {
  const { envelope, attempt } = delivery
  const parent = Option.getOrUndefined(spanOfTraceparent(envelope.traceparent))
  // Once per event and consumer, in a sale once per hold.
  return hotPathSpan("EventBus.handle", {
    kind: "consumer",
    ...(parent === undefined ? { root: true } : { parent }),
    attributes: {
      "messaging.system": system,
      "messaging.consumer.group.name": consumer,
      "messaging.message.id": envelope.id,
      "goticket.event.type": envelope.type,
      "goticket.delivery.attempt": attempt
    }
  })
}

/**
 * Whether a cause is the interruption of this fiber by another one (a consumer closing), not a handler that
 * interrupted itself (that counts as a failure).
 */
const interruptedFromOutside = (cause: Cause.Cause<unknown>, self: number): boolean =>
  Cause.hasInterruptsOnly(cause) &&
  cause.reasons.some((reason) => Cause.isInterruptReason(reason) && reason.fiberId !== self)

/**
 * Runs a delivery's handler (the only interruptible part), then `settle` with its exit, uninterruptibly: a delivery
 * is always acknowledged, retried or dead-lettered once its handler ran. If the delivery itself is interrupted (its
 * consumer closed past the drain timeout) `interrupted` runs instead: the event must come back. A handler that
 * interrupts itself counts as a failure.
 */
export const handleDelivery = <R>(
  system: string,
  subscription: Subscription<R>,
  delivery: Delivery,
  settle: (exit: Exit.Exit<void, unknown>) => Effect.Effect<void>,
  interrupted: Effect.Effect<void>
): Effect.Effect<void, never, R> =>
  Effect.uninterruptibleMask((restore) => handleMasked(restore, system, subscription, delivery, settle, interrupted))

/**
 * `handleDelivery`'s steps, inside its mask: one generator function for every delivery, not one made per delivery
 * (see the lean hold route's `program`, src/http/HoldRoute.ts).
 */
const handleMasked = Effect.fnUntraced(function* <R>(
  restore: <A, E, R1>(effect: Effect.Effect<A, E, R1>) => Effect.Effect<A, E, R1>,
  system: string,
  subscription: Subscription<R>,
  delivery: Delivery,
  settle: (exit: Exit.Exit<void, unknown>) => Effect.Effect<void>,
  interrupted: Effect.Effect<void>
) {
  const exit = yield* Effect.exit(
    restore(Effect.suspend(() => subscription.handle(delivery))).pipe(
      deliverySpan(system, subscription.consumer, delivery)
    )
  )
  if (Exit.isFailure(exit) && interruptedFromOutside(exit.cause, yield* Effect.fiberId)) return yield* interrupted
  return yield* settle(exit)
})

/** How long closing a consumer waits for its in-flight handlers before interrupting them. */
export const DEFAULT_DRAIN_TIMEOUT: Duration.Input = "30 seconds"

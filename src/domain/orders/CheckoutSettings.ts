import { Cause, Clock, Context, Duration, Effect, Schedule } from "effect"

/** The knobs of the checkout and refund sagas; the service layer fills them from configuration. */
export interface CheckoutSettingsShape {
  /** How long a customer has to pay once checkout started; the hold is kept at least this long. */
  readonly paymentWindow: Duration.Duration
  /** How an activity retries a provider that is down (each retry reuses the idempotency key). */
  readonly providerRetry: Schedule.Schedule<unknown, unknown>
  /**
   * How a saga step retries a database call that died of anything but an outage (a broken invariant, a bug): about
   * two minutes in all, then the step fails and the saga compensates.
   */
  readonly databaseRetry: Schedule.Schedule<unknown, unknown>
  /** How a saga step waits out an outage of its infrastructure (see `isOutage`): growing delays, without end. */
  readonly outageRetry: Schedule.Schedule<unknown, unknown>
  /**
   * Whether a defect is an outage that passes by itself (the database restarting, unreachable, a connection lost):
   * a step that meets one waits for the infrastructure instead of failing. The service layer says which (SQL's
   * transient failures); by default nothing is.
   */
  readonly isOutage: (defect: unknown) => boolean
}

export const CheckoutSettings = Context.Reference<CheckoutSettingsShape>("goticket/CheckoutSettings", {
  defaultValue: () => ({
    paymentWindow: Duration.minutes(5),
    // Exponential from 200 ms, capped at 30 s between attempts, 30 retries at most.
    providerRetry: Schedule.max([
      Schedule.min([Schedule.exponential(Duration.millis(200), 2), Schedule.spaced(Duration.seconds(30))]),
      Schedule.recurs(30)
    ]) as Schedule.Schedule<unknown, unknown>,
    // Exponential from 100 ms, capped at 10 s between attempts, 15 retries at most.
    databaseRetry: Schedule.max([
      Schedule.min([Schedule.exponential(Duration.millis(100), 2), Schedule.spaced(Duration.seconds(10))]),
      Schedule.recurs(15)
    ]) as Schedule.Schedule<unknown, unknown>,
    // Exponential from 200 ms, capped at 5 s between attempts: a step is at most 5 s late once the outage is over.
    outageRetry: Schedule.min([
      Schedule.exponential(Duration.millis(200), 2),
      Schedule.spaced(Duration.seconds(5))
    ]) as Schedule.Schedule<unknown, unknown>,
    isOutage: () => false
  })
})

/** A step waiting out an outage says so again every this many attempts (about once a minute at the 5 s cap). */
const WARN_EVERY = 12

/**
 * A saga step's database call, made to go through. An outage (the database restarting, unreachable, a lost
 * connection: `isOutage`) is waited out however long it lasts, with a warning when it starts and about once a
 * minute while it lasts: nothing a compensation could do would help (cancelling the order needs the same database),
 * and giving up would turn an infrastructure failure into a business one (a paid order cancelled, its money moved).
 * Any other defect is a bug or a broken invariant: retried per `databaseRetry`, then the step fails.
 */
export const persistently = <A, R>(step: string, effect: Effect.Effect<A, never, R>): Effect.Effect<A, never, R> =>
  Effect.gen(function* () {
    const settings = yield* CheckoutSettings
    const isOutage = (cause: Cause.Cause<never>) => {
      const reasons = cause.reasons.filter((r) => !Cause.isInterruptReason(r))
      return reasons.length > 0 && reasons.every((r) => Cause.isDieReason(r) && settings.isOutage(r.defect))
    }
    let waits = 0
    let since = 0
    const noteOutage = (cause: Cause.Cause<never>) =>
      Effect.gen(function* () {
        if (!isOutage(cause)) return
        if (waits === 0) since = yield* Clock.currentTimeMillis
        if (waits++ % WARN_EVERY === 0)
          yield* Effect.logWarning(
            `saga step ${step}: the database is unavailable; waiting for it (attempt ${waits}), nothing is compensated`,
            Cause.squash(cause)
          ).pipe(Effect.annotateLogs({ step, attempt: waits }))
      })
    const noteRecovery = Effect.gen(function* () {
      if (waits === 0) return
      const waited = (yield* Clock.currentTimeMillis) - since
      yield* Effect.logInfo(`saga step ${step}: went through after waiting ${waited} ms for the database`).pipe(
        Effect.annotateLogs({ step, attempts: waits + 1, waitedMs: waited })
      )
      waits = 0
    })
    return yield* effect.pipe(
      Effect.sandbox,
      Effect.tapError(noteOutage),
      Effect.retry({ schedule: settings.outageRetry, while: isOutage }),
      Effect.tap(() => noteRecovery),
      Effect.retry({ schedule: settings.databaseRetry, while: (cause) => !Cause.hasInterruptsOnly(cause) }),
      Effect.catch((cause) => Effect.failCause(cause))
    )
  })

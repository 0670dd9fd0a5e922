import { Context, Duration, Schedule } from "effect"

/** The knobs of the checkout and refund sagas; the service layer fills them from configuration. */
export interface CheckoutSettingsShape {
  /** How long a customer has to pay once checkout started; the hold is kept at least this long. */
  readonly paymentWindow: Duration.Duration
  /** How an activity retries a provider that is down (each retry reuses the idempotency key). */
  readonly providerRetry: Schedule.Schedule<unknown, unknown>
  /** How a saga step retries a database call that died (about two minutes in all, then the step fails). */
  readonly databaseRetry: Schedule.Schedule<unknown, unknown>
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
    ]) as Schedule.Schedule<unknown, unknown>
  })
})

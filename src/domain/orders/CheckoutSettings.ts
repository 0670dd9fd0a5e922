import { Context, Duration, Schedule } from "effect"

/** The knobs of the checkout and refund sagas; the service layer fills them from configuration. */
export class CheckoutSettings extends Context.Reference<CheckoutSettings>()("goticket/CheckoutSettings", {
  defaultValue: () => ({
    /** How long a customer has to pay once checkout started; the hold is kept at least this long. */
    paymentWindow: Duration.minutes(5),
    /** How an activity retries a provider that is down (each retry reuses the idempotency key). */
    providerRetry: Schedule.exponential(Duration.millis(200), 2).pipe(
      Schedule.either(Schedule.spaced(Duration.seconds(30))),
      Schedule.intersect(Schedule.recurs(30))
    ) as Schedule.Schedule<unknown, unknown>,
    /** How a saga step retries a database call that died (about two minutes in all, then the step fails). */
    databaseRetry: Schedule.exponential(Duration.millis(100), 2).pipe(
      Schedule.either(Schedule.spaced(Duration.seconds(10))),
      Schedule.intersect(Schedule.recurs(15))
    ) as Schedule.Schedule<unknown, unknown>
  })
}) {}

import { Cause, Clock, Duration, Effect, Metric, Option, Schema } from "effect"
import { Activity, DurableClock, DurableDeferred } from "effect/workflow"
import { type PaymentCallError, PaymentGateway, type PaymentIntent } from "../payments/PaymentGateway.ts"
import type { OrderId } from "../shared/Ids.ts"
import { now } from "../shared/Now.ts"
import { linkToTraceparent } from "../shared/Traceparent.ts"
import { CheckoutSettings, persistently } from "./CheckoutSettings.ts"
import { CheckoutWorkflow, PaymentAuthorization } from "./CheckoutWorkflow.ts"
import { CheckoutFailed } from "./errors.ts"
import type { CancelReason, Order } from "./Order.ts"
import { OrderRepository } from "./OrderRepository.ts"

/** Idempotency keys of the provider calls: one per order and step, so a re-run activity repeats nothing. */
export const paymentKeys = (orderId: OrderId) => ({
  intent: `order-${orderId}-intent`,
  capture: `order-${orderId}-capture`,
  void: `order-${orderId}-void`,
  refundAll: `order-${orderId}-refund-all`
})

/** Checkouts by outcome: `confirmed`, or the cancel reason. */
export const checkoutsEnded = Metric.counter("goticket_checkouts_total", {
  description: "Checkout sagas ended, by outcome (confirmed or the reason the order was cancelled)"
})
/** From the checkout request to the saga's end, by outcome. */
export const checkoutDuration = Metric.histogram("goticket_checkout_duration_seconds", {
  description: "Time from the checkout (the order's creation) to the saga's end, by outcome",
  boundaries: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800]
})
const countOutcome = (outcome: string, order: Order) =>
  Effect.all([
    Metric.update(Metric.withAttributes(checkoutsEnded, { outcome }), 1),
    Effect.flatMap(Clock.currentTimeMillis, (ms) =>
      Metric.update(
        Metric.withAttributes(checkoutDuration, { outcome }),
        Math.max(0, ms - order.createdAt.getTime()) / 1000
      )
    )
  ])

const failed = (reason: CheckoutFailed["reason"], message: string) => new CheckoutFailed({ reason, message })

/** Why the saga failed, as the order's cancel reason. */
export const cancelReasonOf = (cause: Cause.Cause<unknown>): CancelReason =>
  Option.match(Cause.findErrorOption(cause), {
    onNone: () => "payment_failed",
    onSome: (error) => (error instanceof CheckoutFailed ? error.reason : "payment_failed")
  })

const IntentRef = Schema.Struct({ intentId: Schema.String, amountMinor: Schema.Int })
type IntentRef = typeof IntentRef.Type

/**
 * The checkout saga, step by step:
 *   1. open the payment intent   (compensation: cancel the order and give its hold back, then, if it is cancelled
 *                                  now, void the intent, or refund it had it been captured)
 *   2. wait for the card's authorisation, at most the payment window (then void it, unless it was just paid)
 *   3. claim the units: the hold becomes sold, or the same units again if the hold was lost
 *                                (compensation: give the units back)
 *   4. capture the payment and 5. confirm the order and issue its tickets (one journaled step: both are idempotent)
 * A failure at any step runs the compensations of the steps done, newest first: nobody pays for tickets they do
 * not get. Every step is idempotent, because after a crash the step that was running runs again. An outage of the
 * database is not a failure: a step waits for it (`persistently`), so only the business (a declined card, a
 * closed window, units gone, a provider that refuses) ever cancels an order.
 */
export const CheckoutSagaLive = CheckoutWorkflow.toLayer(
  Effect.fn("CheckoutSaga")(function* ({ orderId, traceparent }) {
    // A run in another trace than the checkout's (resumed by the payment's webhook, or after a restart) links to it.
    yield* linkToTraceparent(traceparent, { "goticket.link": "checkout request", "goticket.order.id": orderId })
    const orders = yield* OrderRepository
    const gateway = yield* PaymentGateway
    const settings = yield* CheckoutSettings
    const keys = paymentKeys(orderId)
    const withProviderRetry = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.retry(effect, {
        schedule: settings.providerRetry,
        while: (error) => (error as { _tag?: string })._tag === "PaymentProviderUnavailable"
      })
    const step = <A, R>(name: string, effect: Effect.Effect<A, never, R>) =>
      persistently(name, effect).pipe(Effect.annotateLogs({ orderId }))

    /**
     * The saga gives up on the order. The order is cancelled first (only a pending one: any other status is left
     * alone), and money moves only if it is cancelled now: the intent is voided, or refunded in full had it been
     * captured. An order confirmed meanwhile keeps its payment and its tickets: a contradiction for a person to
     * look at, never a refund.
     */
    const giveUp = (reason: CancelReason, payment: IntentRef | undefined, cause: Cause.Cause<unknown>) =>
      Effect.gen(function* () {
        const order = yield* step(
          "CancelOrder",
          Effect.flatMap(now, (at) => orders.cancel(orderId, reason, at))
        )
        if (order.status !== "cancelled") {
          yield* Effect.logError(
            `checkout failed (${reason}) but the order is ${order.status}: its payment is left as it is, for a person to look at`,
            cause
          ).pipe(Effect.annotateLogs({ orderId, status: order.status }))
          return
        }
        if (reason === "payment_failed") yield* Effect.logWarning("checkout failed; the order is cancelled", cause)
        if (payment !== undefined)
          yield* abandonPayment(payment.intentId, payment.amountMinor, keys).pipe(
            withProviderRetry,
            Effect.catch((error) =>
              Effect.logError("checkout: could not void or refund the payment; the reconciliation will", error)
            )
          )
        yield* countOutcome(reason, order)
      }).pipe(Effect.annotateLogs({ orderId }))

    // 1. The order and its payment intent (the checkout request created and attached it already, with the same key:
    //    this records it; a saga started without one, by the sweeper, opens it). If the saga fails from here on: the order is cancelled and its hold or units given back,
    //    the intent voided (refunded, had it been captured).
    const intent = yield* Activity.make({
      name: "OpenPayment",
      success: IntentRef,
      error: CheckoutFailed,
      execute: Effect.gen(function* () {
        const order = yield* step("OpenPayment", orders.findById(orderId))
        if (Option.isNone(order)) return yield* Effect.die(`order ${orderId} does not exist`)
        // The checkout request opened and attached it already (the usual case): nothing to ask the provider.
        const attached = order.value.payment
        if (attached !== null && attached.provider === gateway.provider)
          return { intentId: attached.intentId, amountMinor: order.value.totalMinor }
        const opened = yield* openIntent(gateway, orderId, order.value.totalMinor, order.value.currency).pipe(
          withProviderRetry,
          Effect.mapError((error) => failed("payment_failed", error.message))
        )
        yield* step(
          "OpenPayment",
          orders.attachPayment(orderId, {
            provider: gateway.provider,
            intentId: opened.id,
            confirmUrl: opened.confirmUrl
          })
        )
        return { intentId: opened.id, amountMinor: opened.amountMinor }
      })
    }).pipe(
      CheckoutWorkflow.withCompensation((opened, cause) => giveUp(cancelReasonOf(cause), opened, cause)),
      // Failing before the intent is recorded (the provider refused it): nothing was authorised by this saga,
      // but the checkout request may have opened the intent, so the order is cancelled and any intent voided.
      Effect.tapError((error) =>
        Activity.make({
          name: "AbandonCheckout",
          execute: Effect.gen(function* () {
            const order = yield* step("AbandonCheckout", orders.findById(orderId))
            const payment = Option.getOrUndefined(
              Option.flatMap(order, (o) =>
                o.payment === null
                  ? Option.none()
                  : Option.some({ intentId: o.payment.intentId, amountMinor: o.totalMinor })
              )
            )
            yield* giveUp(error.reason, payment, Cause.fail(error))
          })
        })
      )
    )

    // 2. The customer pays on the provider's page; its webhook completes PaymentAuthorization.
    const outcome = yield* DurableDeferred.raceAll({
      name: "PaymentOrTimeout",
      success: Schema.Literals(["authorized", "timed_out"]),
      error: CheckoutFailed,
      effects: [
        DurableDeferred.await(PaymentAuthorization).pipe(
          Effect.mapError((declined) => failed("payment_declined", `the card was declined (${declined.declineCode})`))
        ),
        DurableClock.sleep({
          name: "PaymentWindow",
          duration: settings.paymentWindow,
          inMemoryThreshold: Duration.zero
        }).pipe(Effect.as("timed_out" as const))
      ]
    })
    if (outcome === "timed_out") {
      // The window closed: void the intent, unless the customer paid at the last moment.
      yield* Activity.make({
        name: "VoidUnpaidIntent",
        error: CheckoutFailed,
        execute: gateway.cancel(intent.intentId, keys.void).pipe(
          withProviderRetry,
          Effect.mapError((error) => failed("payment_failed", error.message)),
          Effect.flatMap((voided) =>
            voided._tag === "Canceled"
              ? Effect.fail(failed("payment_timed_out", "the payment window closed before the card was authorised"))
              : Effect.void
          )
        )
      })
    }

    // 3. Secure the units before taking any money.
    const units = yield* Activity.make({
      name: "ClaimUnits",
      success: Schema.Literals(["Claimed", "Reclaimed"]),
      error: CheckoutFailed,
      execute: step("ClaimUnits", orders.claimUnits(orderId)).pipe(
        Effect.flatMap((claim) =>
          claim._tag === "Unavailable"
            ? Effect.fail(failed("units_unavailable", "the hold ended and its tickets were sold to someone else"))
            : Effect.succeed(claim._tag)
        )
      )
    }).pipe(CheckoutWorkflow.withCompensation(() => step("ReleaseUnits", orders.releaseUnits(orderId))))

    // 4. Take the money, 5. issue the tickets: one journaled step, as both are idempotent by the order (the capture
    //    by its key, the confirmation by the order's status): a re-run captures nothing twice and issues nothing twice.
    yield* Activity.make({
      name: "CaptureAndIssueTickets",
      error: CheckoutFailed,
      execute: gateway.capture(intent.intentId, keys.capture).pipe(
        withProviderRetry,
        Effect.mapError((error) => failed("payment_failed", error.message)),
        Effect.andThen(
          step(
            "IssueTickets",
            Effect.flatMap(now, (at) => orders.confirm(orderId, at))
          )
        ),
        Effect.flatMap((order) =>
          order.status === "confirmed"
            ? countOutcome("confirmed", order)
            : Effect.logError(
                `the order was ${order.status} when its tickets were to be issued; its captured payment is left to the reconciliation`
              ).pipe(Effect.annotateLogs({ orderId }))
        )
      )
    })
    return { units }
  })
)

/** The intent of an order, created at most once whoever asks first (the request or the saga). */
export const openIntent = (
  gateway: PaymentGateway["Service"],
  orderId: OrderId,
  amountMinor: number,
  currency: string
): Effect.Effect<PaymentIntent, PaymentCallError> =>
  gateway.createIntent({
    idempotencyKey: paymentKeys(orderId).intent,
    reference: orderId,
    amountMinor,
    currency,
    description: `GoTicket order ${orderId}`
  })

/**
 * Nothing is owed: void the intent, or, if it was captured after all, give the whole amount back. The keys are the
 * order's, so whoever does it (the saga, its replay, the reconciliation) does it once.
 */
const abandonPayment = (intentId: string, amountMinor: number, keys: ReturnType<typeof paymentKeys>) =>
  Effect.gen(function* () {
    const gateway = yield* PaymentGateway
    const voided = yield* gateway.cancel(intentId, keys.void)
    if (voided._tag === "AlreadyCaptured" && voided.intent.capturedMinor - voided.intent.refundedMinor > 0) {
      yield* gateway.refund({ intentId, amountMinor, idempotencyKey: keys.refundAll })
    }
  })

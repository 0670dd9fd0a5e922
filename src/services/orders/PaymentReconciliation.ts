import { Clock, Duration, Effect, Exit, Layer, Option, Schedule } from "effect"
import { DurableDeferred, type WorkflowEngine } from "effect/workflow"
import { cancelReasonOf, paymentKeys } from "../../domain/orders/CheckoutSaga.ts"
import {
  CheckoutWorkflow,
  PaymentAuthorization,
  paymentAuthorizationToken
} from "../../domain/orders/CheckoutWorkflow.ts"
import { PaymentDeclined } from "../../domain/orders/errors.ts"
import type { Order } from "../../domain/orders/Order.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { type ReconciliationOutcome, repairOf } from "../../domain/orders/Reconciliation.ts"
import { PaymentGateway } from "../../domain/payments/PaymentGateway.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { OrdersConfig } from "./OrdersConfig.ts"

/** A pass looks at this many pending orders and this many settled ones at most: the rest waits for the next pass. */
const PENDING_PER_PASS = 500
const SETTLED_PER_PASS = 100

/**
 * Checks a settled order's payment at the provider once, repairs what the saga left (Reconciliation.repairOf) and
 * records the outcome: a cancelled order whose intent is still payable or authorised has it voided, one whose money
 * was captured has it refunded (with the saga's own idempotency keys: whoever does it, it is done once); a confirmed
 * order is expected captured, and anything else is logged as an error for a person (`needs_attention`): the saga
 * captures before it issues tickets, so capturing now could charge for something nobody checked. A provider that
 * fails leaves the order unmarked, for the next pass.
 */
export const reconcileSettledOrder = Effect.fn("PaymentReconciliation.settledOrder")(function* (order: Order) {
  const orders = yield* OrderRepository
  const gateway = yield* PaymentGateway
  const keys = paymentKeys(order.id)
  const intent = order.payment === null ? undefined : yield* gateway.retrieve(order.payment.intentId)
  const repair = repairOf(order, intent)
  const facts = { orderId: order.id, status: order.status, intent: intent?.id, intentStatus: intent?.status }
  let outcome: ReconciliationOutcome = "consistent"
  if (repair._tag === "NeedsAttention" || intent === undefined) {
    if (repair._tag === "NeedsAttention") {
      yield* Effect.logError(`payment reconciliation: ${repair.why}; left for a person`).pipe(
        Effect.annotateLogs(facts)
      )
      outcome = "needs_attention"
    }
  } else if (repair._tag === "Void") {
    const voided = yield* gateway.cancel(intent.id, keys.void)
    if (voided._tag === "AlreadyCaptured") {
      yield* Effect.logWarning("payment reconciliation: captured while being voided; the next pass refunds it").pipe(
        Effect.annotateLogs(facts)
      )
      return "unsettled" as const
    }
    if (voided._tag === "AlreadyAuthorized") {
      yield* Effect.logError("payment reconciliation: the provider cannot void this authorisation; left for a person")
      outcome = "needs_attention"
    } else {
      yield* Effect.logWarning("payment reconciliation: voided the intent of a cancelled order").pipe(
        Effect.annotateLogs(facts)
      )
      outcome = "voided"
    }
  } else if (repair._tag === "Refund") {
    yield* gateway.refund({
      intentId: intent.id,
      amountMinor: repair.amountMinor,
      // The saga's own key for the whole amount; a remainder after some refund gets a key of its own.
      idempotencyKey: intent.refundedMinor === 0 ? keys.refundAll : `${keys.refundAll}-rest-${intent.refundedMinor}`
    })
    yield* Effect.logWarning(
      `payment reconciliation: refunded ${repair.amountMinor} captured for a cancelled order`
    ).pipe(Effect.annotateLogs(facts))
    outcome = "refunded"
  }
  yield* orders.markReconciled(order.id, outcome, yield* now)
  return outcome
})

/**
 * Brings a pending order in line with its payment at the provider. Its saga runs (started if it was not), and an
 * intent the provider reports authorised or declined completes the saga's PaymentAuthorization, as its webhook
 * would have (a webhook lost, or handled by a saga that is gone); completing it again is harmless, the first
 * completion wins. A saga that is over and left its order pending (it died giving up, before it could cancel) is
 * settled as its compensation would have: the order cancelled, then its payment reconciled as a cancelled order's.
 * Everything else is left to the saga (its payment window, its compensations).
 */
export const reconcilePendingOrder = Effect.fn("PaymentReconciliation.pendingOrder")(function* (orderId: OrderId) {
  const orders = yield* OrderRepository
  const gateway = yield* PaymentGateway
  const order = yield* orders.findById(orderId)
  if (Option.isNone(order) || order.value.status !== "pending_payment") return
  const result = yield* CheckoutWorkflow.poll(yield* CheckoutWorkflow.executionId({ orderId }))
  if (Option.isSome(result) && result.value._tag === "Complete") {
    const exit = result.value.exit
    if (Exit.isSuccess(exit)) {
      yield* Effect.logError("payment reconciliation: the checkout saga succeeded but its order is still pending")
      return
    }
    yield* Effect.logWarning(
      "payment reconciliation: the checkout saga ended without settling its order; cancelling it"
    )
    const cancelled = yield* orders.cancel(orderId, cancelReasonOf(exit.cause), yield* now)
    if (cancelled.status === "cancelled") yield* reconcileSettledOrder(cancelled)
    return
  }
  yield* CheckoutWorkflow.execute({ orderId }, { discard: true })
  const payment = order.value.payment
  if (payment === null) return
  const intent = yield* gateway.retrieve(payment.intentId)
  const token = yield* paymentAuthorizationToken(orderId)
  if (intent.status === "requires_capture" || intent.status === "succeeded")
    yield* DurableDeferred.done(PaymentAuthorization, { token, exit: Exit.succeed("authorized" as const) })
  else if (intent.status === "failed")
    yield* DurableDeferred.done(PaymentAuthorization, {
      token,
      exit: Exit.fail(new PaymentDeclined({ declineCode: intent.declineCode ?? "declined" }))
    })
})

/** One pass: the pending orders, then the settled ones not reconciled yet, each bounded; answers what it did. */
export const reconciliationPass = (delay: Duration.Duration) =>
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const before = new Date((yield* Clock.currentTimeMillis) - Duration.toMillis(delay))
    const pending = yield* orders.pendingOrders(before, PENDING_PER_PASS)
    for (const orderId of pending)
      yield* reconcilePendingOrder(orderId).pipe(
        Effect.catchCause((cause) => Effect.logWarning("could not reconcile a pending order", cause)),
        Effect.annotateLogs({ orderId })
      )
    const settled = yield* orders.unreconciledOrders(before, SETTLED_PER_PASS)
    const outcomes: Record<string, number> = {}
    for (const order of settled) {
      const outcome = yield* reconcileSettledOrder(order).pipe(
        Effect.catchCause((cause) =>
          Effect.as(
            Effect.logWarning("could not reconcile a settled order; the next pass tries again", cause),
            "failed"
          )
        ),
        Effect.annotateLogs({ orderId: order.id })
      )
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    }
    if (settled.length > 0)
      yield* Effect.logInfo("payment reconciliation pass").pipe(
        Effect.annotateLogs({ pending: pending.length, settled: settled.length, ...outcomes })
      )
    return { pending: pending.length, settled: outcomes }
  })

/**
 * Every PAYMENT_RECONCILIATION_INTERVAL_MS (a minute): the orders pending or settled for over
 * PAYMENT_RECONCILIATION_DELAY_MS (two minutes) are brought in line with their intents at the provider.
 */
export const PaymentReconciliationLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const config = yield* OrdersConfig
    const context = yield* Effect.context<OrderRepository | PaymentGateway | WorkflowEngine.WorkflowEngine>()
    const pass = reconciliationPass(config.reconciliationDelay).pipe(
      Effect.provideContext(context),
      Effect.catchCause((cause) => Effect.logWarning("payment reconciliation failed", cause))
    )
    const firstAfter = Duration.min(Duration.seconds(20), config.reconciliationInterval)
    yield* Effect.forkScoped(
      Effect.repeat(pass, Schedule.spaced(config.reconciliationInterval)).pipe(Effect.delay(firstAfter))
    )
  })
)

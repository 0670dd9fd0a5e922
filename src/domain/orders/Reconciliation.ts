import { Schema } from "effect"
import type { PaymentIntent } from "../payments/PaymentGateway.ts"
import type { Order } from "./Order.ts"
import { isSettled } from "./OrderProgress.ts"

/*
 * The payment reconciliation's rules (pure): which orders it looks at, and what an order's intent at the provider
 * should be given the order's status. The saga guarantees, and so the rules expect:
 *   confirmed (and later refunds) ⇒ the intent was captured (tickets are issued only after the capture);
 *   cancelled                      ⇒ nothing is kept: the intent voided, declined or never paid, or refunded in full.
 * Both OrderRepository adapters select the orders due with `isDueForReconciliation` (the SQL one in its WHERE).
 */

/** What the reconciliation recorded about an order (once): all was well, or what it did. */
export const ReconciliationOutcome = Schema.Literals(["consistent", "voided", "refunded", "needs_attention"])
export type ReconciliationOutcome = typeof ReconciliationOutcome.Type

/** When the checkout's outcome was decided: the confirmation, or the cancellation (null while pending). */
export const settledAt = (order: Order): Date | null =>
  isSettled(order.status) ? (order.confirmedAt ?? order.cancelledAt) : null

/** A settled order not yet reconciled, settled before `settledBefore` (the saga's own compensation had its time). */
export const isDueForReconciliation = (order: Order, reconciledAt: Date | null, settledBefore: Date): boolean => {
  const settled = settledAt(order)
  return reconciledAt === null && settled !== null && settled.getTime() < settledBefore.getTime()
}

/** Only a settled order is ever marked reconciled (a pending one is still its saga's). */
export const canBeMarkedReconciled = (order: Order, reconciledAt: Date | null): boolean =>
  reconciledAt === null && isSettled(order.status)

/** What to do about a settled order's intent. */
export type Repair =
  | { readonly _tag: "Consistent" }
  /** Cancelled, and its intent can still be paid or is authorised: release it. */
  | { readonly _tag: "Void" }
  /** Cancelled, and money was captured: give back what is left of it. */
  | { readonly _tag: "Refund"; readonly amountMinor: number }
  /** A state the saga never leaves: tickets without money. A person decides (capturing could charge wrongly). */
  | { readonly _tag: "NeedsAttention"; readonly why: string }

const kept = (intent: PaymentIntent) => intent.capturedMinor - intent.refundedMinor

/**
 * What the order's intent needs, given the order. `intent` is undefined when the order records none: no confirm URL
 * was ever handed out for it (the checkout answers it only once it is recorded), so nobody can have paid it.
 */
export const repairOf = (order: Order, intent: PaymentIntent | undefined): Repair => {
  if (order.status === "pending_payment")
    return { _tag: "NeedsAttention", why: "a pending order is its saga's, not the reconciliation's" }
  if (intent === undefined)
    return order.status === "cancelled"
      ? { _tag: "Consistent" }
      : { _tag: "NeedsAttention", why: `the order is ${order.status} but records no payment` }
  if (order.status === "cancelled") {
    switch (intent.status) {
      case "requires_payment_method":
      case "processing":
      case "requires_capture":
        return { _tag: "Void" }
      case "succeeded":
        return kept(intent) > 0 ? { _tag: "Refund", amountMinor: kept(intent) } : { _tag: "Consistent" }
      case "failed":
      case "canceled":
        return { _tag: "Consistent" }
    }
  }
  // confirmed, partially_refunded, refunded: the money was captured before the tickets were issued.
  return intent.status === "succeeded" && intent.capturedMinor === order.totalMinor
    ? { _tag: "Consistent" }
    : {
        _tag: "NeedsAttention",
        why: `the order is ${order.status} but its intent is ${intent.status} with ${intent.capturedMinor} of ${order.totalMinor} captured`
      }
}

import { Effect, Schema } from "effect"
import { DurableDeferred, Workflow } from "effect/workflow"
import { OrderId } from "../shared/Ids.ts"
import { CheckoutFailed, PaymentDeclined } from "./errors.ts"

/**
 * The checkout saga of one order, from an open payment intent to issued tickets (or to nothing charged).
 * Its execution id is derived from the order id: starting it twice for the same order runs it once. `traceparent`
 * is the checkout request's span (W3C): a later run, resumed by the payment's webhook in another trace, links to it.
 */
export const CheckoutWorkflow = Workflow.make("Checkout", {
  payload: { orderId: OrderId, traceparent: Schema.optionalKey(Schema.String) },
  idempotencyKey: ({ orderId }) => orderId,
  success: Schema.Struct({ units: Schema.Literals(["Claimed", "Reclaimed"]) }),
  error: CheckoutFailed
})

/** Completed by the provider's webhook: the card was authorised, or declined. */
export const PaymentAuthorization = DurableDeferred.make("PaymentAuthorization", {
  success: Schema.Literal("authorized"),
  error: PaymentDeclined
})

/** The handle a webhook needs to complete an order's `PaymentAuthorization`. */
export const paymentAuthorizationToken = (orderId: OrderId) =>
  Effect.map(CheckoutWorkflow.executionId({ orderId }), (executionId) =>
    DurableDeferred.tokenFromExecutionId(PaymentAuthorization, { workflow: CheckoutWorkflow, executionId })
  )

/** Money goes back for part or all of an order (the tickets are voided before this saga starts). */
export const RefundWorkflow = Workflow.make("Refund", {
  payload: { refundId: Schema.String, orderId: OrderId },
  idempotencyKey: ({ refundId }) => refundId,
  success: Schema.Struct({ providerRefundId: Schema.NullOr(Schema.String) })
})

/** Every paid order of a cancelled event is refunded, one Refund saga each; resumable where it stopped. */
export const EventRefundsWorkflow = Workflow.make("EventRefunds", {
  payload: { eventId: Schema.String, requestedBy: Schema.String },
  idempotencyKey: ({ eventId }) => eventId,
  success: Schema.Struct({ orders: Schema.Int })
})

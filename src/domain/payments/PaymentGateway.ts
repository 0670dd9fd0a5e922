import { Context, type Effect, Schema } from "effect"

/**
 * A payment intent at the provider. Checkout authorises first and captures only once the tickets are secured:
 *   requires_payment_method → (processing →) requires_capture → succeeded
 *                           ↘ failed (declined)        ↘ canceled (voided authorisation or abandoned intent)
 */
export const IntentStatus = Schema.Literals([
  "requires_payment_method",
  "processing",
  "requires_capture",
  "succeeded",
  "failed",
  "canceled"
])
export type IntentStatus = typeof IntentStatus.Type

export class PaymentIntent extends Schema.Class<PaymentIntent>("PaymentIntent")({
  id: Schema.String,
  /** Our reference (the order id), echoed in every webhook about the intent. */
  reference: Schema.String,
  status: IntentStatus,
  amountMinor: Schema.Int,
  currency: Schema.String,
  capturedMinor: Schema.Int,
  refundedMinor: Schema.Int,
  /** Where the customer's client confirms the payment with a card (client-side confirmation). */
  confirmUrl: Schema.String,
  declineCode: Schema.NullOr(Schema.String)
}) {}

export class Refund extends Schema.Class<Refund>("Refund")({
  id: Schema.String,
  intentId: Schema.String,
  amountMinor: Schema.Int
}) {}

/** What a provider's webhook tells us, once its signature and timestamp have been verified. */
export const PaymentEventType = Schema.Literals([
  "payment_intent.processing",
  "payment_intent.authorized",
  "payment_intent.payment_failed",
  "payment_intent.succeeded",
  "payment_intent.canceled",
  "refund.succeeded"
])
export type PaymentEventType = typeof PaymentEventType.Type

export class PaymentEvent extends Schema.Class<PaymentEvent>("PaymentEvent")({
  /** Unique per event: redeliveries carry the same id. */
  id: Schema.String,
  type: PaymentEventType,
  intentId: Schema.String,
  reference: Schema.String,
  amountMinor: Schema.Int,
  declineCode: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromString
}) {}

/** The provider could not be reached or answered with a server error: safe to retry with the same key. */
export class PaymentProviderUnavailable extends Schema.TaggedError<PaymentProviderUnavailable>()(
  "PaymentProviderUnavailable",
  { message: Schema.String }
) {}

/** The provider refused the operation for good (wrong state, amount too large, unknown intent...). */
export class PaymentOperationRefused extends Schema.TaggedError<PaymentOperationRefused>()("PaymentOperationRefused", {
  code: Schema.String,
  message: Schema.String
}) {}

/** A webhook that is forged, stale (outside the replay window) or malformed. */
export class WebhookRejected extends Schema.TaggedError<WebhookRejected>()("WebhookRejected", {
  reason: Schema.Literals(["missing_signature", "bad_signature", "stale", "malformed"]),
  message: Schema.String
}) {}

export type PaymentCallError = PaymentProviderUnavailable | PaymentOperationRefused

/** How voiding an intent ended: it may have been authorised or paid in the meantime. */
export type CancelOutcome =
  | { readonly _tag: "Canceled"; readonly intent: PaymentIntent }
  | { readonly _tag: "AlreadyAuthorized"; readonly intent: PaymentIntent }
  | { readonly _tag: "AlreadyCaptured"; readonly intent: PaymentIntent }

/**
 * Port: a payment service provider. Every call that changes money carries an idempotency key, so that an activity
 * re-run after a crash repeats its effect at most once at the provider.
 */
export interface PaymentGatewayShape {
  /** The provider's name, as shown to clients (e.g. "sandbox"). */
  readonly provider: string
  readonly createIntent: (input: {
    readonly idempotencyKey: string
    readonly reference: string
    readonly amountMinor: number
    readonly currency: string
    readonly description: string
  }) => Effect.Effect<PaymentIntent, PaymentCallError>
  readonly retrieve: (intentId: string) => Effect.Effect<PaymentIntent, PaymentCallError>
  /** Captures an authorised intent in full. Capturing twice with the same key is one capture. */
  readonly capture: (intentId: string, idempotencyKey: string) => Effect.Effect<PaymentIntent, PaymentCallError>
  /** Voids an intent that is not captured; reports instead when it was authorised or captured already. */
  readonly cancel: (intentId: string, idempotencyKey: string) => Effect.Effect<CancelOutcome, PaymentCallError>
  /** Gives back part or all of a captured amount. */
  readonly refund: (input: {
    readonly intentId: string
    readonly amountMinor: number
    readonly idempotencyKey: string
  }) => Effect.Effect<Refund, PaymentCallError>
  /** Verifies a webhook's signature and timestamp (constant-time), then parses it. */
  readonly verifyWebhook: (input: {
    readonly payload: string
    readonly signature: string | undefined
    readonly now: Date
  }) => Effect.Effect<PaymentEvent, WebhookRejected>
}

export class PaymentGateway extends Context.Service<PaymentGateway, PaymentGatewayShape>()("goticket/PaymentGateway") {}

import { Effect, Schema } from "effect"
import { PaymentIntent } from "../../../domain/payments/PaymentGateway.ts"
import { isHttpUrl } from "./SandboxConfig.ts"

/**
 * The sandbox's HTTP wire format, shared by its server (SandboxApi.ts) and its client (PaymentGatewaySandbox.ts).
 * Successes answer the object itself (a PaymentIntent, a Refund, the Balance); every refusal answers
 * `{ error: { code, message, intent? } }` with a 4xx status, `intent` when the refusal is about the intent's state.
 */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"

export const CreateIntentBody = Schema.Struct({
  amountMinor: Schema.Int,
  currency: Schema.String,
  reference: Schema.String,
  description: Schema.String.pipe(Schema.withDecodingDefault(Effect.succeed("")))
})

export const ConfirmBody = Schema.Struct({ card: Schema.String })

export const RefundBody = Schema.Struct({ intentId: Schema.String, amountMinor: Schema.Int })

export const WebhookEndpointBody = Schema.Struct({
  /** null removes the endpoint (events then wait for a new one). */
  url: Schema.NullOr(Schema.String.check(Schema.makeFilter((value) => isHttpUrl(value) || "an http(s) URL")))
})

export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: Schema.String,
    message: Schema.String,
    intent: Schema.optionalKey(PaymentIntent)
  })
})
export type ErrorBody = typeof ErrorBody.Type

import { Effect, Result, Schema } from "effect"
import { PaymentEvent, PaymentEventType, WebhookRejected } from "../../../domain/payments/PaymentGateway.ts"
import { checkSignature, DEFAULT_TOLERANCE_SECONDS } from "./Signature.ts"

/**
 * A webhook event as the sandbox sends it (the JSON body of a delivery):
 * `{ id: "evt_…", type, createdAt: ISO-8601, data: { intentId, reference, amountMinor, declineCode } }`.
 * For `refund.succeeded`, `amountMinor` is the refunded amount; otherwise the intent's amount.
 */
/** Half of a UTF-16 surrogate pair without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** An event id: 1–255 characters, no NUL, well-formed Unicode (it is stored: PostgreSQL refuses the others). */
const EventId = Schema.String.check(
  Schema.makeFilter(
    (id) => (id.length >= 1 && id.length <= 255 && !id.includes("\u0000") && !LONE_SURROGATE.test(id)) || "an event id"
  )
)

export const WebhookEvent = Schema.Struct({
  id: EventId,
  type: PaymentEventType,
  createdAt: Schema.Date,
  data: Schema.Struct({
    intentId: Schema.String,
    reference: Schema.String,
    amountMinor: Schema.Int,
    declineCode: Schema.NullOr(Schema.String)
  })
})
export type WebhookEvent = typeof WebhookEvent.Type

// Over the wire `createdAt` is an ISO-8601 string (the JSON codec of a Date).
const WebhookEventJson = Schema.fromJsonString(Schema.toCodecJson(WebhookEvent))

/** The exact text of a delivery's body. */
export const encodeWebhookEvent: (event: WebhookEvent) => string = Schema.encodeSync(WebhookEventJson)

const decodeWebhookEvent = Schema.decodeUnknownResult(WebhookEventJson)

/** A signed delivery, as a receiver gets it: the raw body and the signature header. */
export interface SignedWebhook {
  readonly payload: string
  readonly signature: string
}

/**
 * The one webhook check both payment adapters use: signature and replay window (constant-time, see Signature.ts),
 * then the body parsed into the port's PaymentEvent. A body that is signed correctly but is not an event we know
 * is `malformed`.
 */
export const verifyWebhook =
  (secret: string, toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS) =>
  (input: {
    readonly payload: string
    readonly signature: string | undefined
    readonly now: Date
  }): Effect.Effect<PaymentEvent, WebhookRejected> =>
    Effect.gen(function* () {
      yield* Effect.fromResult(
        checkSignature({
          secret,
          payload: input.payload,
          header: input.signature,
          nowSeconds: Math.floor(input.now.getTime() / 1000),
          toleranceSeconds
        })
      )
      const event = decodeWebhookEvent(input.payload)
      if (Result.isFailure(event))
        return yield* new WebhookRejected({
          reason: "malformed",
          message: `not a payment event: ${event.failure.message}`
        })
      const { id, type, createdAt, data } = event.success
      return new PaymentEvent({ id, type, createdAt, ...data })
    })

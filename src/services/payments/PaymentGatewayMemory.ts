import { Clock, Context, Effect, Layer, Queue } from "effect"
import {
  type CancelOutcome,
  PaymentGateway,
  type PaymentIntent,
  PaymentOperationRefused
} from "../../domain/payments/PaymentGateway.ts"
import type { Balance, SandboxRefusal } from "./sandbox/SandboxLedger.ts"
import { makeSandboxState } from "./sandbox/SandboxState.ts"
import { DEFAULT_TOLERANCE_SECONDS, signatureHeader } from "./sandbox/Signature.ts"
import { encodeWebhookEvent, type SignedWebhook, verifyWebhook } from "./sandbox/WebhookEvent.ts"

/**
 * Test controls of the in-memory payment provider: what the customer and the provider's webhook sender would do.
 * Nothing happens by itself: a delayed card stays `processing` until `completeProcessing`, and webhooks wait in
 * `deliveries` until the test takes them.
 */
export interface MemoryPaymentProviderShape {
  readonly webhookSecret: string
  /** The customer confirms the intent with a card (the sandbox's card rules; see TEST_CARDS). */
  readonly confirm: (intentId: string, card: string) => Effect.Effect<PaymentIntent, PaymentOperationRefused>
  /** The delayed card's authorisation arrives now; a no-op unless the intent is still `processing`. */
  readonly completeProcessing: (intentId: string) => Effect.Effect<PaymentIntent, PaymentOperationRefused>
  /**
   * Webhooks as the provider would send them, in the order their events happened: the exact body and its
   * `Sandbox-Signature` header, signed when the event happened (Effect clock). `Queue.take` them, or `Queue.clear`
   * (all that wait, without waiting).
   */
  readonly deliveries: Queue.Dequeue<SignedWebhook>
  readonly balance: Effect.Effect<Balance>
}

export class MemoryPaymentProvider extends Context.Service<MemoryPaymentProvider, MemoryPaymentProviderShape>()(
  "goticket/MemoryPaymentProvider"
) {}

export interface PaymentGatewayMemoryOptions {
  readonly webhookSecret?: string | undefined
  readonly toleranceSeconds?: number | undefined
}

const refused = (refusal: SandboxRefusal) =>
  new PaymentOperationRefused({ code: refusal.code, message: refusal.message })

/**
 * The in-memory twin of PaymentGatewaySandbox: the sandbox's own state machine (SandboxLedger, through
 * SandboxState) without HTTP, so statuses, refusal codes, idempotency and webhook signatures are the same.
 */
export const makePaymentGatewayMemory = (
  options: PaymentGatewayMemoryOptions = {}
): Layer.Layer<PaymentGateway | MemoryPaymentProvider> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const webhookSecret = options.webhookSecret ?? "whsec_goticket_memory"
      const deliveries = yield* Queue.unbounded<SignedWebhook>()
      const state = yield* makeSandboxState({
        publicBaseUrl: "memory://payment-sandbox",
        publish: (event) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const payload = encodeWebhookEvent(event)
            const signature = signatureHeader(webhookSecret, payload, Math.floor(now / 1000))
            return Queue.offer(deliveries, { payload, signature })
          })
      })

      const gateway = PaymentGateway.of({
        // The twin of the sandbox: clients see the same provider whichever adapter runs.
        provider: "sandbox",
        createIntent: Effect.fn("PaymentGatewayMemory.createIntent")((input) =>
          Effect.mapError(state.createIntent(input), refused)
        ),
        retrieve: Effect.fn("PaymentGatewayMemory.retrieve")((intentId) =>
          Effect.mapError(state.retrieve(intentId), refused)
        ),
        capture: Effect.fn("PaymentGatewayMemory.capture")((intentId, idempotencyKey) =>
          Effect.mapError(state.capture({ intentId, idempotencyKey }), refused)
        ),
        cancel: Effect.fn("PaymentGatewayMemory.cancel")((intentId, idempotencyKey) =>
          state.cancel({ intentId, idempotencyKey }).pipe(
            Effect.map((intent): CancelOutcome => ({ _tag: "Canceled", intent })),
            // The same reading of the refusal as the HTTP adapter's.
            Effect.catchTag("SandboxRefusal", (refusal) =>
              refusal.code === "intent_already_captured" && refusal.intent !== undefined
                ? Effect.succeed<CancelOutcome>({ _tag: "AlreadyCaptured", intent: refusal.intent })
                : Effect.fail(refused(refusal))
            )
          )
        ),
        refund: Effect.fn("PaymentGatewayMemory.refund")((input) => Effect.mapError(state.refund(input), refused)),
        verifyWebhook: verifyWebhook(webhookSecret, options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)
      })

      const provider = MemoryPaymentProvider.of({
        webhookSecret,
        confirm: (intentId, card) =>
          state.clientSecretOf(intentId).pipe(
            Effect.flatMap((clientSecret) => state.confirm({ intentId, clientSecret, card })),
            Effect.mapError(refused)
          ),
        completeProcessing: (intentId) => Effect.mapError(state.completeProcessing(intentId), refused),
        deliveries,
        balance: state.balance
      })

      return Context.make(PaymentGateway, gateway).pipe(Context.add(MemoryPaymentProvider, provider))
    })
  )

import { NodeHttpClient } from "@effect/platform-node"
import { Config, Data, Duration, Effect, Layer, Redacted, Schedule, Schema } from "effect"
import { HttpClient, HttpClientRequest, HttpIncomingMessage } from "effect/http"
import {
  type CancelOutcome,
  type PaymentCallError,
  PaymentGateway,
  PaymentIntent,
  PaymentOperationRefused,
  PaymentProviderUnavailable,
  Refund
} from "../../domain/payments/PaymentGateway.ts"
import { isHttpUrl, validated } from "./sandbox/SandboxConfig.ts"
import { ErrorBody, IDEMPOTENCY_KEY_HEADER } from "./sandbox/SandboxProtocol.ts"
import { DEFAULT_TOLERANCE_SECONDS } from "./sandbox/Signature.ts"
import { verifyWebhook } from "./sandbox/WebhookEvent.ts"

export interface PaymentGatewaySandboxOptions {
  /** The sandbox's base URL, e.g. `http://127.0.0.1:4242`. */
  readonly baseUrl: string
  readonly apiKey: string | Redacted.Redacted
  readonly webhookSecret: string | Redacted.Redacted
  /** Replay window of webhook timestamps, either side of now (default 300 s). */
  readonly toleranceSeconds?: number | undefined
  /** How long one attempt may take (default 5 s). */
  readonly timeout?: Duration.Input | undefined
  /** Retries after a network error, a timeout, a 429 or a 5xx, with the same idempotency key (default 3). */
  readonly retries?: number | undefined
}

/** Worth another try: the request may or may not have been applied, the idempotency key makes a retry safe. */
class Transient extends Data.TaggedError("Transient")<{ readonly message: string }> {}
/** A 4xx answer: the provider refused, for good. */
class Refusal extends Data.TaggedError("Refusal")<{
  readonly code: string
  readonly message: string
  readonly intent: PaymentIntent | undefined
}> {}

const secret = (value: string | Redacted.Redacted) => (typeof value === "string" ? value : Redacted.value(value))

const toCallError = (error: Transient | Refusal): PaymentCallError =>
  error._tag === "Transient"
    ? new PaymentProviderUnavailable({ message: `payment provider unavailable: ${error.message}` })
    : new PaymentOperationRefused({ code: error.code, message: error.message })

/**
 * The PaymentGateway over HTTP to the sandbox PSP (`src/payment-sandbox.ts`). Every call: the API key, a
 * timeout per attempt, retries with backoff on what may be transient (each retry sends the same Idempotency-Key,
 * so a call the provider applied before the answer was lost is not applied twice); 4xx answers become
 * PaymentOperationRefused with the provider's code, the rest PaymentProviderUnavailable once retries are spent.
 */
export const makePaymentGatewaySandbox = (options: PaymentGatewaySandboxOptions) =>
  Effect.gen(function* () {
    const timeout = Duration.fromInputUnsafe(options.timeout ?? "5 seconds")
    const retries = options.retries ?? 3
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        request.pipe(
          HttpClientRequest.prependUrl(options.baseUrl.replace(/\/+$/, "")),
          HttpClientRequest.bearerToken(secret(options.apiKey)),
          HttpClientRequest.acceptJson
        )
      )
    )

    const send = <S extends Schema.Top>(request: HttpClientRequest.HttpClientRequest, schema: S) =>
      client.execute(request).pipe(
        Effect.flatMap((response): Effect.Effect<S["Type"], Transient | Refusal, S["DecodingServices"]> => {
          const status = response.status
          if (status >= 500 || status === 429)
            return Effect.andThen(
              Effect.ignore(response.text),
              Effect.fail(new Transient({ message: `the provider answered ${status}` }))
            )
          if (status >= 400)
            return HttpIncomingMessage.schemaBodyJson(ErrorBody)(response).pipe(
              Effect.matchEffect({
                onFailure: () =>
                  Effect.fail(
                    new Refusal({
                      code: `http_${status}`,
                      message: `the provider answered ${status}`,
                      intent: undefined
                    })
                  ),
                onSuccess: ({ error }) =>
                  Effect.fail(new Refusal({ code: error.code, message: error.message, intent: error.intent }))
              })
            )
          return HttpIncomingMessage.schemaBodyJson(schema)(response).pipe(
            Effect.mapError((error) => new Transient({ message: `unreadable answer: ${error.message}` }))
          )
        }),
        Effect.catchTag("HttpClientError", (error) => Effect.fail(new Transient({ message: error.message }))),
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.fail(new Transient({ message: `no answer within ${Duration.format(timeout)}` }))
        }),
        Effect.retry({
          while: (error) => error._tag === "Transient",
          schedule: Schedule.exponential("100 millis", 2).pipe(Schedule.jittered),
          times: retries
        })
      )

    const withKey = (request: HttpClientRequest.HttpClientRequest, idempotencyKey: string) =>
      HttpClientRequest.setHeader(request, IDEMPOTENCY_KEY_HEADER, idempotencyKey)
    const intentPath = (intentId: string, action = "") =>
      `/v1/payment_intents/${encodeURIComponent(intentId)}${action === "" ? "" : `/${action}`}`

    return PaymentGateway.of({
      provider: "sandbox",

      createIntent: Effect.fn("PaymentGatewaySandbox.createIntent")(function* (input) {
        yield* Effect.annotateCurrentSpan({ "payment.reference": input.reference, "payment.amount": input.amountMinor })
        const request = HttpClientRequest.post("/v1/payment_intents").pipe(
          HttpClientRequest.bodyJsonUnsafe({
            amountMinor: input.amountMinor,
            currency: input.currency,
            reference: input.reference,
            description: input.description
          })
        )
        return yield* send(withKey(request, input.idempotencyKey), PaymentIntent).pipe(Effect.mapError(toCallError))
      }),

      retrieve: Effect.fn("PaymentGatewaySandbox.retrieve")(function* (intentId) {
        yield* Effect.annotateCurrentSpan({ "payment.intent_id": intentId })
        return yield* send(HttpClientRequest.get(intentPath(intentId)), PaymentIntent).pipe(
          Effect.mapError(toCallError)
        )
      }),

      capture: Effect.fn("PaymentGatewaySandbox.capture")(function* (intentId, idempotencyKey) {
        yield* Effect.annotateCurrentSpan({ "payment.intent_id": intentId })
        const request = withKey(HttpClientRequest.post(intentPath(intentId, "capture")), idempotencyKey)
        return yield* send(request, PaymentIntent).pipe(Effect.mapError(toCallError))
      }),

      cancel: Effect.fn("PaymentGatewaySandbox.cancel")(function* (intentId, idempotencyKey) {
        yield* Effect.annotateCurrentSpan({ "payment.intent_id": intentId })
        const request = withKey(HttpClientRequest.post(intentPath(intentId, "cancel")), idempotencyKey)
        return yield* send(request, PaymentIntent).pipe(
          Effect.map((intent): CancelOutcome => ({ _tag: "Canceled", intent })),
          // A refusal that carries the intent tells what happened instead of the void.
          Effect.catchTag("Refusal", (refusal): Effect.Effect<CancelOutcome, Refusal> => {
            const { intent } = refusal
            if (intent !== undefined && refusal.code === "intent_already_captured")
              return Effect.succeed({ _tag: "AlreadyCaptured", intent })
            // Not answered by the sandbox (it voids authorised intents); kept for providers that cannot void.
            if (intent !== undefined && refusal.code === "intent_already_authorized")
              return Effect.succeed({ _tag: "AlreadyAuthorized", intent })
            return Effect.fail(refusal)
          }),
          Effect.mapError(toCallError)
        )
      }),

      refund: Effect.fn("PaymentGatewaySandbox.refund")(function* (input) {
        yield* Effect.annotateCurrentSpan({ "payment.intent_id": input.intentId, "payment.amount": input.amountMinor })
        const request = HttpClientRequest.post("/v1/refunds").pipe(
          HttpClientRequest.bodyJsonUnsafe({ intentId: input.intentId, amountMinor: input.amountMinor })
        )
        return yield* send(withKey(request, input.idempotencyKey), Refund).pipe(Effect.mapError(toCallError))
      }),

      verifyWebhook: verifyWebhook(secret(options.webhookSecret), options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)
    })
  })

/** PAYMENT_PROVIDER_URL, PAYMENT_API_KEY, PAYMENT_WEBHOOK_SECRET; the defaults match the sandbox's own. */
export const PaymentGatewaySandboxConfig = Config.all({
  baseUrl: validated(
    "PAYMENT_PROVIDER_URL",
    Schema.String,
    "PAYMENT_PROVIDER_URL must be an http(s) URL",
    isHttpUrl
  ).pipe(Config.withDefault("http://127.0.0.1:4242")),
  apiKey: Config.Redacted("PAYMENT_API_KEY").pipe(Config.withDefault(Redacted.make("sk_test_goticket"))),
  webhookSecret: Config.Redacted("PAYMENT_WEBHOOK_SECRET").pipe(
    Config.withDefault(Redacted.make("whsec_goticket_sandbox"))
  )
})

export const PaymentGatewaySandbox = {
  make: makePaymentGatewaySandbox,
  /** The adapter with its own HTTP client (undici, closed with the layer). */
  layer: (options: PaymentGatewaySandboxOptions): Layer.Layer<PaymentGateway> =>
    Layer.effect(PaymentGateway, makePaymentGatewaySandbox(options)).pipe(Layer.provide(NodeHttpClient.layerUndici)),
  /** From PAYMENT_PROVIDER_URL, PAYMENT_API_KEY and PAYMENT_WEBHOOK_SECRET. */
  layerConfig: Layer.unwrap(
    Effect.gen(function* () {
      const config = yield* PaymentGatewaySandboxConfig
      return Layer.effect(PaymentGateway, makePaymentGatewaySandbox(config)).pipe(
        Layer.provide(NodeHttpClient.layerUndici)
      )
    })
  )
}

import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Queue, Ref, References, Result, Schedule, Schema } from "effect"
import {
  isAbout,
  PaymentProviderHarness,
  paymentGatewayContract
} from "../../../test/contracts/PaymentGatewayContract.ts"
import { PaymentGateway, PaymentIntent, PaymentOperationRefused } from "../../domain/payments/PaymentGateway.ts"
import { MemoryPaymentProvider, makePaymentGatewayMemory } from "./PaymentGatewayMemory.ts"
import { PaymentGatewaySandbox } from "./PaymentGatewaySandbox.ts"
import { Balance } from "./sandbox/SandboxLedger.ts"
import { PaymentSandbox } from "./sandbox/SandboxServer.ts"
import type { SignedWebhook } from "./sandbox/WebhookEvent.ts"
import { sandboxCall } from "./testing/SandboxHttp.ts"
import { makeWebhookReceiver } from "./testing/WebhookReceiver.ts"

// ---------------------------------------------------------------------------------------------------------------
// In memory: the test controls stand for the customer and the webhook sender.
// ---------------------------------------------------------------------------------------------------------------

const memoryHarness = Layer.effect(
  PaymentProviderHarness,
  Effect.gen(function* () {
    const provider = yield* MemoryPaymentProvider
    const taken = yield* Ref.make<ReadonlyArray<SignedWebhook>>([])
    return PaymentProviderHarness.of({
      webhookSecret: provider.webhookSecret,
      confirm: (intent, card) => provider.confirm(intent.id, card),
      settle: (intentId) => Effect.orDie(provider.completeProcessing(intentId)),
      // Nothing is delivered by itself: what happened is already in the queue.
      webhook: (intentId, type) =>
        Effect.gen(function* () {
          const fresh = yield* Queue.clear(provider.deliveries)
          const all = yield* Ref.updateAndGet(taken, (before) => [...before, ...fresh])
          const found = all.find((delivery) => isAbout(intentId, type)(delivery.payload))
          return found ?? (yield* Effect.die(new Error(`no ${type} webhook about ${intentId}`)))
        }),
      balance: provider.balance
    })
  })
).pipe(Layer.provideMerge(makePaymentGatewayMemory({ webhookSecret: "whsec_contract_memory" })))

paymentGatewayContract("in-memory", memoryHarness)

// ---------------------------------------------------------------------------------------------------------------
// Sandbox: the real server in process on a free port, the HTTP adapter, a local webhook endpoint.
// ---------------------------------------------------------------------------------------------------------------

const quiet = Layer.succeed(References.MinimumLogLevel, "Warn")

const API_KEY = "sk_test_contract"
const WEBHOOK_SECRET = "whsec_contract_sandbox"

const decodeIntent = Schema.decodeUnknownSync(PaymentIntent)
const decodeBalance = Schema.decodeUnknownSync(Balance)

const sandboxAdapters = Layer.unwrap(
  Effect.gen(function* () {
    const sandbox = yield* PaymentSandbox
    const receiver = yield* makeWebhookReceiver()
    // The endpoint is set over HTTP, as the app does when the sandbox runs in another process.
    const set = yield* sandboxCall(`${sandbox.baseUrl}/v1/webhook_endpoints`, {
      apiKey: API_KEY,
      body: { url: receiver.url }
    })
    if (set.status !== 200) return yield* Effect.die(new Error(`could not set the webhook endpoint: ${set.status}`))

    const gateway = PaymentGatewaySandbox.layer({
      baseUrl: sandbox.baseUrl,
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET
    })
    const harness = Layer.effect(
      PaymentProviderHarness,
      Effect.map(PaymentGateway, (payments) =>
        PaymentProviderHarness.of({
          webhookSecret: WEBHOOK_SECRET,
          // The customer's client: the intent's confirmUrl, no API key.
          confirm: (intent, card) =>
            Effect.flatMap(sandboxCall(intent.confirmUrl, { body: { card } }), (reply) =>
              reply.status === 200
                ? Effect.succeed(decodeIntent(reply.body))
                : Effect.fail(new PaymentOperationRefused(reply.body.error))
            ),
          // The sandbox authorises the delayed card by itself: wait until it is no longer processing.
          settle: (intentId) =>
            payments.retrieve(intentId).pipe(
              Effect.repeat({
                until: (intent) => intent.status !== "processing",
                schedule: Schedule.spaced("20 millis")
              }),
              Effect.andThen(payments.retrieve(intentId)),
              Effect.orDie
            ),
          webhook: (intentId, type) =>
            Effect.map(
              receiver.acknowledged((delivery) => isAbout(intentId, type)(delivery.payload)),
              (delivery) => ({ payload: delivery.payload, signature: delivery.signature ?? "" })
            ),
          balance: Effect.map(sandboxCall(`${sandbox.baseUrl}/v1/balance`, { apiKey: API_KEY }), (reply) =>
            decodeBalance(reply.body)
          )
        })
      )
    )
    return Layer.provideMerge(harness, gateway)
  })
).pipe(
  Layer.provide(PaymentSandbox.layer({ port: 0, apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET, delayMs: 50 })),
  Layer.provide(quiet)
)

paymentGatewayContract("sandbox over HTTP", sandboxAdapters)

// ---------------------------------------------------------------------------------------------------------------
// The HTTP adapter's own failure handling.
// ---------------------------------------------------------------------------------------------------------------

const anIntent = {
  idempotencyKey: "key-1",
  reference: "order-1",
  amountMinor: 1_000,
  currency: "EUR",
  description: "test"
}

/** A provider stand-in that answers `answers` in turn (then the last one), recording each request. */
const fakeProvider = (answers: ReadonlyArray<{ readonly status: number; readonly body: unknown }>) =>
  Effect.acquireRelease(
    Effect.callback<{
      readonly url: string
      readonly requests: Array<{ readonly key: string | undefined; readonly auth: string | undefined }>
      readonly server: ReturnType<typeof createServer>
    }>((resume) => {
      const requests: Array<{ key: string | undefined; auth: string | undefined }> = []
      const server = createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          const key = request.headers["idempotency-key"]
          requests.push({ key: Array.isArray(key) ? key[0] : key, auth: request.headers.authorization })
          const answer = answers[Math.min(requests.length, answers.length) - 1] ?? { status: 500, body: {} }
          response.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body))
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server }))
      )
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const intentJson = {
  id: "pi_fake",
  reference: "order-1",
  status: "requires_payment_method",
  amountMinor: 1_000,
  currency: "EUR",
  capturedMinor: 0,
  refundedMinor: 0,
  confirmUrl: "http://x/v1/payment_intents/pi_fake/confirm?client_secret=s",
  declineCode: null
}

const createWith = (baseUrl: string, retries = 3) =>
  Effect.gen(function* () {
    const gateway = yield* PaymentGateway
    return yield* Effect.result(gateway.createIntent(anIntent))
  }).pipe(
    Effect.provide(
      PaymentGatewaySandbox.layer({ baseUrl, apiKey: "sk_test_fake", webhookSecret: "whsec_fake", retries })
    )
  )

it.live("PaymentGatewaySandbox retries 5xx answers with the same idempotency key, then succeeds", () =>
  Effect.gen(function* () {
    const provider = yield* fakeProvider([
      { status: 503, body: {} },
      { status: 500, body: { error: { code: "internal_error", message: "boom" } } },
      { status: 200, body: intentJson }
    ])
    const result = yield* createWith(provider.url)
    expect(Option.getOrNull(Option.map(Result.getSuccess(result), (intent) => intent.id))).toBe("pi_fake")
    expect(provider.requests).toEqual([
      { key: "key-1", auth: "Bearer sk_test_fake" },
      { key: "key-1", auth: "Bearer sk_test_fake" },
      { key: "key-1", auth: "Bearer sk_test_fake" }
    ])
  })
)

it.live("PaymentGatewaySandbox reports PaymentProviderUnavailable once its retries are spent", () =>
  Effect.gen(function* () {
    const provider = yield* fakeProvider([{ status: 502, body: {} }])
    const failed = Option.getOrThrow(Result.getFailure(yield* createWith(provider.url, 2)))
    expect(failed._tag).toBe("PaymentProviderUnavailable")
    expect(provider.requests).toHaveLength(3)

    // Nothing listens on port 1: a network error, retried, then unavailable.
    const unreachable = Option.getOrThrow(Result.getFailure(yield* createWith("http://127.0.0.1:1", 1)))
    expect(unreachable._tag).toBe("PaymentProviderUnavailable")
  })
)

it.live("PaymentGatewaySandbox does not retry a refusal, and reports its code", () =>
  Effect.gen(function* () {
    const provider = yield* fakeProvider([
      { status: 409, body: { error: { code: "idempotency_key_reused", message: "other request" } } }
    ])
    const failed = Option.getOrThrow(Result.getFailure(yield* createWith(provider.url)))
    expect(failed).toMatchObject({ _tag: "PaymentOperationRefused", code: "idempotency_key_reused" })
    expect(provider.requests).toHaveLength(1)

    // A 4xx without the provider's error body still is a refusal, named after its status.
    const bare = yield* fakeProvider([{ status: 418, body: "teapot" }])
    expect(Option.getOrThrow(Result.getFailure(yield* createWith(bare.url)))).toMatchObject({
      _tag: "PaymentOperationRefused",
      code: "http_418"
    })
  })
)

it.live("PaymentGatewaySandbox with a wrong API key is refused invalid_api_key", () =>
  Effect.gen(function* () {
    const sandbox = yield* PaymentSandbox
    const failed = yield* Effect.flip(
      Effect.flatMap(PaymentGateway, (gateway) => gateway.createIntent(anIntent)).pipe(
        Effect.provide(
          PaymentGatewaySandbox.layer({ baseUrl: sandbox.baseUrl, apiKey: "sk_wrong", webhookSecret: "w" })
        )
      )
    )
    expect(failed).toMatchObject({ _tag: "PaymentOperationRefused", code: "invalid_api_key" })
  }).pipe(Effect.provide(PaymentSandbox.layer({ port: 0 })), Effect.provide(quiet))
)

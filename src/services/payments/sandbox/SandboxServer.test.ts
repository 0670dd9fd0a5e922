import { expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Option, References } from "effect"
import { sandboxCall } from "../testing/SandboxHttp.ts"
import { makeWebhookReceiver, type ReceivedWebhook } from "../testing/WebhookReceiver.ts"
import type { SandboxOptions } from "./SandboxConfig.ts"
import { TEST_CARDS } from "./SandboxLedger.ts"
import { PaymentSandbox } from "./SandboxServer.ts"
import { verifyWebhook } from "./WebhookEvent.ts"

const API_KEY = "sk_test_server"
const SECRET = "whsec_test_server"
const quiet = Layer.succeed(References.MinimumLogLevel, "Warn")

/** Runs `body` against a sandbox listening on a free port, stopped afterwards. */
const withSandbox = <A, E, R>(
  options: Partial<SandboxOptions>,
  body: (sandbox: PaymentSandbox["Service"]) => Effect.Effect<A, E, R>
) =>
  Effect.flatMap(PaymentSandbox, body).pipe(
    Effect.provide(PaymentSandbox.layer({ port: 0, apiKey: API_KEY, webhookSecret: SECRET, ...options })),
    Effect.provide(quiet)
  )

/** A customer's payment: an intent created with the API key, confirmed through its confirmUrl. */
const paidIntent = (baseUrl: string, card: string = TEST_CARDS.authorized) =>
  Effect.gen(function* () {
    const created = yield* sandboxCall(`${baseUrl}/v1/payment_intents`, {
      apiKey: API_KEY,
      idempotencyKey: crypto.randomUUID(),
      body: { amountMinor: 1_500, currency: "eur", reference: `order-${crypto.randomUUID()}`, description: "x" }
    })
    expect(created.status).toBe(200)
    const confirmed = yield* sandboxCall(created.body.confirmUrl, { body: { card } })
    expect(confirmed.status).toBe(200)
    return confirmed.body as { id: string; status: string; currency: string }
  })

const about = (intentId: string, type: string) => (delivery: ReceivedWebhook) => {
  const event = JSON.parse(delivery.payload)
  return event.type === type && event.data.intentId === intentId
}

const verify = verifyWebhook(SECRET)

it.live("a webhook is retried until the endpoint acknowledges it: same event, signed on every attempt", () =>
  Effect.gen(function* () {
    // Every event is refused twice, then acknowledged.
    const receiver = yield* makeWebhookReceiver((delivery) => (delivery.previous < 2 ? 500 : 200))
    yield* withSandbox({ webhookUrl: receiver.url }, (sandbox) =>
      Effect.gen(function* () {
        const intent = yield* paidIntent(sandbox.baseUrl)
        const acknowledged = yield* receiver.acknowledged(about(intent.id, "payment_intent.authorized"))

        const attempts = (yield* receiver.received).filter((d) => d.eventId === acknowledged.eventId)
        expect(attempts.map((d) => d.status)).toEqual([500, 500, 200])
        expect(new Set(attempts.map((d) => d.payload)).size).toBe(1)
        for (const attempt of attempts) {
          const event = yield* verify({ payload: attempt.payload, signature: attempt.signature, now: new Date() })
          expect(event).toMatchObject({
            id: acknowledged.eventId,
            intentId: intent.id,
            type: "payment_intent.authorized"
          })
        }
      })
    )
  })
)

it.live("with SANDBOX_DUPLICATE_RATE=1 every event is delivered twice, with the same id (layerConfig)", () =>
  Effect.gen(function* () {
    const receiver = yield* makeWebhookReceiver()
    const config = ConfigProvider.fromEnv({
      env: {
        SANDBOX_PORT: "0",
        SANDBOX_API_KEY: API_KEY,
        SANDBOX_WEBHOOK_SECRET: SECRET,
        SANDBOX_WEBHOOK_URL: receiver.url,
        SANDBOX_DUPLICATE_RATE: "1",
        SANDBOX_REORDER: "true"
      }
    })
    yield* Effect.gen(function* () {
      const sandbox = yield* PaymentSandbox
      const intent = yield* paidIntent(sandbox.baseUrl)
      const copies = yield* receiver.waitFor((all) => {
        const found = all.filter(about(intent.id, "payment_intent.authorized"))
        return found.length >= 2 ? Option.some(found) : Option.none()
      })
      expect(copies[0]?.eventId).toMatch(/^evt_/)
      expect(copies[1]?.eventId).toBe(copies[0]?.eventId)
      expect(copies[1]?.payload).toBe(copies[0]?.payload)
    }).pipe(
      Effect.provide(PaymentSandbox.layerConfig.pipe(Layer.provide(ConfigProvider.layer(config)))),
      Effect.provide(quiet)
    )
  })
)

it.live("events wait for an endpoint, and arrive once POST /v1/webhook_endpoints sets one", () =>
  Effect.gen(function* () {
    const receiver = yield* makeWebhookReceiver()
    yield* withSandbox({}, (sandbox) =>
      Effect.gen(function* () {
        const intent = yield* paidIntent(sandbox.baseUrl)
        expect((yield* sandboxCall(`${sandbox.baseUrl}/v1/webhook_endpoints`, { apiKey: API_KEY })).body).toEqual({
          url: null
        })
        expect(yield* receiver.received).toEqual([])

        const set = yield* sandboxCall(`${sandbox.baseUrl}/v1/webhook_endpoints`, {
          apiKey: API_KEY,
          body: { url: receiver.url }
        })
        expect(set).toEqual({ status: 200, body: { url: receiver.url } })
        expect(yield* sandbox.webhookUrl).toBe(receiver.url)
        const delivery = yield* receiver.acknowledged(about(intent.id, "payment_intent.authorized"))
        expect(delivery.previous).toBe(0)
      })
    )
  })
)

it.live("the sandbox authorises the delayed card by itself, unless the intent was canceled first", () =>
  Effect.gen(function* () {
    const receiver = yield* makeWebhookReceiver()
    // The cancel follows the confirmation at once; the delay leaves it a whole second to get there first.
    yield* withSandbox({ webhookUrl: receiver.url, delayMs: 1_000 }, (sandbox) =>
      Effect.gen(function* () {
        const canceled = yield* paidIntent(sandbox.baseUrl, TEST_CARDS.delayed)
        expect(canceled.status).toBe("processing")
        const cancel = yield* sandboxCall(`${sandbox.baseUrl}/v1/payment_intents/${canceled.id}/cancel`, {
          method: "POST",
          apiKey: API_KEY,
          idempotencyKey: crypto.randomUUID()
        })
        expect(cancel.body.status).toBe("canceled")

        // Confirmed after the first, with the same delay: its authorisation comes after the first one's was due.
        const authorized = yield* paidIntent(sandbox.baseUrl, TEST_CARDS.delayed)
        yield* receiver.acknowledged(about(authorized.id, "payment_intent.authorized"))
        const retrieve = (id: string) => sandboxCall(`${sandbox.baseUrl}/v1/payment_intents/${id}`, { apiKey: API_KEY })
        expect((yield* retrieve(authorized.id)).body.status).toBe("requires_capture")
        expect((yield* retrieve(canceled.id)).body.status).toBe("canceled")
        const aboutCanceled = (yield* receiver.received).filter(
          (d) => JSON.parse(d.payload).data.intentId === canceled.id
        )
        expect(aboutCanceled.map((d) => JSON.parse(d.payload).type)).not.toContain("payment_intent.authorized")
      })
    )
  })
)

it.live("the HTTP surface: keys, validation, client secrets and errors as JSON with a code", () =>
  withSandbox({ publicUrl: "https://pay.example.test/" }, (sandbox) =>
    Effect.gen(function* () {
      const base = sandbox.baseUrl
      const create = (options: Parameters<typeof sandboxCall>[1]) => sandboxCall(`${base}/v1/payment_intents`, options)
      const valid = { amountMinor: 100, currency: "EUR", reference: "order-1", description: "" }
      const code = (reply: { status: number; body: { error?: { code?: string } } }) => [
        reply.status,
        reply.body?.error?.code
      ]

      expect(yield* sandboxCall(`${base}/health`)).toEqual({ status: 200, body: { status: "ok" } })
      expect(code(yield* create({ idempotencyKey: "k", body: valid }))).toEqual([401, "invalid_api_key"])
      expect(code(yield* create({ apiKey: "sk_wrong", idempotencyKey: "k", body: valid }))).toEqual([
        401,
        "invalid_api_key"
      ])
      expect(code(yield* create({ apiKey: API_KEY, body: valid }))).toEqual([400, "idempotency_key_required"])
      expect(code(yield* create({ apiKey: API_KEY, idempotencyKey: "k", rawBody: "{not json" }))).toEqual([
        400,
        "invalid_json"
      ])
      const invalid = yield* create({ apiKey: API_KEY, idempotencyKey: "k", body: { ...valid, amountMinor: "100" } })
      expect(code(invalid)).toEqual([400, "invalid_request"])
      expect(invalid.body.error.message).toContain("amountMinor")
      expect(code(yield* create({ apiKey: API_KEY, idempotencyKey: "k", body: { ...valid, extra: 1 } }))).toEqual([
        400,
        "invalid_request"
      ])
      expect(code(yield* sandboxCall(`${base}/v1/nowhere`, { apiKey: API_KEY }))).toEqual([404, "route_not_found"])
      expect(code(yield* sandboxCall(`${base}/v1/balance`))).toEqual([401, "invalid_api_key"])

      const intent = (yield* create({ apiKey: API_KEY, idempotencyKey: "k", body: valid })).body
      expect(intent.status).toBe("requires_payment_method")
      // Customers are sent to the public URL; here it is served on the bound one.
      expect(intent.confirmUrl).toMatch(
        /^https:\/\/pay\.example\.test\/v1\/payment_intents\/pi_\w+\/confirm\?client_secret=/
      )
      const confirmUrl = new URL(intent.confirmUrl)
      const confirmPath = `${base}${confirmUrl.pathname}`
      const secret = confirmUrl.searchParams.get("client_secret") ?? ""

      expect(code(yield* sandboxCall(confirmPath, { body: { card: TEST_CARDS.authorized } }))).toEqual([
        400,
        "client_secret_required"
      ])
      expect(
        code(yield* sandboxCall(`${confirmPath}?client_secret=wrong`, { body: { card: TEST_CARDS.authorized } }))
      ).toEqual([403, "invalid_client_secret"])
      const confirm = (card: string) =>
        sandboxCall(`${confirmPath}?client_secret=${encodeURIComponent(secret)}`, { body: { card } })
      const malformed = yield* confirm("12ab")
      expect(code(malformed)).toEqual([400, "invalid_card_number"])
      expect(malformed.body.error.message).toContain("12 to 19 digits")
      expect((yield* confirm(TEST_CARDS.authorized)).body.status).toBe("requires_capture")
      const again = yield* confirm(TEST_CARDS.authorized)
      expect(code(again)).toEqual([409, "intent_unexpected_state"])
      expect(again.body.error.intent.status).toBe("requires_capture")

      const capture = (key: string | undefined) =>
        sandboxCall(`${base}/v1/payment_intents/${intent.id}/capture`, {
          method: "POST",
          apiKey: API_KEY,
          idempotencyKey: key
        })
      expect(code(yield* capture(undefined))).toEqual([400, "idempotency_key_required"])
      expect((yield* capture("cap-1")).body).toMatchObject({ status: "succeeded", capturedMinor: 100 })
      const cancel = yield* sandboxCall(`${base}/v1/payment_intents/${intent.id}/cancel`, {
        method: "POST",
        apiKey: API_KEY,
        idempotencyKey: "cancel-1"
      })
      expect(code(cancel)).toEqual([409, "intent_already_captured"])
      expect(cancel.body.error.intent).toMatchObject({ id: intent.id, status: "succeeded" })

      expect((yield* sandboxCall(`${base}/v1/balance`, { apiKey: API_KEY })).body).toEqual({
        capturedMinor: 100,
        refundedMinor: 0,
        intents: 1,
        captures: 1,
        refunds: 0
      })
      expect(yield* sandbox.balance).toMatchObject({ capturedMinor: 100, captures: 1 })
    })
  )
)

it.effect("layerConfig refuses a bad setting and names the variable", () =>
  Effect.gen(function* () {
    const config = ConfigProvider.fromEnv({ env: { SANDBOX_PORT: "0", SANDBOX_DUPLICATE_RATE: "2" } })
    const exit = yield* Effect.exit(
      Layer.build(PaymentSandbox.layerConfig).pipe(
        Effect.scoped,
        Effect.provide(ConfigProvider.layer(config)),
        Effect.provide(quiet)
      )
    )
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("SANDBOX_DUPLICATE_RATE")
  })
)

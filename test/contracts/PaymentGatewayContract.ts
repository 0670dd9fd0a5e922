import { expect, layer } from "@effect/vitest"
import { Clock, Context, Effect, type Layer } from "effect"
import {
  type PaymentCallError,
  PaymentEvent,
  type PaymentEventType,
  PaymentGateway,
  type PaymentIntent,
  type PaymentOperationRefused
} from "../../src/domain/payments/PaymentGateway.ts"
import { type Balance, TEST_CARDS } from "../../src/services/payments/sandbox/SandboxLedger.ts"
import { signatureHeader } from "../../src/services/payments/sandbox/Signature.ts"
import type { SignedWebhook } from "../../src/services/payments/sandbox/WebhookEvent.ts"

/**
 * What the contract needs besides the port: the customer's side (confirming with a card), the provider's webhook
 * sender, and its ledger. Each adapter's test provides it its own way (HTTP to the sandbox, test controls of the
 * in-memory provider).
 */
export interface PaymentProviderHarnessShape {
  readonly webhookSecret: string
  /** The customer confirms the intent with a card, as its client would through the intent's confirmUrl. */
  readonly confirm: (intent: PaymentIntent, card: string) => Effect.Effect<PaymentIntent, PaymentOperationRefused>
  /** Lets a `processing` intent finish (the provider's delay passes); answers the intent afterwards. */
  readonly settle: (intentId: string) => Effect.Effect<PaymentIntent>
  /** A signed webhook the provider delivered about this intent, of this type (waits for it if need be). */
  readonly webhook: (intentId: string, type: PaymentEventType) => Effect.Effect<SignedWebhook>
  readonly balance: Effect.Effect<Balance>
}

export class PaymentProviderHarness extends Context.Service<PaymentProviderHarness, PaymentProviderHarnessShape>()(
  "test/PaymentProviderHarness"
) {}

/** Whether a webhook body is about this intent and of this type (for harnesses looking for a delivery). */
export const isAbout = (intentId: string, type: PaymentEventType) => (payload: string) => {
  try {
    const event = JSON.parse(payload) as { type?: unknown; data?: { intentId?: unknown } }
    return event.type === type && event.data?.intentId === intentId
  } catch {
    return false
  }
}

const fresh = () => crypto.randomUUID()

/** The refusal code of a call expected to be refused (or the tag of another failure, so that the test shows it). */
const refusal = <A>(call: Effect.Effect<A, PaymentCallError>) =>
  Effect.map(Effect.flip(call), (error) => (error._tag === "PaymentOperationRefused" ? error.code : error._tag))

const tools = Effect.gen(function* () {
  const gateway = yield* PaymentGateway
  const harness = yield* PaymentProviderHarness
  const create = (amountMinor = 2_500, reference = `order-${fresh()}`) =>
    gateway.createIntent({ idempotencyKey: fresh(), reference, amountMinor, currency: "EUR", description: "2 × GA" })
  const authorized = (amountMinor = 2_500) =>
    Effect.flatMap(create(amountMinor), (intent) => harness.confirm(intent, TEST_CARDS.authorized))
  const captured = (amountMinor = 2_500) =>
    Effect.flatMap(authorized(amountMinor), (intent) => gateway.capture(intent.id, fresh()))
  /** The webhook about this intent, of this type, verified by the adapter now. */
  const verifiedEvent = (intentId: string, type: PaymentEventType) =>
    Effect.gen(function* () {
      const delivery = yield* harness.webhook(intentId, type)
      const now = new Date(yield* Clock.currentTimeMillis)
      return yield* gateway.verifyWebhook({ payload: delivery.payload, signature: delivery.signature, now })
    })
  return { gateway, harness, create, authorized, captured, verifiedEvent }
})

/** One contract, every adapter: what any PaymentGateway must do, with the sandbox's cards, codes and webhooks. */
export const paymentGatewayContract = (
  name: string,
  adapters: Layer.Layer<PaymentGateway | PaymentProviderHarness, unknown>
) =>
  layer(adapters, { timeout: "30 seconds", excludeTestServices: true })(`PaymentGateway contract: ${name}`, (it) => {
    it.effect("createIntent: the same key and body is the same intent; another body under that key is refused", () =>
      Effect.gen(function* () {
        const { gateway, harness } = yield* tools
        const before = yield* harness.balance
        const input = {
          idempotencyKey: fresh(),
          reference: `order-${fresh()}`,
          amountMinor: 4_200,
          currency: "EUR",
          description: "2 × GA"
        }
        const first = yield* gateway.createIntent(input)
        expect(first).toMatchObject({
          reference: input.reference,
          status: "requires_payment_method",
          amountMinor: 4_200,
          currency: "EUR",
          capturedMinor: 0,
          refundedMinor: 0,
          declineCode: null
        })
        expect(first.id).toMatch(/^pi_/)
        expect(first.confirmUrl).toContain(`/v1/payment_intents/${first.id}/confirm?client_secret=`)

        expect(yield* gateway.createIntent(input)).toEqual(first)
        expect(yield* gateway.retrieve(first.id)).toEqual(first)
        expect(yield* refusal(gateway.createIntent({ ...input, amountMinor: 4_300 }))).toBe("idempotency_key_reused")
        expect(yield* refusal(gateway.createIntent({ ...input, reference: `order-${fresh()}` }))).toBe(
          "idempotency_key_reused"
        )

        const other = yield* gateway.createIntent({ ...input, idempotencyKey: fresh() })
        expect(other.id).not.toBe(first.id)
        expect((yield* harness.balance).intents - before.intents).toBe(2)
      })
    )

    it.effect("refuses amounts, currencies and intents no provider would accept", () =>
      Effect.gen(function* () {
        const { gateway, create } = yield* tools
        expect(yield* refusal(create(0))).toBe("invalid_amount")
        expect(yield* refusal(create(-5))).toBe("invalid_amount")
        expect(
          yield* refusal(
            gateway.createIntent({
              idempotencyKey: fresh(),
              reference: "r",
              amountMinor: 100,
              currency: "EURO",
              description: ""
            })
          )
        ).toBe("invalid_currency")
        expect(yield* refusal(create(100, ""))).toBe("invalid_reference")
        expect(yield* refusal(gateway.retrieve("pi_nope"))).toBe("intent_not_found")
        expect(yield* refusal(gateway.capture("pi_nope", fresh()))).toBe("intent_not_found")
        expect(yield* refusal(gateway.cancel("pi_nope", fresh()))).toBe("intent_not_found")
        expect(yield* refusal(gateway.refund({ intentId: "pi_nope", amountMinor: 1, idempotencyKey: fresh() }))).toBe(
          "intent_not_found"
        )
      })
    )

    it.effect("the authorising card authorises the intent, and a signed webhook says so", () =>
      Effect.gen(function* () {
        const { gateway, harness, create, verifiedEvent } = yield* tools
        const intent = yield* create(2_500)
        const confirmed = yield* harness.confirm(intent, TEST_CARDS.authorized)
        expect(confirmed).toMatchObject({
          id: intent.id,
          status: "requires_capture",
          capturedMinor: 0,
          declineCode: null
        })
        expect(yield* gateway.retrieve(intent.id)).toEqual(confirmed)

        const event = yield* verifiedEvent(intent.id, "payment_intent.authorized")
        expect(event).toBeInstanceOf(PaymentEvent)
        expect(event).toMatchObject({
          type: "payment_intent.authorized",
          intentId: intent.id,
          reference: intent.reference,
          amountMinor: 2_500,
          declineCode: null
        })
        expect(event.id).toMatch(/^evt_/)
      })
    )

    it.effect(
      "the declining card fails the intent with card_declined: nothing to capture, cancel leaves it failed",
      () =>
        Effect.gen(function* () {
          const { gateway, harness, create, verifiedEvent } = yield* tools
          const intent = yield* create(1_800)
          const declined = yield* harness.confirm(intent, TEST_CARDS.declined)
          expect(declined).toMatchObject({ status: "failed", declineCode: "card_declined", capturedMinor: 0 })

          const event = yield* verifiedEvent(intent.id, "payment_intent.payment_failed")
          expect(event).toMatchObject({ intentId: intent.id, declineCode: "card_declined", amountMinor: 1_800 })

          expect(yield* refusal(gateway.capture(intent.id, fresh()))).toBe("intent_not_capturable")
          const outcome = yield* gateway.cancel(intent.id, fresh())
          expect(outcome._tag).toBe("Canceled")
          expect(outcome.intent.status).toBe("failed")
        })
    )

    it.effect("the delayed card is processing first, then authorised", () =>
      Effect.gen(function* () {
        const { gateway, harness, create, verifiedEvent } = yield* tools
        const intent = yield* create(3_100)
        const processing = yield* harness.confirm(intent, TEST_CARDS.delayed)
        // (Not captured while processing: how long it stays so is the provider's business, not the contract's.)
        expect(processing.status).toBe("processing")
        expect((yield* verifiedEvent(intent.id, "payment_intent.processing")).intentId).toBe(intent.id)

        expect((yield* harness.settle(intent.id)).status).toBe("requires_capture")
        expect((yield* verifiedEvent(intent.id, "payment_intent.authorized")).amountMinor).toBe(3_100)
        expect((yield* gateway.capture(intent.id, fresh())).status).toBe("succeeded")
      })
    )

    it.effect("confirm refuses a malformed card and a second confirmation; other cards are declined", () =>
      Effect.gen(function* () {
        const { harness, create } = yield* tools
        const intent = yield* create()
        for (const card of ["4242", "4242x42424242424", "", "42424242424242424242"])
          expect(yield* refusal(harness.confirm(intent, card))).toBe("invalid_card_number")

        // Spaces (as printed on the card) are fine.
        expect((yield* harness.confirm(intent, "4242 4242 4242 4242")).status).toBe("requires_capture")
        expect(yield* refusal(harness.confirm(intent, TEST_CARDS.authorized))).toBe("intent_unexpected_state")

        // A real-looking number that is not a test card is declined; one failing the Luhn check, as incorrect.
        const other = yield* harness.confirm(yield* create(), "5555555555554444")
        expect(other).toMatchObject({ status: "failed", declineCode: "card_declined" })
        const typo = yield* harness.confirm(yield* create(), "4242424242424241")
        expect(typo).toMatchObject({ status: "failed", declineCode: "incorrect_number" })
      })
    )

    it.effect("capture takes the money once, however often it is asked", () =>
      Effect.gen(function* () {
        const { gateway, harness, create, verifiedEvent } = yield* tools
        const intent = yield* create(5_000)
        expect(yield* refusal(gateway.capture(intent.id, fresh()))).toBe("intent_not_capturable")
        yield* harness.confirm(intent, TEST_CARDS.authorized)

        const before = yield* harness.balance
        const key = fresh()
        const captured = yield* gateway.capture(intent.id, key)
        expect(captured).toMatchObject({ status: "succeeded", capturedMinor: 5_000, refundedMinor: 0 })
        expect(yield* gateway.capture(intent.id, key)).toEqual(captured)
        expect(yield* gateway.capture(intent.id, fresh())).toEqual(captured)
        // A key names one request: the same key for another operation is refused.
        expect(yield* refusal(gateway.cancel(intent.id, key))).toBe("idempotency_key_reused")

        const after = yield* harness.balance
        expect({
          captures: after.captures - before.captures,
          capturedMinor: after.capturedMinor - before.capturedMinor
        }).toEqual({ captures: 1, capturedMinor: 5_000 })
        expect((yield* verifiedEvent(intent.id, "payment_intent.succeeded")).amountMinor).toBe(5_000)
      })
    )

    it.effect("cancel voids an authorised intent: it is canceled and nothing is ever captured", () =>
      Effect.gen(function* () {
        const { gateway, harness, authorized, verifiedEvent } = yield* tools
        const before = yield* harness.balance
        const intent = yield* authorized(2_000)

        const outcome = yield* gateway.cancel(intent.id, fresh())
        expect(outcome._tag).toBe("Canceled")
        expect(outcome.intent).toMatchObject({ id: intent.id, status: "canceled", capturedMinor: 0 })
        expect(yield* refusal(gateway.capture(intent.id, fresh()))).toBe("intent_not_capturable")
        expect(yield* gateway.cancel(intent.id, fresh())).toEqual(outcome)
        expect((yield* verifiedEvent(intent.id, "payment_intent.canceled")).intentId).toBe(intent.id)

        const after = yield* harness.balance
        expect([after.captures, after.capturedMinor]).toEqual([before.captures, before.capturedMinor])
      })
    )

    it.effect("cancel wins over a pending authorisation: the delayed card never authorises a canceled intent", () =>
      Effect.gen(function* () {
        const { gateway, harness, create } = yield* tools
        const intent = yield* create()
        yield* harness.confirm(intent, TEST_CARDS.delayed)
        const outcome = yield* gateway.cancel(intent.id, fresh())
        expect(outcome).toMatchObject({ _tag: "Canceled", intent: { status: "canceled" } })
        expect((yield* harness.settle(intent.id)).status).toBe("canceled")
        expect(yield* refusal(gateway.capture(intent.id, fresh()))).toBe("intent_not_capturable")
      })
    )

    it.effect("cancel of an intent not yet confirmed abandons it: it can no longer be confirmed", () =>
      Effect.gen(function* () {
        const { gateway, harness, create } = yield* tools
        const intent = yield* create()
        expect(yield* gateway.cancel(intent.id, fresh())).toMatchObject({
          _tag: "Canceled",
          intent: { status: "canceled" }
        })
        expect(yield* refusal(harness.confirm(intent, TEST_CARDS.authorized))).toBe("intent_unexpected_state")
      })
    )

    it.effect("cancel after capture reports AlreadyCaptured, with the captured intent", () =>
      Effect.gen(function* () {
        const { gateway, captured } = yield* tools
        const intent = yield* captured(2_700)
        const outcome = yield* gateway.cancel(intent.id, fresh())
        expect(outcome._tag).toBe("AlreadyCaptured")
        expect(outcome.intent).toMatchObject({ id: intent.id, status: "succeeded", capturedMinor: 2_700 })
        expect((yield* gateway.retrieve(intent.id)).status).toBe("succeeded")
      })
    )

    it.effect("refunds: partial ones add up to at most the capture; a key refunds once", () =>
      Effect.gen(function* () {
        const { gateway, harness, authorized, captured, verifiedEvent } = yield* tools
        const uncaptured = yield* authorized(1_000)
        expect(
          yield* refusal(gateway.refund({ intentId: uncaptured.id, amountMinor: 100, idempotencyKey: fresh() }))
        ).toBe("intent_not_captured")

        const intent = yield* captured(1_000)
        const before = yield* harness.balance
        expect(
          yield* refusal(gateway.refund({ intentId: intent.id, amountMinor: 1_001, idempotencyKey: fresh() }))
        ).toBe("amount_exceeds_captured")
        expect(yield* refusal(gateway.refund({ intentId: intent.id, amountMinor: 0, idempotencyKey: fresh() }))).toBe(
          "invalid_amount"
        )

        const key = fresh()
        const first = yield* gateway.refund({ intentId: intent.id, amountMinor: 300, idempotencyKey: key })
        expect(first).toMatchObject({ intentId: intent.id, amountMinor: 300 })
        expect(first.id).toMatch(/^re_/)
        expect(yield* gateway.refund({ intentId: intent.id, amountMinor: 300, idempotencyKey: key })).toEqual(first)
        expect(yield* refusal(gateway.refund({ intentId: intent.id, amountMinor: 400, idempotencyKey: key }))).toBe(
          "idempotency_key_reused"
        )

        const second = yield* gateway.refund({ intentId: intent.id, amountMinor: 700, idempotencyKey: fresh() })
        expect(second.id).not.toBe(first.id)
        expect(yield* refusal(gateway.refund({ intentId: intent.id, amountMinor: 1, idempotencyKey: fresh() }))).toBe(
          "amount_exceeds_captured"
        )

        expect(yield* gateway.retrieve(intent.id)).toMatchObject({ capturedMinor: 1_000, refundedMinor: 1_000 })
        const after = yield* harness.balance
        expect({
          refunds: after.refunds - before.refunds,
          refundedMinor: after.refundedMinor - before.refundedMinor,
          capturedMinor: after.capturedMinor - before.capturedMinor
        }).toEqual({ refunds: 2, refundedMinor: 1_000, capturedMinor: 0 })

        const event = yield* verifiedEvent(intent.id, "refund.succeeded")
        expect([300, 700]).toContain(event.amountMinor)
      })
    )

    it.effect("verifyWebhook accepts a real delivery and rejects forged, stale, unsigned and malformed ones", () =>
      Effect.gen(function* () {
        const { gateway, harness, authorized } = yield* tools
        const intent = yield* authorized(2_500)
        const { payload, signature } = yield* harness.webhook(intent.id, "payment_intent.authorized")
        const now = new Date(yield* Clock.currentTimeMillis)
        const nowSeconds = Math.floor(now.getTime() / 1000)
        const reason = (input: { payload: string; signature: string | undefined; now?: Date }) =>
          Effect.map(Effect.flip(gateway.verifyWebhook({ now, ...input })), (rejected) => rejected.reason)

        expect((yield* gateway.verifyWebhook({ payload, signature, now })).intentId).toBe(intent.id)

        const tampered = payload.replace('"amountMinor":2500', '"amountMinor":1')
        expect(tampered).not.toBe(payload)
        expect(yield* reason({ payload: tampered, signature })).toBe("bad_signature")
        expect(yield* reason({ payload, signature: signatureHeader("whsec_someone_else", payload, nowSeconds) })).toBe(
          "bad_signature"
        )
        expect(yield* reason({ payload, signature: "v1=abc" })).toBe("bad_signature")
        expect(yield* reason({ payload, signature: `t=${nowSeconds},v1=` })).toBe("bad_signature")

        const signedAt = (seconds: number) => signatureHeader(harness.webhookSecret, payload, seconds)
        expect(yield* reason({ payload, signature: signedAt(nowSeconds - 301) })).toBe("stale")
        expect(yield* reason({ payload, signature: signedAt(nowSeconds + 301) })).toBe("stale")
        // The real delivery, replayed an hour later.
        expect(yield* reason({ payload, signature, now: new Date(now.getTime() + 3_600_000) })).toBe("stale")
        expect((yield* gateway.verifyWebhook({ payload, signature: signedAt(nowSeconds - 299), now })).id).toMatch(
          /^evt_/
        )

        expect(yield* reason({ payload, signature: undefined })).toBe("missing_signature")
        expect(yield* reason({ payload, signature: "" })).toBe("missing_signature")

        for (const body of ["not json", '{"id":"evt_1","type":"payment_intent.exploded"}', "[]"])
          expect(
            yield* reason({ payload: body, signature: signatureHeader(harness.webhookSecret, body, nowSeconds) })
          ).toBe("malformed")
      })
    )
  })

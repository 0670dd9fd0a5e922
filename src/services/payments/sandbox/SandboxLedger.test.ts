import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import * as Ledger from "./SandboxLedger.ts"

/** Deterministic ids and time: the ledger is pure, so the same inputs give the same outputs. */
const context = (): Ledger.LedgerContext => {
  let n = 0
  return {
    now: new Date("2026-03-01T12:00:00.000Z"),
    newId: (prefix) => `${prefix}_${++n}`,
    publicBaseUrl: "https://sandbox.test"
  }
}

/** Runs a step that must succeed; returns its state, value and event types. */
const ok = <A>(outcome: Ledger.Outcome<A>) => {
  if (Result.isFailure(outcome)) throw new Error(`refused: ${outcome.failure.code}`)
  return { ...outcome.success, types: outcome.success.events.map((e) => e.type) }
}
const refused = <A>(outcome: Ledger.Outcome<A>) => {
  if (Result.isSuccess(outcome)) throw new Error("expected a refusal")
  return outcome.failure.code
}

const created = (ctx: Ledger.LedgerContext, state = Ledger.emptyLedger, key = "k-create") =>
  ok(
    Ledger.createIntent(
      state,
      { idempotencyKey: key, amountMinor: 1_000, currency: "eur", reference: "order-1", description: "d" },
      ctx
    )
  )
const confirmed = (ctx: Ledger.LedgerContext, card: string) => {
  const { state, value } = created(ctx)
  const secret = Result.getOrThrow(Ledger.clientSecretOf(state, value.id))
  return ok(Ledger.confirm(state, { intentId: value.id, clientSecret: secret, card }, ctx))
}

describe("SandboxLedger", () => {
  it("card rules: test cards, spaces ignored, malformed refused, others declined", () => {
    expect(Ledger.cardOutcome("4242 4242 4242 4242")).toEqual(Result.succeed({ _tag: "Authorized" }))
    expect(Ledger.cardOutcome("4000-0000-0000-3220")).toEqual(Result.succeed({ _tag: "Processing" }))
    expect(Ledger.cardOutcome(Ledger.TEST_CARDS.declined)).toEqual(
      Result.succeed({ _tag: "Declined", code: "card_declined" })
    )
    expect(Ledger.cardOutcome("5555555555554444")).toEqual(Result.succeed({ _tag: "Declined", code: "card_declined" }))
    expect(Ledger.cardOutcome("5555555555554445")).toEqual(
      Result.succeed({ _tag: "Declined", code: "incorrect_number" })
    )
    for (const bad of ["", "abc", "42424242424", "42424242424242424242", "4242424242424242a"])
      expect(Result.map(Result.flip(Ledger.cardOutcome(bad)), (r) => r.code)).toEqual(
        Result.succeed("invalid_card_number")
      )
  })

  it("create: normalises the currency, gives a confirm URL with the client secret, counts the intent", () => {
    const ctx = context()
    const { state, value, types } = created(ctx)
    expect(value).toMatchObject({ id: "pi_1", currency: "EUR", status: "requires_payment_method" })
    expect(value.confirmUrl).toBe("https://sandbox.test/v1/payment_intents/pi_1/confirm?client_secret=pi_1_secret_2")
    expect(types).toEqual([])
    expect(state.balance.intents).toBe(1)
    // Currency case does not make another request: the same key replays.
    const again = created(ctx, state)
    expect(again.value).toEqual(value)
    expect(again.state.balance.intents).toBe(1)
  })

  it("confirm checks the client secret before anything else about the card", () => {
    const ctx = context()
    const { state, value } = created(ctx)
    expect(refused(Ledger.confirm(state, { intentId: value.id, clientSecret: "nope", card: "x" }, ctx))).toBe(
      "invalid_client_secret"
    )
    expect(refused(Ledger.confirm(state, { intentId: "pi_x", clientSecret: "nope", card: "x" }, ctx))).toBe(
      "intent_not_found"
    )
  })

  it("the delayed card: processing is not capturable; completion authorises once, and not after a cancel", () => {
    const ctx = context()
    const { state, value, types } = confirmed(ctx, Ledger.TEST_CARDS.delayed)
    expect([value.status, types]).toEqual(["processing", ["payment_intent.processing"]])
    expect(refused(Ledger.capture(state, { intentId: value.id, idempotencyKey: "c1" }, ctx))).toBe(
      "intent_not_capturable"
    )

    const done = ok(Ledger.completeProcessing(state, value.id, ctx))
    expect([done.value.status, done.types]).toEqual(["requires_capture", ["payment_intent.authorized"]])
    const twice = ok(Ledger.completeProcessing(done.state, value.id, ctx))
    expect([twice.value.status, twice.types]).toEqual(["requires_capture", []])
    // The refused capture was not remembered: the same key captures now.
    expect(ok(Ledger.capture(done.state, { intentId: value.id, idempotencyKey: "c1" }, ctx)).value.status).toBe(
      "succeeded"
    )

    const canceled = ok(Ledger.cancel(state, { intentId: value.id, idempotencyKey: "x1" }, ctx))
    const late = ok(Ledger.completeProcessing(canceled.state, value.id, ctx))
    expect([late.value.status, late.types]).toEqual(["canceled", []])
  })

  it("a replay answers the object as it is now, and raises no event", () => {
    const ctx = context()
    const first = created(ctx)
    const secret = Result.getOrThrow(Ledger.clientSecretOf(first.state, first.value.id))
    const paid = ok(
      Ledger.confirm(
        first.state,
        { intentId: first.value.id, clientSecret: secret, card: Ledger.TEST_CARDS.authorized },
        ctx
      )
    )
    const replay = created(ctx, paid.state)
    expect([replay.value.status, replay.types]).toEqual(["requires_capture", []])

    const capture = ok(Ledger.capture(paid.state, { intentId: first.value.id, idempotencyKey: "c" }, ctx))
    expect(capture.types).toEqual(["payment_intent.succeeded"])
    const again = ok(Ledger.capture(capture.state, { intentId: first.value.id, idempotencyKey: "c" }, ctx))
    expect([again.value.status, again.types, again.state.balance.captures]).toEqual(["succeeded", [], 1])
  })

  it("the balance adds up captures and refunds across intents", () => {
    const ctx = context()
    let state = Ledger.emptyLedger
    for (const [i, amount] of [1_000, 2_500, 700].entries()) {
      const intent = ok(
        Ledger.createIntent(
          state,
          { idempotencyKey: `create-${i}`, amountMinor: amount, currency: "EUR", reference: `o${i}`, description: "" },
          ctx
        )
      )
      const secret = Result.getOrThrow(Ledger.clientSecretOf(intent.state, intent.value.id))
      state = ok(
        Ledger.confirm(
          intent.state,
          { intentId: intent.value.id, clientSecret: secret, card: Ledger.TEST_CARDS.authorized },
          ctx
        )
      ).state
      state = ok(Ledger.capture(state, { intentId: intent.value.id, idempotencyKey: `cap-${i}` }, ctx)).state
      const refund = ok(
        Ledger.refund(state, { intentId: intent.value.id, amountMinor: 100 * (i + 1), idempotencyKey: `re-${i}` }, ctx)
      )
      expect(refund.types).toEqual(["refund.succeeded"])
      expect(refund.events[0]?.data.amountMinor).toBe(100 * (i + 1))
      state = refund.state
    }
    expect(state.balance).toEqual(
      new Ledger.Balance({ capturedMinor: 4_200, refundedMinor: 600, intents: 3, captures: 3, refunds: 3 })
    )
  })
})

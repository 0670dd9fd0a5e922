import { HashMap, Option, Result, Schema } from "effect"
import { type IntentStatus, PaymentIntent, Refund } from "../../../domain/payments/PaymentGateway.ts"
import { cardOutcome } from "./SandboxCards.ts"
import { SandboxRefusal } from "./SandboxRefusal.ts"
import type { WebhookEvent } from "./WebhookEvent.ts"

export { type CardOutcome, cardOutcome, TEST_CARDS } from "./SandboxCards.ts"
export { SandboxRefusal } from "./SandboxRefusal.ts"

/**
 * The sandbox PSP's bookkeeping as pure functions: every operation takes the state and returns the next state,
 * its answer and the webhook events it raised, or a refusal. The sandbox server (over HTTP) and the in-memory
 * payment adapter both run these very functions, so the two cannot disagree on a status, a refusal code or an
 * idempotency rule.
 *
 *   requires_payment_method ─confirm─► requires_capture ─capture─► succeeded ─refund…─► (refundedMinor grows)
 *            │                  ├─────► processing ─(delay)─► requires_capture
 *            │                  └─────► failed (declined)
 *            └──────cancel (also from processing and requires_capture: a void)──────► canceled
 */

/** The money the sandbox has moved, for sum checks: captured minus refunded is what it holds. */
export class Balance extends Schema.Class<Balance>("SandboxBalance")({
  capturedMinor: Schema.Int,
  refundedMinor: Schema.Int,
  /** Intents created. */
  intents: Schema.Int,
  /** Captures performed (an idempotent repeat does not count). */
  captures: Schema.Int,
  /** Refunds performed. */
  refunds: Schema.Int
}) {}

export interface IntentRecord {
  readonly intent: PaymentIntent
  /** Authorises the public confirm call; embedded in the intent's confirmUrl. */
  readonly clientSecret: string
  readonly description: string
}

interface KeyRecord {
  /** What the first request with this key asked for; another request under the same key is refused. */
  readonly fingerprint: string
  readonly result: { readonly kind: "intent" | "refund"; readonly id: string }
}

export interface LedgerState {
  readonly intents: HashMap.HashMap<string, IntentRecord>
  readonly refunds: HashMap.HashMap<string, Refund>
  readonly keys: HashMap.HashMap<string, KeyRecord>
  readonly balance: Balance
}

export const emptyLedger: LedgerState = {
  intents: HashMap.empty(),
  refunds: HashMap.empty(),
  keys: HashMap.empty(),
  balance: new Balance({ capturedMinor: 0, refundedMinor: 0, intents: 0, captures: 0, refunds: 0 })
}

/** What an operation needs from the outside world: the time, fresh ids, where the confirm endpoint is. */
export interface LedgerContext {
  readonly now: Date
  readonly newId: (prefix: "pi" | "re" | "evt" | "secret") => string
  readonly publicBaseUrl: string
}

export interface Step<A> {
  readonly state: LedgerState
  readonly value: A
  readonly events: ReadonlyArray<WebhookEvent>
}
export type Outcome<A> = Result.Result<Step<A>, SandboxRefusal>

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

const MAX_AMOUNT_MINOR = 99_999_999

const notFound = (intentId: string) =>
  new SandboxRefusal({ status: 404, code: "intent_not_found", message: `no payment intent ${intentId}` })

const findRecord = (state: LedgerState, intentId: string): Result.Result<IntentRecord, SandboxRefusal> =>
  Option.match(HashMap.get(state.intents, intentId), {
    onNone: () => Result.fail(notFound(intentId)),
    onSome: Result.succeed
  })

const withIntent = (state: LedgerState, record: IntentRecord, intent: PaymentIntent): LedgerState => ({
  ...state,
  intents: HashMap.set(state.intents, intent.id, { ...record, intent })
})

const changed = (intent: PaymentIntent, fields: Partial<Omit<PaymentIntent, "id">>) =>
  new PaymentIntent({ ...intent, ...fields })

const event = (
  ctx: LedgerContext,
  type: WebhookEvent["type"],
  intent: PaymentIntent,
  amountMinor = intent.amountMinor
): WebhookEvent => ({
  id: ctx.newId("evt"),
  type,
  createdAt: ctx.now,
  data: { intentId: intent.id, reference: intent.reference, amountMinor, declineCode: intent.declineCode }
})

const unchanged = <A>(state: LedgerState, value: A): Outcome<A> => Result.succeed({ state, value, events: [] })

/**
 * Idempotency keys are global to the account (as at Stripe): a key first used for one request and then sent with
 * another (other operation, other intent or other body) is refused with 409 `idempotency_key_reused`. A repeat
 * answers the object the first request created or changed, as it is now; nothing happens a second time. Only
 * successes are remembered: a refused request changed nothing, so its retry is judged afresh.
 */
const withIdempotency = <A extends PaymentIntent | Refund>(
  state: LedgerState,
  key: string,
  fingerprint: string,
  run: () => Outcome<A>
): Outcome<A> => {
  const prior = HashMap.get(state.keys, key)
  if (Option.isSome(prior)) {
    if (prior.value.fingerprint !== fingerprint)
      return Result.fail(
        new SandboxRefusal({
          status: 409,
          code: "idempotency_key_reused",
          message: "this Idempotency-Key was already used for a different request"
        })
      )
    const { kind, id } = prior.value.result
    const replay: Option.Option<PaymentIntent | Refund> =
      kind === "intent" ? Option.map(HashMap.get(state.intents, id), (r) => r.intent) : HashMap.get(state.refunds, id)
    // The fingerprint fixes the kind, so the cast only restores what the first call returned.
    if (Option.isSome(replay)) return unchanged(state, replay.value as A)
  }
  return Result.map(run(), (step) => ({
    ...step,
    state: {
      ...step.state,
      keys: HashMap.set(step.state.keys, key, {
        fingerprint,
        result: { kind: step.value instanceof Refund ? "refund" : "intent", id: step.value.id }
      })
    }
  }))
}

// ---------------------------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------------------------

export interface CreateIntentInput {
  readonly idempotencyKey: string
  readonly amountMinor: number
  readonly currency: string
  readonly reference: string
  readonly description: string
}

export const createIntent = (
  state: LedgerState,
  input: CreateIntentInput,
  ctx: LedgerContext
): Outcome<PaymentIntent> => {
  const currency = input.currency.toUpperCase()
  const fingerprint = JSON.stringify(["create", input.amountMinor, currency, input.reference, input.description])
  return withIdempotency(state, input.idempotencyKey, fingerprint, () => {
    if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor < 1 || input.amountMinor > MAX_AMOUNT_MINOR)
      return Result.fail(
        new SandboxRefusal({
          status: 400,
          code: "invalid_amount",
          message: `amountMinor must be an integer from 1 to ${MAX_AMOUNT_MINOR}`
        })
      )
    if (!/^[A-Z]{3}$/.test(currency))
      return Result.fail(
        new SandboxRefusal({ status: 400, code: "invalid_currency", message: "currency must be an ISO 4217 code" })
      )
    if (input.reference.length < 1 || input.reference.length > 255)
      return Result.fail(
        new SandboxRefusal({ status: 400, code: "invalid_reference", message: "reference must be 1 to 255 characters" })
      )
    const id = ctx.newId("pi")
    const clientSecret = `${id}_${ctx.newId("secret")}`
    const intent = new PaymentIntent({
      id,
      reference: input.reference,
      status: "requires_payment_method",
      amountMinor: input.amountMinor,
      currency,
      capturedMinor: 0,
      refundedMinor: 0,
      confirmUrl: `${ctx.publicBaseUrl}/v1/payment_intents/${id}/confirm?client_secret=${encodeURIComponent(clientSecret)}`,
      declineCode: null
    })
    return Result.succeed({
      state: {
        ...state,
        intents: HashMap.set(state.intents, id, { intent, clientSecret, description: input.description }),
        balance: new Balance({ ...state.balance, intents: state.balance.intents + 1 })
      },
      value: intent,
      events: []
    })
  })
}

export const retrieve = (state: LedgerState, intentId: string): Result.Result<PaymentIntent, SandboxRefusal> =>
  Result.map(findRecord(state, intentId), (record) => record.intent)

export const clientSecretOf = (state: LedgerState, intentId: string): Result.Result<string, SandboxRefusal> =>
  Result.map(findRecord(state, intentId), (record) => record.clientSecret)

/** The customer's confirmation with a card: only an intent waiting for a payment method can be confirmed. */
export const confirm = (
  state: LedgerState,
  input: { readonly intentId: string; readonly clientSecret: string; readonly card: string },
  ctx: LedgerContext
): Outcome<PaymentIntent> =>
  Result.gen(function* () {
    const record = yield* findRecord(state, input.intentId)
    if (record.clientSecret !== input.clientSecret)
      return yield* Result.fail(
        new SandboxRefusal({ status: 403, code: "invalid_client_secret", message: "client_secret does not match" })
      )
    const outcome = yield* cardOutcome(input.card)
    const { intent } = record
    if (intent.status !== "requires_payment_method")
      return yield* Result.fail(
        new SandboxRefusal({
          status: 409,
          code: "intent_unexpected_state",
          message: `the intent is ${intent.status}; only an intent in requires_payment_method can be confirmed`,
          intent
        })
      )
    const next =
      outcome._tag === "Authorized"
        ? changed(intent, { status: "requires_capture" })
        : outcome._tag === "Processing"
          ? changed(intent, { status: "processing" })
          : changed(intent, { status: "failed", declineCode: outcome.code })
    const type =
      outcome._tag === "Authorized"
        ? "payment_intent.authorized"
        : outcome._tag === "Processing"
          ? "payment_intent.processing"
          : "payment_intent.payment_failed"
    return { state: withIntent(state, record, next), value: next, events: [event(ctx, type, next)] }
  })

/**
 * The end of a delayed authorisation. A no-op unless the intent is still `processing`: if it was cancelled in the
 * meantime, the cancel won and the pending authorisation is dropped.
 */
export const completeProcessing = (state: LedgerState, intentId: string, ctx: LedgerContext): Outcome<PaymentIntent> =>
  Result.flatMap(findRecord(state, intentId), (record) => {
    if (record.intent.status !== "processing") return unchanged(state, record.intent)
    const next = changed(record.intent, { status: "requires_capture" })
    return Result.succeed({
      state: withIntent(state, record, next),
      value: next,
      events: [event(ctx, "payment_intent.authorized", next)]
    })
  })

/** Captures an authorised intent in full; capturing a succeeded intent again answers it unchanged. */
export const capture = (
  state: LedgerState,
  input: { readonly intentId: string; readonly idempotencyKey: string },
  ctx: LedgerContext
): Outcome<PaymentIntent> =>
  withIdempotency(state, input.idempotencyKey, JSON.stringify(["capture", input.intentId]), () =>
    Result.flatMap(findRecord(state, input.intentId), (record): Outcome<PaymentIntent> => {
      const { intent } = record
      if (intent.status === "succeeded") return unchanged(state, intent)
      if (intent.status !== "requires_capture")
        return Result.fail(
          new SandboxRefusal({
            status: 409,
            code: "intent_not_capturable",
            message: `the intent is ${intent.status}; only an authorised intent (requires_capture) can be captured`,
            intent
          })
        )
      const next = changed(intent, { status: "succeeded", capturedMinor: intent.amountMinor })
      const { balance } = state
      return Result.succeed({
        state: {
          ...withIntent(state, record, next),
          balance: new Balance({
            ...balance,
            capturedMinor: balance.capturedMinor + next.amountMinor,
            captures: balance.captures + 1
          })
        },
        value: next,
        events: [event(ctx, "payment_intent.succeeded", next)]
      })
    })
  )

const voidable: ReadonlySet<IntentStatus> = new Set(["requires_payment_method", "processing", "requires_capture"])

/**
 * Voids an intent that holds no captured money: waiting for a card, processing (the pending authorisation is
 * dropped) or authorised (the authorisation is released). Cancelling a canceled or failed intent answers it
 * unchanged (nothing is or will be charged). A succeeded intent is refused with 409 `intent_already_captured`,
 * carrying the intent: money moved, and only a refund gives it back.
 */
export const cancel = (
  state: LedgerState,
  input: { readonly intentId: string; readonly idempotencyKey: string },
  ctx: LedgerContext
): Outcome<PaymentIntent> =>
  withIdempotency(state, input.idempotencyKey, JSON.stringify(["cancel", input.intentId]), () =>
    Result.flatMap(findRecord(state, input.intentId), (record): Outcome<PaymentIntent> => {
      const { intent } = record
      if (intent.status === "succeeded")
        return Result.fail(
          new SandboxRefusal({
            status: 409,
            code: "intent_already_captured",
            message: "the intent is captured; refund it instead",
            intent
          })
        )
      if (!voidable.has(intent.status)) return unchanged(state, intent)
      const next = changed(intent, { status: "canceled" })
      return Result.succeed({
        state: withIntent(state, record, next),
        value: next,
        events: [event(ctx, "payment_intent.canceled", next)]
      })
    })
  )

/** Gives back part or all of a captured intent; the refunds of an intent never add up to more than its capture. */
export const refund = (
  state: LedgerState,
  input: { readonly intentId: string; readonly amountMinor: number; readonly idempotencyKey: string },
  ctx: LedgerContext
): Outcome<Refund> =>
  withIdempotency(state, input.idempotencyKey, JSON.stringify(["refund", input.intentId, input.amountMinor]), () =>
    Result.gen(function* () {
      if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor < 1)
        return yield* Result.fail(
          new SandboxRefusal({ status: 400, code: "invalid_amount", message: "amountMinor must be a positive integer" })
        )
      const record = yield* findRecord(state, input.intentId)
      const { intent } = record
      if (intent.status !== "succeeded")
        return yield* Result.fail(
          new SandboxRefusal({
            status: 409,
            code: "intent_not_captured",
            message: `the intent is ${intent.status}; only a captured intent can be refunded`,
            intent
          })
        )
      if (intent.refundedMinor + input.amountMinor > intent.capturedMinor)
        return yield* Result.fail(
          new SandboxRefusal({
            status: 409,
            code: "amount_exceeds_captured",
            message: `${input.amountMinor} would bring refunds above the ${intent.capturedMinor} captured (${intent.refundedMinor} already refunded)`,
            intent
          })
        )
      const created = new Refund({ id: ctx.newId("re"), intentId: intent.id, amountMinor: input.amountMinor })
      const next = changed(intent, { refundedMinor: intent.refundedMinor + input.amountMinor })
      const { balance } = state
      return {
        state: {
          ...withIntent(state, record, next),
          refunds: HashMap.set(state.refunds, created.id, created),
          balance: new Balance({
            ...balance,
            refundedMinor: balance.refundedMinor + input.amountMinor,
            refunds: balance.refunds + 1
          })
        },
        value: created,
        events: [event(ctx, "refund.succeeded", next, input.amountMinor)]
      }
    })
  )

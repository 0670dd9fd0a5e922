import { randomBytes } from "node:crypto"
import { Clock, Effect, Ref, Result } from "effect"
import type { PaymentIntent, Refund } from "../../../domain/payments/PaymentGateway.ts"
import * as Ledger from "./SandboxLedger.ts"
import type { WebhookEvent } from "./WebhookEvent.ts"

/** `pi_3f9c…`: a prefix and 24 random hex characters. */
const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`

export interface SandboxStateOptions {
  /** Where customers reach the sandbox: the base of every intent's confirmUrl. */
  readonly publicBaseUrl: string
  /** Called with each event an operation raised, once its state change is in place. */
  readonly publish: (event: WebhookEvent) => Effect.Effect<void>
}

/**
 * The sandbox's memory: the ledger in a Ref, each operation one atomic `Ref.modify` over a pure transition of
 * SandboxLedger, its events published right after. Shared by the sandbox server and the in-memory adapter.
 */
export const makeSandboxState = (options: SandboxStateOptions) =>
  Effect.gen(function* () {
    const ledger = yield* Ref.make(Ledger.emptyLedger)

    const run = <A>(transition: (state: Ledger.LedgerState, ctx: Ledger.LedgerContext) => Ledger.Outcome<A>) =>
      Effect.gen(function* () {
        const ctx: Ledger.LedgerContext = {
          now: new Date(yield* Clock.currentTimeMillis),
          newId,
          publicBaseUrl: options.publicBaseUrl
        }
        const outcome = yield* Ref.modify(ledger, (state) => {
          const result = transition(state, ctx)
          return [result, Result.isSuccess(result) ? result.success.state : state]
        })
        const { value, events } = yield* Effect.fromResult(outcome)
        yield* Effect.forEach(events, options.publish, { discard: true })
        return value
        // The change and its events go together: an interruption must not leave a change without its webhook.
      }).pipe(Effect.uninterruptible)

    const read = Ref.get(ledger)

    return {
      createIntent: (input: Ledger.CreateIntentInput): Effect.Effect<PaymentIntent, Ledger.SandboxRefusal> =>
        run((state, ctx) => Ledger.createIntent(state, input, ctx)),
      retrieve: (intentId: string): Effect.Effect<PaymentIntent, Ledger.SandboxRefusal> =>
        Effect.flatMap(read, (state) => Effect.fromResult(Ledger.retrieve(state, intentId))),
      confirm: (input: {
        readonly intentId: string
        readonly clientSecret: string
        readonly card: string
      }): Effect.Effect<PaymentIntent, Ledger.SandboxRefusal> => run((state, ctx) => Ledger.confirm(state, input, ctx)),
      completeProcessing: (intentId: string): Effect.Effect<PaymentIntent, Ledger.SandboxRefusal> =>
        run((state, ctx) => Ledger.completeProcessing(state, intentId, ctx)),
      capture: (input: {
        readonly intentId: string
        readonly idempotencyKey: string
      }): Effect.Effect<PaymentIntent, Ledger.SandboxRefusal> => run((state, ctx) => Ledger.capture(state, input, ctx)),
      cancel: (input: {
        readonly intentId: string
        readonly idempotencyKey: string
      }): Effect.Effect<PaymentIntent, Ledger.SandboxRefusal> => run((state, ctx) => Ledger.cancel(state, input, ctx)),
      refund: (input: {
        readonly intentId: string
        readonly amountMinor: number
        readonly idempotencyKey: string
      }): Effect.Effect<Refund, Ledger.SandboxRefusal> => run((state, ctx) => Ledger.refund(state, input, ctx)),
      /** The client secret of an intent: what a customer holding its confirmUrl knows (test controls use it). */
      clientSecretOf: (intentId: string): Effect.Effect<string, Ledger.SandboxRefusal> =>
        Effect.flatMap(read, (state) => Effect.fromResult(Ledger.clientSecretOf(state, intentId))),
      balance: Effect.map(read, (state) => state.balance)
    }
  })

export type SandboxState = Effect.Success<ReturnType<typeof makeSandboxState>>

import { createHash } from "node:crypto"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { CheckoutWorkflow, EventRefundsWorkflow, RefundWorkflow } from "../../domain/orders/CheckoutWorkflow.ts"

type PayloadOf<W extends { readonly payloadSchema: Schema.Top }> = W["payloadSchema"]["Type"]

/**
 * The sagas an Effect 3 engine left unfinished in the database, retired at start-up so that this engine can start
 * them again under its own execution ids (the saga sweeper does, see SagaSweeper.ts).
 */
export interface LegacyExecutionsShape {
  readonly checkouts: ReadonlyArray<PayloadOf<typeof CheckoutWorkflow>>
  readonly refunds: ReadonlyArray<PayloadOf<typeof RefundWorkflow>>
  readonly eventRefunds: ReadonlyArray<PayloadOf<typeof EventRefundsWorkflow>>
}

export class LegacyExecutions extends Context.Service<LegacyExecutions, LegacyExecutionsShape>()(
  "goticket/LegacyExecutions"
) {}

/**
 * Effect 3 named an execution by the first 16 bytes of SHA-256(`<name>-<idempotency key>`); Effect 4 hashes
 * `<length of name>:<name>:<idempotency key>`. An Effect 3 execution is therefore never addressed again (its
 * webhooks complete another execution's deferred), yet its pending messages would still be delivered: the payment
 * window's clock would wake the old checkout after a new one confirmed the order, and its compensation would refund
 * the customer of valid tickets.
 */
const effect3ExecutionId = (name: string, idempotencyKey: string) =>
  createHash("sha256").update(`${name}-${idempotencyKey}`).digest("hex").slice(0, 32)

/** The Effect 3 executions of `workflow` among the `run` messages found, with their payloads. */
const legacyOf = <W extends typeof CheckoutWorkflow | typeof RefundWorkflow | typeof EventRefundsWorkflow>(
  workflow: W,
  runs: ReadonlyArray<{ readonly entity_type: string; readonly entity_id: string; readonly payload: string | null }>
) => {
  const decode = Schema.decodeUnknownOption(Schema.fromJsonString(Schema.toCodecJson(workflow.payloadSchema)))
  const found: Array<{ readonly executionId: string; readonly payload: PayloadOf<W> }> = []
  for (const run of runs) {
    if (run.entity_type !== `Workflow/${workflow._tag}`) continue
    const payload = decode(run.payload) as Option.Option<PayloadOf<W>>
    if (Option.isNone(payload)) continue
    const key = (workflow.idempotencyKey as (payload: PayloadOf<W>) => string)(payload.value)
    if (effect3ExecutionId(workflow._tag, key) === run.entity_id)
      found.push({ executionId: run.entity_id, payload: payload.value })
  }
  return found
}

/**
 * Finds the Effect 3 executions that still have undelivered messages (in the engine's `cluster_messages`) and marks
 * those messages delivered, before this engine reads any of them. Runs at every start; once retired, an execution
 * has nothing left to find.
 */
const retire = Effect.gen(function* () {
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  const [table] = yield* sql<{ present: boolean }>`SELECT to_regclass('cluster_messages') IS NOT NULL AS present`
  if (table?.present !== true) return { checkouts: [], refunds: [], eventRefunds: [] }
  const runs = yield* sql<{ entity_type: string; entity_id: string; payload: string | null }>`
    SELECT r.entity_type, r.entity_id, r.payload FROM cluster_messages r
    WHERE r.tag = 'run' AND r.entity_type IN ('Workflow/Checkout', 'Workflow/Refund', 'Workflow/EventRefunds')
      AND EXISTS (
        SELECT 1 FROM cluster_messages m
        WHERE m.entity_id = r.entity_id AND m.entity_type LIKE 'Workflow/%' AND NOT m.processed
      )`
  const checkouts = legacyOf(CheckoutWorkflow, runs)
  const refunds = legacyOf(RefundWorkflow, runs)
  const eventRefunds = legacyOf(EventRefundsWorkflow, runs)
  const ids = [...checkouts, ...refunds, ...eventRefunds].map((run) => run.executionId)
  if (ids.length > 0) {
    yield* sql`UPDATE cluster_messages SET processed = TRUE
      WHERE entity_id IN ${sql.in(ids)} AND entity_type LIKE 'Workflow/%' AND NOT processed`
    yield* Effect.logWarning("sagas left unfinished by the Effect 3 engine were retired; they start again").pipe(
      Effect.annotateLogs({
        checkouts: checkouts.length,
        refunds: refunds.length,
        eventRefunds: eventRefunds.length
      })
    )
  }
  return {
    checkouts: checkouts.map((run) => run.payload),
    refunds: refunds.map((run) => run.payload),
    eventRefunds: eventRefunds.map((run) => run.payload)
  }
}).pipe(Effect.orDie, Effect.withSpan("LegacyExecutions.retire"))

/** Retires the Effect 3 executions (see `retire`); build it before the runner that would deliver their messages. */
export const LegacyExecutionsLive = Layer.effect(LegacyExecutions, retire)

import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlMessageStorage } from "effect/cluster"
import { SqlClient } from "effect/sql"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { CheckoutWorkflow } from "../../domain/orders/CheckoutWorkflow.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { LegacyExecutions, LegacyExecutionsLive } from "./LegacyExecutions.ts"

/** A checkout as the Effect 3 engine stored it (this execution id is the one it gave this order). */
const effect3 = {
  orderId: "a4c34061-30c5-4d7f-a734-371b25fa6b0b" as OrderId,
  executionId: "cad8a5789101b612eeae8adce9608b09"
}

let nextId = 1
/** A message row of the engine: to a checkout execution or to its payment window's clock. */
const message = (entityType: string, entityId: string, tag: string, payload: unknown, processed: boolean) =>
  Effect.gen(function* () {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const id = nextId++
    yield* sql`INSERT INTO cluster_messages
      (id, message_id, shard_id, entity_type, entity_id, kind, tag, payload, headers, processed, request_id)
      VALUES (${id}, ${`${entityType}/${entityId}/${tag}/${id}`}, 'default:1', ${entityType}, ${entityId}, 0, ${tag},
        ${JSON.stringify(payload)}, '{}', ${processed}, ${id})`
  })

/** A checkout waiting for its payment: its run delivered, its clock not yet. */
const waitingCheckout = (orderId: OrderId, executionId: string) =>
  Effect.all([
    message("Workflow/Checkout", executionId, "run", { orderId }, true),
    message(
      "Workflow/-/DurableClock",
      executionId,
      "run",
      { name: "PaymentWindow", workflowName: "Checkout", wakeUp: Date.now() + 300_000 },
      false
    )
  ])

const undelivered = (executionId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{
        n: number
      }>`SELECT count(*)::int AS n FROM cluster_messages WHERE entity_id = ${executionId} AND NOT processed`,
      ([row]) => row?.n
    )
  )

layer(SqlMessageStorage.layerMigrations({}).pipe(Layer.provideMerge(TestDatabaseLive)), {
  timeout: "60 seconds",
  excludeTestServices: true
})("sagas left by the Effect 3 engine", (it) => {
  it.effect("are retired before the runner starts, and only they; each once", () =>
    Effect.gen(function* () {
      yield* waitingCheckout(effect3.orderId, effect3.executionId)
      // The same kind of checkout started by this engine, and an Effect 3 one that has nothing left to deliver.
      const current = crypto.randomUUID() as OrderId
      const currentId = yield* CheckoutWorkflow.executionId({ orderId: current })
      yield* waitingCheckout(current, currentId)
      yield* message("Workflow/Checkout", "5f0a7c1e2d3b0b6c5a8e4a6f4f7e9d51", "run", { orderId: current }, true)

      const retired = yield* LegacyExecutions.pipe(Effect.provide(LegacyExecutionsLive))
      expect(retired).toEqual({ checkouts: [{ orderId: effect3.orderId }], refunds: [], eventRefunds: [] })
      // The old checkout's clock will not wake it; this engine's checkout keeps its own.
      expect(yield* undelivered(effect3.executionId)).toBe(0)
      expect(yield* undelivered(currentId)).toBe(1)

      const again = yield* LegacyExecutions.pipe(Effect.provide(LegacyExecutionsLive))
      expect(again).toEqual({ checkouts: [], refunds: [], eventRefunds: [] })
    })
  )
})

import { expect, layer } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { WorkflowEngine } from "effect/workflow"
import {
  Purchase,
  PurchaseLive,
  pay,
  settled,
  Trail,
  workflowEngineContract
} from "../../../../test/contracts/WorkflowEngineContract.ts"
import { TestDatabaseLive } from "../../../../test/support/TestDatabase.ts"
import { EngineSettings } from "./EngineSettings.ts"
import { PgWorkflowEngineLayer } from "./PgWorkflowEngine.ts"
import { WorkflowStorePg } from "./WorkflowStore.ts"

const settings = Layer.succeed(EngineSettings, {
  owner: "test-runner",
  lease: Duration.seconds(30),
  pollInterval: Duration.millis(200)
})

workflowEngineContract("in-memory (effect/workflow)", WorkflowEngine.layerMemory)

workflowEngineContract(
  "PostgreSQL",
  PgWorkflowEngineLayer.pipe(Layer.provide([WorkflowStorePg, settings]), Layer.provide(TestDatabaseLive))
)

/** An engine of its own (its own runner name) on the database the test shares, with the test workflow registered. */
const runner = (owner: string, trail: Ref.Ref<ReadonlyArray<string>>, lease = Duration.seconds(30)) =>
  Layer.build(
    PurchaseLive.pipe(
      Layer.provideMerge(PgWorkflowEngineLayer),
      Layer.provide([
        WorkflowStorePg,
        Layer.succeed(EngineSettings, { owner, lease, pollInterval: Duration.millis(200) })
      ]),
      Layer.provide(Layer.succeed(Trail, trail))
    )
  )

layer(TestDatabaseLive, { timeout: "60 seconds" })("the PostgreSQL engine across runners", (it) => {
  it.effect("two runners share the executions: each step of each purchase runs once", () =>
    Effect.gen(function* () {
      const trail = yield* Ref.make<ReadonlyArray<string>>([])
      const a = yield* runner("runner-a", trail)
      const b = yield* runner("runner-b", trail)
      const ids = Array.from({ length: 20 }, (_, i) => `shared-${i}`)
      yield* Effect.forEach(ids, (id) => Purchase.execute({ id }, { discard: true }), { concurrency: 10 }).pipe(
        Effect.provideContext(a)
      )
      yield* Effect.forEach(ids, (id) => pay(id), { concurrency: 10 }).pipe(Effect.provideContext(b))
      for (const id of ids)
        expect(yield* settled(id).pipe(Effect.provideContext(b))).toStrictEqual(Exit.succeed({ outcome: "confirmed" }))
      const steps = yield* Ref.get(trail)
      expect([...steps].sort()).toEqual(ids.flatMap((id) => [`capture ${id}`, `confirm ${id}`, `reserve ${id}`]).sort())
    }).pipe(Effect.scoped)
  )

  it.effect("a runner that died is replaced once its lease runs out; finished steps are not run again", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const trail = yield* Ref.make<ReadonlyArray<string>>([])
      // A runner that is gone left an execution behind after it was paid and before it captured: its journal ends
      // there and its lease still holds (written as such, from a purchase run to the end and then cut back).
      yield* Effect.scoped(
        Effect.gen(function* () {
          const first = yield* runner("gone", trail)
          yield* Purchase.execute({ id: "orphan" }, { discard: true }).pipe(Effect.provideContext(first))
          yield* pay("orphan").pipe(Effect.provideContext(first))
          yield* settled("orphan").pipe(Effect.provideContext(first))
        })
      )
      const executionId = yield* Purchase.executionId({ id: "orphan" })
      yield* sql`DELETE FROM workflow_journal WHERE execution_id = ${executionId} AND name IN ('Capture', 'Confirm')`
      yield* sql`UPDATE workflow_executions SET status = 'running', result = NULL, owner = 'dead-runner',
                 lease_until = ${new Date(Date.now() + 60_000)} WHERE execution_id = ${executionId}`
      yield* Ref.set(trail, [])
      const second = yield* runner("survivor", trail)
      // Still leased: nobody takes it.
      yield* TestClock.adjust(Duration.seconds(30))
      expect(yield* Ref.get(trail)).toEqual([])
      yield* sql`UPDATE workflow_executions SET lease_until = ${new Date(0)} WHERE execution_id = ${executionId}`
      expect(yield* settled("orphan").pipe(Effect.provideContext(second))).toStrictEqual(
        Exit.succeed({ outcome: "confirmed" })
      )
      expect(yield* Ref.get(trail)).toEqual(["capture orphan", "confirm orphan"])
    }).pipe(Effect.scoped)
  )
})

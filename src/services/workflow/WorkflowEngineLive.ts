import cluster from "node:cluster"
import { hostname } from "node:os"
import { Context, Duration, Effect, Layer } from "effect"
import { CheckoutSagaLive } from "../../domain/orders/CheckoutSaga.ts"
import { CheckoutSettings } from "../../domain/orders/CheckoutSettings.ts"
import { EventRefundsSagaLive, RefundSagaLive } from "../../domain/orders/RefundSaga.ts"
import { bounded } from "../config/bounded.ts"
import { OrdersConfig } from "../orders/OrdersConfig.ts"
import { isTransient } from "../sql/Transient.ts"
import { EngineSettings } from "./pg/EngineSettings.ts"
import { PgWorkflowEngineLayer } from "./pg/PgWorkflowEngine.ts"
import { WorkflowStorePg } from "./pg/WorkflowStore.ts"

/** Added to the runner's number by the role that runs it (the worker role: 1000). */
export const RunnerPortOffset = Context.Reference<number>("goticket/RunnerPortOffset", { defaultValue: () => 0 })

/**
 * Every process is a runner of its own, named by host and a number: the API process 34431, the worker role 35431,
 * plus the cluster worker's id with WORKERS=N; WORKFLOW_RUNNER_PORT overrides the number (needed only for several
 * worker processes on one host). The name is stable across restarts, so a process restarted under its name takes
 * its executions back at once instead of waiting for their leases to run out. Two live processes must never share
 * a name.
 */
const runnerName = Effect.gen(function* () {
  const offset = yield* RunnerPortOffset
  const number = yield* bounded(
    "WORKFLOW_RUNNER_PORT",
    34431 + offset + (cluster.worker?.id ?? 0),
    1,
    65_535,
    "(a number in the runner's name, not a listening port)"
  )
  return `${hostname()}:${number}`
})

/**
 * The durable saga engine: the WorkflowEngine of effect/workflow on PostgreSQL (pg/PgWorkflowEngine.ts, its tables
 * in migrations/0012_workflow_engine.sql), on the server or on the embedded database alike.
 */
export const WorkflowEngineSql = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* OrdersConfig
    const owner = yield* runnerName
    return PgWorkflowEngineLayer.pipe(
      Layer.provide(WorkflowStorePg),
      Layer.provide(
        Layer.succeed(EngineSettings, { owner, lease: Duration.seconds(30), pollInterval: config.enginePollInterval })
      )
    )
  })
)

/**
 * The saga settings from configuration. A saga step's database call that died of a transient SQL failure (the
 * database restarting or unreachable, a lost connection: sql/Transient.ts) is an outage, waited out.
 */
export const CheckoutSettingsLive = Layer.effect(
  CheckoutSettings,
  Effect.gen(function* () {
    const config = yield* OrdersConfig
    const defaults = yield* CheckoutSettings
    return { ...defaults, paymentWindow: config.paymentWindow, isOutage: isTransient }
  })
)

/** Every saga registered with the engine. */
export const SagasLive = Layer.mergeAll(CheckoutSagaLive, RefundSagaLive, EventRefundsSagaLive)

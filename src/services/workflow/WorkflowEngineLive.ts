import cluster from "node:cluster"
import { ClusterWorkflowEngine, RunnerAddress, SingleRunner } from "@effect/cluster"
import { Effect, Layer, Option } from "effect"
import { CheckoutSagaLive } from "../../domain/orders/CheckoutSaga.ts"
import { CheckoutSettings } from "../../domain/orders/CheckoutSettings.ts"
import { EventRefundsSagaLive, RefundSagaLive } from "../../domain/orders/RefundSaga.ts"
import { OrdersConfig } from "../orders/OrdersConfig.ts"
import { DatabaseKind } from "../sql/Database.ts"

/** Each worker process of WORKERS=N is its own runner; they share the shards through PostgreSQL locks. */
const RUNNER_BASE_PORT = 34431

/**
 * The durable workflow engine: @effect/cluster's workflow engine on a single-node runner whose messages, replies
 * and shard locks live in PostgreSQL (its own `cluster_*` tables). The poll interval bounds how long a new saga
 * (or a completed deferred) waits before it runs: the default of 10 s would make the first checkout slow.
 */
export const WorkflowEngineSql = Layer.unwrapEffect(
  Effect.map(Effect.all([OrdersConfig, DatabaseKind]), ([config, kind]) =>
    ClusterWorkflowEngine.layer.pipe(
      Layer.provideMerge(
        SingleRunner.layer({
          // Shard locks hold a connection of their own: on the embedded database (one connection, one process)
          // they are kept in memory; messages, replies and journals are in PostgreSQL either way.
          runnerStorage: kind === "embedded" ? "memory" : "sql",
          shardingConfig: {
            entityMessagePollInterval: config.enginePollInterval,
            entityReplyPollInterval: config.enginePollInterval,
            // Messages to sagas on this runner are handed over in memory without a serialisation round trip.
            simulateRemoteSerialization: false,
            runnerAddress: Option.some(RunnerAddress.make("localhost", RUNNER_BASE_PORT + (cluster.worker?.id ?? 0)))
          }
        })
      )
    )
  )
)

/** The saga settings from configuration. */
export const CheckoutSettingsLive = Layer.effect(
  CheckoutSettings,
  Effect.gen(function* () {
    const config = yield* OrdersConfig
    const defaults = yield* CheckoutSettings
    return { ...defaults, paymentWindow: config.paymentWindow }
  })
)

/** Every saga registered with the engine. */
export const SagasLive = Layer.mergeAll(CheckoutSagaLive, RefundSagaLive, EventRefundsSagaLive)

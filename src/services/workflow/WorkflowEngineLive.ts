import cluster from "node:cluster"
import { hostname } from "node:os"
import { Config, Context, Duration, Effect, Layer, Option } from "effect"
import { ClusterWorkflowEngine, RunnerAddress, SingleRunner, SqlMessageStorage, SqlRunnerStorage } from "effect/cluster"
import { Digest } from "effect/crypto"
import type { SqlClient } from "effect/sql"
import { CheckoutSagaLive } from "../../domain/orders/CheckoutSaga.ts"
import { CheckoutSettings } from "../../domain/orders/CheckoutSettings.ts"
import { EventRefundsSagaLive, RefundSagaLive } from "../../domain/orders/RefundSaga.ts"
import { bounded } from "../config/bounded.ts"
import { OrdersConfig } from "../orders/OrdersConfig.ts"
import { DatabaseKind } from "../sql/Database.ts"
import { withSchemaLock } from "../sql/SchemaLock.ts"
import { LegacyExecutionsLive } from "./LegacyExecutions.ts"
import { EngineSettings, PgWorkflowEngineLayer } from "./pg/PgWorkflowEngine.ts"
import { WorkflowStorePg } from "./pg/WorkflowStore.ts"

/**
 * Every process is a runner of its own, named by host and port (the port is an identity only: nothing listens on
 * it); they share the shards through PostgreSQL locks. Two processes with one name would both believe they hold
 * the same shards, so: the API process is 34431, the worker role 35431, plus the cluster worker id with WORKERS=N;
 * WORKFLOW_RUNNER_PORT overrides it (needed only for several worker processes on one host). A process restarted
 * under its name takes its shards back at once.
 */
const RUNNER_BASE_PORT = 34431

/** Added to the runner's port by the role that runs it (the worker role: 1000). */
export const RunnerPortOffset = Context.Reference<number>("goticket/RunnerPortOffset", { defaultValue: () => 0 })

const runnerAddress = Effect.gen(function* () {
  const offset = yield* RunnerPortOffset
  const port = yield* bounded(
    "WORKFLOW_RUNNER_PORT",
    RUNNER_BASE_PORT + offset + (cluster.worker?.id ?? 0),
    1,
    65_535,
    "(an identity, not a listening port)"
  )
  return RunnerAddress.make(hostname(), port)
})

/**
 * The engine's tables (`cluster_*`), made by effect/cluster's own migrations under the schema lock (SchemaLock.ts),
 * one migrator after the other on the lock's transaction: the storage layers would otherwise run them as they are
 * built, and processes starting together on a fresh database raced to create the migrators' history tables
 * (`cluster_migrations`, `cluster_runner_migrations`). Once they are there, the storage layers' own run of the same
 * migrations finds nothing to do. The runner tables only where the runner storage is SQL.
 */
const EngineTablesLive = (kind: "server" | "embedded") => {
  const migrate = (tables: Layer.Layer<never, never, SqlClient.SqlClient>) => Effect.scoped(Layer.build(tables))
  return Layer.effectDiscard(
    withSchemaLock(
      Effect.andThen(
        migrate(SqlMessageStorage.layerMigrations({})),
        kind === "server" ? migrate(SqlRunnerStorage.layerMigrations({})) : Effect.void
      )
    )
  )
}

/**
 * The durable workflow engine: effect/cluster's workflow engine on a single-node runner whose messages, replies
 * and shard locks live in PostgreSQL (its own `cluster_*` tables). The poll interval bounds how long a new saga
 * (or a completed deferred) waits before it runs: the default of 10 s would make the first checkout slow. Long
 * message deduplication keys are hashed with WebCrypto's SHA-256. Sagas an Effect 3 engine left unfinished are
 * retired before the runner starts (LegacyExecutions.ts), and provided as `LegacyExecutions` to be started again.
 */
const WorkflowEngineCluster = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* OrdersConfig
    const kind = yield* DatabaseKind
    const address = yield* runnerAddress
    return ClusterWorkflowEngine.layer.pipe(
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
            runnerAddress: Option.some(address)
          }
        }).pipe(Layer.provide(EngineTablesLive(kind)))
      ),
      Layer.provide(Digest.layerWebCrypto),
      Layer.provideMerge(LegacyExecutionsLive)
    )
  })
)

/** The PostgreSQL saga engine (pg/PgWorkflowEngine.ts), its runner named as the cluster's runner would be. */
const WorkflowEnginePg = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* OrdersConfig
    const address = yield* runnerAddress
    return PgWorkflowEngineLayer.pipe(
      Layer.provide(WorkflowStorePg),
      Layer.provide(
        Layer.succeed(EngineSettings, {
          owner: `${address.host}:${address.port}`,
          lease: Duration.seconds(30),
          pollInterval: config.enginePollInterval
        })
      )
    )
  })
)

/** The saga engine: WORKFLOW_ENGINE=cluster (effect/cluster, the default) or postgres (pg/, being measured). */
export const WorkflowEngineSql = Layer.unwrap(
  Effect.map(
    Config.Literals(["postgres", "cluster"], "WORKFLOW_ENGINE").pipe(Config.withDefault("cluster" as const)),
    (engine) => (engine === "cluster" ? WorkflowEngineCluster : WorkflowEnginePg)
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

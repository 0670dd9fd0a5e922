import { afterEach, layer, it as plainIt } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import { SecurityTokensPg } from "../../src/services/accounts/SecurityTokensPg.ts"
import { TwoFactorRepositoryPg } from "../../src/services/accounts/TwoFactorRepositoryPg.ts"
import { UserRepositoryPg } from "../../src/services/accounts/UserRepositoryPg.ts"
import { pgClientFromUrl } from "../../src/services/sql/Database.ts"
import { AccessTarget, accessControlTable, WorldLive } from "../support/AccessControlTable.ts"
import { Processes } from "../support/Processes.ts"
import { describeWithRedis } from "../support/Redis.ts"
import { ADMIN } from "../support/SecurityWorld.ts"
import { SPLIT_SECRETS, type SplitTopology, startSplitTopology, stopSplitTopology } from "../support/SplitTopology.ts"
import { databaseTarget } from "../support/TestDatabase.ts"
import { clientAt } from "../support/TestServer.ts"

/*
 * The access-control table (test/support/AccessControlTable.ts) against the split deployment: every endpoint called
 * through the gateway, with holds, orders, tickets, refunds, check-ins and the payment webhook answered by the
 * booking role over RPC, must give every caller exactly the status it gets from one process. One topology (gateway,
 * booking, worker and the sandbox provider as processes on the real PostgreSQL and Redis) serves the whole file.
 */

const procs = new Processes()
const target = await Effect.runPromise(databaseTarget)

class Topology extends Context.Service<Topology, SplitTopology>()("split/Topology") {}

await describeWithRedis("access control of every endpoint on the split deployment", (redisUrl) => {
  if (target !== "server") {
    plainIt.skip(
      "[skipped: three processes need a PostgreSQL server; the embedded database is one process's]",
      () => {}
    )
    return
  }

  const TopologyLive = Layer.effect(
    Topology,
    Effect.acquireRelease(
      Effect.promise(() =>
        startSplitTopology(procs, redisUrl, { shared: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } })
      ),
      (topology) => Effect.promise(() => stopSplitTopology(procs, topology))
    )
  )
  const TargetLive = Layer.effect(
    AccessTarget,
    Effect.map(Topology, (topology) => ({
      api: clientAt(topology.gatewayBase),
      webhookSecret: SPLIT_SECRETS.paymentWebhook,
      jwtSecret: SPLIT_SECRETS.jwt
    }))
  )
  /** What the world needs beside the API (one-time tokens, a two-factor account), on the topology's database. */
  const AccountRepositoriesLive = Layer.unwrap(
    Effect.map(Topology, (topology) =>
      Layer.mergeAll(UserRepositoryPg, SecurityTokensPg, TwoFactorRepositoryPg).pipe(
        Layer.provide(pgClientFromUrl(Redacted.make(topology.database.url), 4))
      )
    )
  )
  const SplitLive = WorldLive.pipe(
    Layer.provideMerge(Layer.merge(TargetLive, AccountRepositoriesLive).pipe(Layer.provideMerge(TopologyLive)))
  )

  afterEach((context) => {
    if (context.task.result?.state === "fail") console.error(procs.logs(200))
  })

  layer(SplitLive, { timeout: "300 seconds", excludeTestServices: true })("the table over the gateway", (it) => {
    accessControlTable(it)
  })
})

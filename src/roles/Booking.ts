import type { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { LogLevelLive, RepositoriesPg, ServicesLive } from "../Application.ts"
import { NodeServerLive } from "../http/HttpServerLive.ts"
import { RpcAddress, RpcHandlersLive, RpcServerLive } from "../rpc/server/RpcServerLive.ts"
import { PublicBaseUrl } from "../services/accounts/PublicBaseUrl.ts"
import { LoggerLive } from "../services/observability/Logging.ts"
import { MetricsStartupLive } from "../services/observability/MetricsStartup.ts"
import { TracingLive } from "../services/observability/Tracing.ts"
import { type DatabaseKind, DatabaseLive } from "../services/sql/Database.ts"
import { Readiness } from "../services/startup/Readiness.ts"
import { BookingHealthLive } from "./BookingHealth.ts"

/** Ready once the RPC listener listens: the gateways' calls can be served. */
const ReadyOnceServing = Layer.effectDiscard(
  Effect.gen(function* () {
    const { url } = yield* RpcAddress
    if (url === undefined) return yield* Effect.die(new Error("the booking role needs RPC_PORT"))
    yield* (yield* Readiness).markReady
    yield* Effect.logInfo(
      `GoTicket booking role is ready: internal RPC on ${url}/rpc (started in ${process.uptime().toFixed(1)} s)`
    )
  })
)

/**
 * ROLE=booking: the domain and its database behind the internal RPC listener (RPC_HOST:RPC_PORT), which serves the
 * gateways (GatewayRpcs) and every other internal caller; the same application services (and saga engine) as one
 * process. Its HTTP listener (HOST:PORT) has only /health/live, /health/ready and /metrics. The background work is
 * the worker role's (`npm run worker`).
 */
export const bookingOver = <E>(database: Layer.Layer<SqlClient.SqlClient | PgClient.PgClient | DatabaseKind, E>) =>
  Layer.mergeAll(ReadyOnceServing, BookingHealthLive, MetricsStartupLive).pipe(
    Layer.provideMerge(RpcServerLive.pipe(Layer.provide(RpcHandlersLive))),
    Layer.provideMerge(Layer.merge(NodeServerLive, Readiness.layer)),
    Layer.provideMerge(ServicesLive),
    Layer.provideMerge(PublicBaseUrl.withoutServer),
    Layer.provideMerge(RepositoriesPg),
    Layer.provideMerge(database)
  )

export const BookingLive = bookingOver(DatabaseLive).pipe(
  Layer.provide(TracingLive),
  Layer.provide(Layer.mergeAll(LoggerLive, LogLevelLive))
)

import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Option, type Redacted, String as Str } from "effect"
import type { SqlClient } from "effect/sql"
import { AppConfig } from "../config/AppConfig.ts"
import { startEmbeddedPostgres } from "./EmbeddedPostgres.ts"
import { MigrationsLive } from "./Migrations.ts"

const common = {
  transformQueryNames: Str.camelToSnake,
  transformResultNames: Str.snakeToCamel,
  connectTimeout: Duration.seconds(10),
  applicationName: "goticket"
} as const

/**
 * Which PostgreSQL the service runs on. The embedded PGlite is one session behind a socket, so it is used through
 * one connection, by one process: whatever would hold a connection for long (a LISTEN) must
 * not, there.
 */
export class DatabaseKind extends Context.Service<DatabaseKind, "server" | "embedded">()("goticket/DatabaseKind") {}

/** A PgClient on the server at `url`. */
export const pgClientFromUrl = (url: Redacted.Redacted, maxConnections: number) =>
  Layer.merge(
    PgClient.layer({ ...common, url, maxConnections, multiplex: process.env.DATABASE_MULTIPLEX !== "false" }),
    Layer.succeed(DatabaseKind, "server")
  )

/** A PgClient on an embedded PGlite (in `dataDir`, or in memory when undefined). */
export const pgClientEmbedded = (dataDir: string | undefined) =>
  Layer.unwrap(
    Effect.gen(function* () {
      const address = yield* startEmbeddedPostgres(dataDir, 8)
      yield* Effect.logInfo("embedded PostgreSQL (PGlite) is serving").pipe(
        Effect.annotateLogs({ dataDir: dataDir ?? "memory", port: address.port })
      )
      // One connection: PGlite's socket server interleaves the protocol messages of concurrent connections outside
      // explicit transactions (a query could run with another query's parameters), so they take turns here.
      return Layer.merge(
        PgClient.layer({
          ...common,
          host: address.host,
          port: address.port,
          username: "postgres",
          database: "postgres",
          maxConnections: 1
        }),
        Layer.succeed(DatabaseKind, "embedded")
      )
    })
  )

/**
 * The database of the running service: the server named by DATABASE_URL, or else the embedded PGlite
 * persisted under GOTICKET_DATA_DIR. Migrations are applied before anything else uses it.
 */
export const DatabaseLive = Layer.unwrap(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const client = Option.match(config.databaseUrl, {
      onSome: (url) => pgClientFromUrl(url, config.databasePoolMax),
      onNone: () => pgClientEmbedded(config.dataDir)
    })
    return MigrationsLive.pipe(Layer.provideMerge(client))
  })
)

/**
 * The database of the background work (the event pipeline: relay, consumers, webhook deliveries) on a server: a
 * pool of its own to the same database (DATABASE_BACKGROUND_POOL_MAX, 3), so that consumers working through a
 * backlog during a sale never take the connections the API answers with. On the embedded database (one
 * connection) it is the service's own client.
 */
export const BackgroundDatabaseLive = Layer.unwrap(
  Effect.gen(function* () {
    const kind = yield* DatabaseKind
    const main = yield* PgClient.PgClient
    if (kind === "embedded")
      return Layer.effectContext(Effect.context<PgClient.PgClient | SqlClient.SqlClient | DatabaseKind>())
    const config = yield* AppConfig
    return Layer.merge(
      PgClient.layer({ ...main.config, maxConnections: config.databaseBackgroundPoolMax }),
      Layer.succeed(DatabaseKind, "server")
    )
  })
)

import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Redacted } from "effect"
import { Reactivity } from "effect/reactivity"
import { type SqlClient, SqlError } from "effect/sql"
import { type DatabaseKind, pgClientEmbedded, pgClientFromUrl } from "../../src/services/sql/Database.ts"
import { MigrationsLive } from "../../src/services/sql/Migrations.ts"

/** The PostgreSQL server the suites use: DATABASE_URL, else the local server. */
export const serverUrl = (): string => process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

/** One statement on the server through a short-lived client. */
const onServer = (url: string, statement: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const client = yield* PgClient.make({
        url: Redacted.make(url),
        maxConnections: 1,
        connectTimeout: Duration.seconds(3)
      })
      return yield* client.unsafe(statement)
    })
  ).pipe(Effect.provide(Reactivity.layer))

export type DatabaseTarget = "server" | "embedded"

/** What went wrong, with the driver's own error (ECONNREFUSED…) that a SqlError keeps under its reason. */
const reasonOf = (error: unknown): string =>
  SqlError.isSqlError(error) ? `${error.message} (${String(error.reason.cause)})` : String(error)

/**
 * Decides once per test file: the real server if it answers, else the embedded PGlite.
 * With CI=true an unreachable server is a failure, never a silent fallback.
 */
export const databaseTarget = Effect.cached(
  onServer(serverUrl(), "SELECT 1").pipe(
    Effect.as<DatabaseTarget>("server"),
    Effect.timeout(Duration.seconds(5)),
    Effect.catch((error) =>
      process.env.CI === "true"
        ? Effect.die(new Error(`PostgreSQL at ${serverUrl()} is unreachable and CI=true: ${reasonOf(error)}`))
        : Effect.logWarning(
            `PostgreSQL at ${serverUrl()} is unreachable; running the PostgreSQL suites on embedded PGlite`
          ).pipe(Effect.as<DatabaseTarget>("embedded"))
    )
  )
).pipe(Effect.runSync)

/**
 * A fresh, migrated database for one test file: a new database on the server (dropped afterwards),
 * or an in-memory PGlite. Provides SqlClient and PgClient.
 */
export const TestDatabaseLive: Layer.Layer<SqlClient.SqlClient | PgClient.PgClient | DatabaseKind> = Layer.unwrap(
  Effect.gen(function* () {
    const target = yield* databaseTarget
    if (target === "embedded") return MigrationsLive.pipe(Layer.provideMerge(pgClientEmbedded(undefined)))
    const name = `goticket_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    const admin = serverUrl()
    yield* Effect.acquireRelease(onServer(admin, `CREATE DATABASE ${name}`), () =>
      onServer(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.ignore)
    )
    return MigrationsLive.pipe(Layer.provideMerge(pgClientFromUrl(Redacted.make(withDatabase(admin, name)), 8)))
  }).pipe(Effect.orDie)
).pipe(Layer.orDie)

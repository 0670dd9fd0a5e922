import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { withSchemaLock } from "./SchemaLock.ts"
import { splitStatements } from "./SqlScript.ts"

/**
 * `migrations/` of the project: the nearest one above this module, whether it runs from `src/` (tests, scripts) or
 * bundled into `dist/src/` (production).
 */
const findMigrationsDir = (from: string): string => {
  const candidate = join(from, "migrations")
  if (existsSync(join(candidate, "0001_accounts.sql"))) return candidate
  const parent = dirname(from)
  if (parent === from) throw new Error("no migrations/ directory above the service's code")
  return findMigrationsDir(parent)
}

export const MIGRATIONS_DIR = findMigrationsDir(dirname(fileURLToPath(import.meta.url)))

/**
 * Loads `migrations/NNNN_name.sql` files, in order. The stock loaders take JS modules only. A file runs statement
 * by statement: the driver's extended protocol takes one statement per query.
 */
export const sqlFileLoader = (dir: string): Migrator.Loader =>
  Effect.sync(() =>
    readdirSync(dir)
      .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
      .map((file): Migrator.ResolvedMigration => {
        const [, id, name] = /^(\d+)_([\w-]+)\.sql$/.exec(file) as RegExpExecArray
        const statements = splitStatements(readFileSync(`${dir}/${file}`, "utf8"))
        const run = Effect.flatMap(SqlClient.SqlClient, (sql) =>
          Effect.forEach(statements, (statement) => sql.unsafe(statement), { discard: true })
        )
        return [Number(id), name as string, Effect.succeed(run)]
      })
      .sort((a, b) => a[0] - b[0])
  )

/** Runs the pending migrations. */
const runMigrations = Migrator.make({})

/** The number of the newest migration file in `dir`. */
export const latestMigrationIn = (dir: string): number =>
  Math.max(
    0,
    ...readdirSync(dir).flatMap((file) => (/^\d+_[\w-]+\.sql$/.test(file) ? [Number.parseInt(file, 10)] : []))
  )

/**
 * Whether the database already has every migration of `dir` (the highest applied is the newest file: the migrator
 * skips lower numbers anyway). Two reads, no lock and no migration file read: the usual restart on a database that
 * is up to date, where taking the schema lock and loading every file was most of the migrations' time.
 */
const upToDate = (dir: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [history] = yield* sql<{ exists: boolean }>`
      SELECT to_regclass('effect_sql_migrations') IS NOT NULL AS exists`
    if (history?.exists !== true) return false
    const [applied] = yield* sql<{
      latest: number | null
    }>`SELECT max(migration_id) AS latest FROM effect_sql_migrations`
    return (applied?.latest ?? 0) >= latestMigrationIn(dir)
  })

/**
 * Applies pending migrations once the SqlClient is up (nothing to do: two reads, see `upToDate`). Processes
 * starting together take turns under the schema lock (SchemaLock.ts), from the migrator's own table on: the migrator
 * locks that table only once it exists, and two processes on a fresh database both found it missing and both
 * created it.
 */
export const MigrationsLive = Layer.effectDiscard(
  Effect.flatMap(upToDate(MIGRATIONS_DIR), (done) =>
    done
      ? Effect.logInfo("database schema up to date")
      : withSchemaLock(runMigrations({ loader: sqlFileLoader(MIGRATIONS_DIR) })).pipe(
          Effect.tap(() => Effect.logInfo("database migrations applied"))
        )
  )
)

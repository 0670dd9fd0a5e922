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

/**
 * Applies pending migrations once the SqlClient is up. Processes starting together take turns under the schema
 * lock (SchemaLock.ts), from the migrator's own table on: the migrator locks that table only once it exists, and
 * two processes on a fresh database both found it missing and both created it.
 */
export const MigrationsLive = Layer.effectDiscard(
  withSchemaLock(runMigrations({ loader: sqlFileLoader(MIGRATIONS_DIR) }))
).pipe(Layer.tap(() => Effect.logInfo("database migrations applied")))

import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect, Layer } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { splitStatements } from "./SqlScript.ts"

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../migrations", import.meta.url))

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

/** Runs the pending migrations (PostgreSQL: the migrations table is locked, so concurrent runs take turns). */
const runMigrations = Migrator.make({})

/** Applies pending migrations once the SqlClient is up; several instances starting together take turns. */
export const MigrationsLive = Layer.effectDiscard(runMigrations({ loader: sqlFileLoader(MIGRATIONS_DIR) })).pipe(
  Layer.tap(() => Effect.logInfo("database migrations applied"))
)

import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { NodeContext } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import type { Loader } from "@effect/sql/Migrator"
import { PgMigrator } from "@effect/sql-pg"
import { Effect, Layer } from "effect"

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../migrations", import.meta.url))

/** Loads `migrations/NNNN_name.sql` files, in order. The @effect/sql loaders only take JS modules. */
export const sqlFileLoader = (dir: string): Loader =>
  Effect.sync(() =>
    readdirSync(dir)
      .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
      .map((file) => {
        const [, id, name] = /^(\d+)_([\w-]+)\.sql$/.exec(file) as RegExpExecArray
        const text = readFileSync(`${dir}/${file}`, "utf8")
        const run = Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(text))
        return [Number(id), name as string, Effect.succeed(run)] as const
      })
      .sort((a, b) => a[0] - b[0])
  )

/** Applies pending migrations once the SqlClient is up; several instances starting together take turns. */
export const MigrationsLive = PgMigrator.layer({ loader: sqlFileLoader(MIGRATIONS_DIR) }).pipe(
  Layer.provide(NodeContext.layer),
  Layer.tap(() => Effect.logInfo("database migrations applied"))
)

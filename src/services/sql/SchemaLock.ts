import { Effect } from "effect"
import { SqlClient, type SqlError } from "effect/sql"

/** The key of the schema lock: "goticket" in ASCII, read as a bigint (0x676f7469636b6574). */
export const SCHEMA_LOCK_KEY = "7453303904309831028"

/**
 * Runs schema work (our migrations, the workflow engine's tables) in one transaction that first takes a PostgreSQL
 * advisory lock, so that processes starting together on one database (API processes, workers, `npm run migrate`)
 * take turns: the first creates the tables, the others then find them there. Without it they raced to create the
 * same tables (`CREATE TABLE` of a migrations history table, which two sessions can both find missing: one of them
 * fails with `duplicate key value violates unique constraint "pg_type_typname_nsp_index"`).
 *
 * The lock is transaction-scoped (`pg_advisory_xact_lock`): the commit or rollback releases it, and so does a
 * process that dies holding it (its connection closes). It needs no connection besides the transaction's own, so
 * it works with a pool of one (DATABASE_POOL_MAX=1) and on the embedded PGlite (one connection, one process: the
 * lock is then never contended). Everything `effect` runs goes through the transaction's connection; it must not
 * fork work that outlives it.
 */
export const withSchemaLock = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | SqlError.SqlError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(
      Effect.andThen(sql.unsafe(`SELECT true AS locked FROM pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`), effect)
    )
  )

import { readdirSync } from "node:fs"
import { ConfigProvider, Effect, Exit, Layer, References } from "effect"
import pg from "pg"
import { afterAll, expect, it } from "vitest"
import { DatabaseLive } from "../../src/services/sql/Database.ts"
import { MIGRATIONS_DIR } from "../../src/services/sql/Migrations.ts"
import { WorkflowEngineSql } from "../../src/services/workflow/WorkflowEngineLive.ts"
import { freePort, Processes, sleep } from "../support/Processes.ts"
import { databaseTarget, serverUrl } from "../support/TestDatabase.ts"

/*
 * Several processes starting at once on a fresh database (a deployment bringing up its API processes and workers
 * together): each applies our migrations (the workflow engine's tables among them) and starts the engine. They used to
 * race to create the same tables (a migrations history table both found missing: `duplicate key value violates
 * unique constraint "pg_type_typname_nsp_index"`); now they take turns under one advisory lock (SchemaLock.ts).
 *
 * A lost race does not always end the process: effect's migrator tries a failed CREATE TABLE of its history table
 * once more as "is it there now?". So besides every start succeeding, the server itself must have seen no statement
 * of the start-up fail: pg_stat_database.xact_rollback of the fresh database stays 0 (nothing else rolls back while
 * the service starts). A backend reports its counts when it is idle (within about a second) or when it exits; the
 * counts are read before anything is stopped, since a stop may interrupt (roll back) a poll of the engine.
 */

const target = await Effect.runPromise(databaseTarget)
const procs = new Processes()
const created: Array<string> = []

const onServer = async <A>(use: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: serverUrl(), connectionTimeoutMillis: 3_000 })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

const freshDatabase = async (label: string) => {
  const name = `goticket_start_${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`
  await onServer((c) => c.query(`CREATE DATABASE ${name}`))
  created.push(name)
  const url = new URL(serverUrl())
  url.pathname = `/${name}`
  return { name, url: url.toString() }
}

const dropDatabase = (name: string) =>
  onServer((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined)

/** What the server counted for the database: transactions that failed or rolled back, and the schema's state. */
const startupState = (database: { readonly name: string; readonly url: string }) =>
  onServer(async (c) => {
    const stats = await c.query(`SELECT xact_rollback::int AS n FROM pg_stat_database WHERE datname = $1`, [
      database.name
    ])
    const db = new pg.Client({ connectionString: database.url })
    await db.connect()
    try {
      const schema = await db.query(`SELECT (SELECT max(migration_id) FROM effect_sql_migrations)::int AS migration,
        to_regclass('workflow_executions') IS NOT NULL AS executions, to_regclass('workflow_journal') IS NOT NULL AS journal`)
      return { failedTransactions: Number(stats.rows[0]?.n), ...schema.rows[0] }
    } finally {
      await db.end()
    }
  })

const latestMigration = Math.max(
  ...readdirSync(MIGRATIONS_DIR).flatMap((file) =>
    /^(\d+)_[\w-]+\.sql$/.exec(file) ? [Number.parseInt(file, 10)] : []
  )
)

afterAll(async () => {
  await procs.killAll()
  for (const name of created) await dropDatabase(name)
}, 60_000)

const ROUNDS = 6
const INSTANCES = 5

it.skipIf(target !== "server")(
  `${INSTANCES} service instances (each its own pool) start at once on a fresh database, ${ROUNDS} times: all start, no statement fails`,
  async () => {
    const rounds: Array<unknown> = []
    for (let round = 0; round < ROUNDS; round++) {
      const database = await freshDatabase(`layers${round}`)
      // What src/main.ts and src/worker.ts build first: the database (migrations) and the workflow engine.
      const instance = (i: number) =>
        WorkflowEngineSql.pipe(
          Layer.provideMerge(DatabaseLive),
          Layer.provide(
            ConfigProvider.layer(
              ConfigProvider.fromEnv({
                env: { DATABASE_URL: database.url, DATABASE_POOL_MAX: "4", WORKFLOW_RUNNER_PORT: String(40_000 + i) }
              })
            )
          ),
          Layer.provide(Layer.succeed(References.MinimumLogLevel, "None"))
        )
      const outcome = await Effect.runPromise(
        Effect.scoped(
          Effect.gen(function* () {
            const exits = yield* Effect.forEach(
              Array.from({ length: INSTANCES }, (_, i) => i),
              // A few milliseconds apart, as processes are: the races fall at different points of the start-up.
              (i) =>
                Effect.exit(
                  Effect.sleep(Math.floor(Math.random() * 30)).pipe(Effect.andThen(Layer.build(instance(i))))
                ),
              { concurrency: "unbounded" }
            )
            // Every instance is up and idle: its backends report their counts within a second.
            yield* Effect.sleep("1200 millis")
            const state = yield* Effect.promise(() => startupState(database))
            return {
              failedStarts: exits.filter(Exit.isFailure).map((exit) => String(exit.cause).slice(0, 400)),
              ...state
            }
          })
        )
      )
      await dropDatabase(database.name)
      rounds.push(outcome)
    }
    expect(rounds).toEqual(
      rounds.map(() => ({
        failedStarts: [],
        failedTransactions: 0,
        migration: latestMigration,
        executions: true,
        journal: true
      }))
    )
  },
  60_000
)

it.skipIf(target !== "server")(
  "two API processes and a worker started at once on a fresh database all come up, and no statement fails",
  async () => {
    const database = await freshDatabase("procs")
    const env = {
      DATABASE_URL: database.url,
      JWT_SECRET: "concurrent-start-secret-concurrent-start-secret-0123",
      SEED_DEMO: "false",
      RATE_LIMITS: "off",
      HOST: "127.0.0.1",
      LOG_LEVEL: "Info",
      // The worker requires a provider; nothing is paid here, so nothing listens there.
      PAYMENT_PROVIDER_URL: "http://127.0.0.1:9",
      PAYMENT_API_KEY: "sk_test_unused",
      PAYMENT_WEBHOOK_SECRET: "whsec_unused"
    }
    const [port1, port2] = [await freePort(), await freePort()]
    const api1 = procs.spawn("api-1", "src/main.ts", { ...env, ROLE: "api", PORT: String(port1) })
    // Another runner name than api-1's (same host, same default port).
    const api2 = procs.spawn("api-2", "src/main.ts", {
      ...env,
      ROLE: "api",
      PORT: String(port2),
      WORKFLOW_RUNNER_PORT: "34500"
    })
    const worker = procs.spawn("worker", "src/worker.ts", env)
    try {
      await Promise.all([
        procs.waitReady(api1, `http://127.0.0.1:${port1}/health/ready`, 40_000),
        procs.waitReady(api2, `http://127.0.0.1:${port2}/health/ready`, 40_000),
        procs.waitForOutput("worker", /database (migrations applied|schema up to date)/, 0, 40_000)
      ])
      await sleep(1_500)
      expect(worker.hasExited()).toBe(false)
      expect(await startupState(database)).toEqual({
        failedTransactions: 0,
        migration: latestMigration,
        executions: true,
        journal: true
      })
    } catch (error) {
      console.error(procs.logs(80))
      throw error
    } finally {
      await procs.killAll()
    }
  },
  60_000
)

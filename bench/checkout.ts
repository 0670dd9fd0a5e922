/**
 * Checkout benchmark: `npm run bench:checkout` (needs PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432).
 *
 * Starts the sandbox PSP as its own process (src/payment-sandbox.ts) and the service as one process
 * (src/main.ts, PAYMENT_PROVIDER_URL at the sandbox, the sandbox's webhooks at the service) on fresh databases,
 * then, through the REST API only:
 *
 *   load   N customers (200), registered before the clock starts, all at once hold 1–2 GA tickets, check out,
 *          pay with the success card on the provider's confirm URL and poll GET /v1/orders/{id} every 50 ms until
 *          `confirmed`. Reports completed orders/s (first checkout request → last observed confirmation), the
 *          latency from the checkout request to the observed confirmation, the checkout request itself, failures
 *          by kind, then checks the money and the inventory once every order has settled.
 *   first  The first checkout after start-up: the service is restarted (on a database that already holds the
 *          accounts and the event) with WORKFLOW_POLL_INTERVAL_MS unset (the service's default, 200), 1000, 50 and
 *          10000 (the cluster's own default); right after /health/ready one customer holds, checks out, pays
 *          and polls every 10 ms. Then a few warm checkouts one after the other, and the service's idle CPU over a
 *          few seconds (what the engine's polling costs). With --workers 2 a message can land on the worker that
 *          does not own the saga's shard, and waits for the owner's next poll: there the interval shows.
 *
 * At the end: the sandbox's balance (captured − refunded) = the valid tickets of every order of the run,
 * captures = confirmed orders, intents = accepted checkouts, and per ticket type: sold = valid tickets.
 * Writes bench/results/checkout.json, prints a summary; exits non-zero when a check fails.
 *
 * Options (argument or environment): --customers / BENCH_CUSTOMERS (200), --mode / BENCH_MODE (all | load | first),
 * --poll-ms / BENCH_POLL_MS (250, a client polling its order 4 times a second), --intervals / BENCH_FIRST_INTERVALS ("default,1000,50,10000"),
 * --repeats / BENCH_FIRST_REPEATS (2), --warm / BENCH_WARM_CHECKOUTS (5), --order-timeout-s / BENCH_ORDER_TIMEOUT_S
 * (120), --seed / BENCH_SEED, --workers / BENCH_WORKERS (1; more needs Redis at REDIS_URL or 127.0.0.1:6379),
 * --keep-db / BENCH_KEEP_DB=1; BENCH_ENGINE_POLL_MS: the service's WORKFLOW_POLL_INTERVAL_MS in the load part; BENCH_SERVICE_NODE_ARGS: extra node arguments for the service (e.g. --cpu-prof).
 */
import { mkdirSync } from "node:fs"
import { cpus } from "node:os"
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import pg from "pg"
import {
  adminUrl,
  bump,
  type Check,
  codeOf,
  commandLine,
  databaseUrl,
  defined,
  diff,
  fmt,
  http,
  integer,
  login,
  logSummary,
  must,
  newPurchase,
  type Proc,
  type Purchase,
  pool,
  providerKey,
  purchase,
  register,
  serviceEnv,
  sortedOf,
  startNode,
  startSandbox,
  summary,
  tmpDir,
  waitReady,
  writeResults
} from "./harness.ts"
import { percentile, runLoad, seededRandom } from "./load.ts"
import { cpuMs, freePort, memoryMb, stop, treeCpuMs } from "./system.ts"

// ---------------------------------------------------------------------------------------------- options

const args = commandLine([
  "customers",
  "mode",
  "poll-ms",
  "watch",
  "flash",
  "intervals",
  "repeats",
  "warm",
  "order-timeout-s",
  "seed",
  "workers"
])

const CUSTOMERS = args.integer("customers", "BENCH_CUSTOMERS", "200", 1, 100_000)
const MODE = args.text("mode", "BENCH_MODE", "all")
if (MODE !== "all" && MODE !== "load" && MODE !== "first") throw new Error("mode must be all, load or first")
const POLL_MS = args.integer("poll-ms", "BENCH_POLL_MS", "250", 1, 10_000)
/** How buyers follow their order: push (a long-poll answered when it settles) or poll (every POLL_MS). */
const WATCH = args.text("watch", "BENCH_WATCH", "push")
if (WATCH !== "push" && WATCH !== "poll") throw new Error("watch must be push or poll")
/** BENCH_ENGINE_POLL_MS: WORKFLOW_POLL_INTERVAL_MS of the service in the load part (unset: its default). */
const LOAD_ENGINE_POLL_MS = process.env.BENCH_ENGINE_POLL_MS ? Number(process.env.BENCH_ENGINE_POLL_MS) : null
/** "default": WORKFLOW_POLL_INTERVAL_MS unset, so the service's own default. */
const INTERVALS = args
  .text("intervals", "BENCH_FIRST_INTERVALS", "default,1000,50,10000")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s.length > 0)
  .map((s) => (s === "default" ? null : integer("intervals", s, 20, 60_000)))
const REPEATS = args.integer("repeats", "BENCH_FIRST_REPEATS", "2", 1, 20)
const WARM = args.integer("warm", "BENCH_WARM_CHECKOUTS", "5", 0, 100)
const ORDER_TIMEOUT_MS = args.integer("order-timeout-s", "BENCH_ORDER_TIMEOUT_S", "120", 1, 3600) * 1000
const SEED = args.integer("seed", "BENCH_SEED", "20261201", 0, 2 ** 31)
/** The service's WORKERS; more than one needs Redis (REDIS_URL, or redis://127.0.0.1:6379). */
const WORKERS = args.integer("workers", "BENCH_WORKERS", "1", 1, 64)
/**
 * --flash / BENCH_FLASH_ATTEMPTS: a flash sale's holds at the same time as the checkouts (a mixed run): that many
 * attempts of 1–4 units on another event's 10,000 GA units, 64 connections, as bench:flash-sale (0: none).
 */
const FLASH_ATTEMPTS = args.integer("flash", "BENCH_FLASH_ATTEMPTS", "0", 0, 1_000_000)
const FLASH_CAPACITY = 10_000
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
/** Extra node arguments for the service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (split on spaces). */
const SERVICE_NODE_ARGS = (process.env.BENCH_SERVICE_NODE_ARGS ?? "").split(" ").filter((a) => a.length > 0)
const KEEP_DB = args.keepDb
/** BENCH_PROFILE_DIR: where the service writes a CPU profile of the load phase (none unless set). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR || undefined

const FIRST_POLL_MS = 10 // finer than POLL_MS: the first-checkout numbers are a few hundred ms
const IDLE_WINDOW_MS = 4_000
const SETTLE_TIMEOUT_MS = 60_000
const PRICE_MINOR = 4_250
const CURRENCY = "EUR"
const MAX_PER_ORDER = 2
const DEFAULT_ENGINE_POLL_MS = 200 // OrdersConfig's default, for the report only

const stamp = Date.now()

// ---------------------------------------------------------------------------------------------- CPU (/proc)

/**
 * The CPU of the PostgreSQL backends connected to `database` (the service's pool), by pid. Other databases on the
 * same server (other work on this machine) and PostgreSQL's background processes are left out.
 */
const backendsCpu = async (admin: pg.Client, database: string) => {
  const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1", [database])
  return new Map(rows.map((r) => [r.pid, cpuMs(r.pid)]))
}
/** CPU used between two snapshots (a backend that appeared in between counts whole; one that ended is lost). */
const backendsCpuDelta = (before: Map<number, number>, after: Map<number, number>) => {
  let ms = 0
  for (const [pid, now] of after) if (Number.isFinite(now)) ms += now - (before.get(pid) ?? 0)
  return ms
}

// ---------------------------------------------------------------------------------------------- the sale

interface Sale {
  readonly eventId: string
  readonly ticketTypeId: string
  /** Customer i's access token. */
  readonly tokens: ReadonlyArray<string>
}

/** Through the REST API: an organizer, a published event with one GA ticket type, `customers` logged-in customers. */
const setUpSale = async (
  base: string,
  label: string,
  customers: number,
  capacity: number,
  maxPerOrder = MAX_PER_ORDER
): Promise<Sale> => {
  const organizerEmail = `organizer-${label}@bench.goticket.dev`
  await register(base, organizerEmail, "organizer")
  const organizer = await login(base, organizerEmail)
  const startsAt = new Date(Date.now() + 30 * 86_400_000).toISOString()
  const event = await must<{ id: string }>("POST", `${base}/v1/events`, {
    token: organizer,
    body: { title: `Checkout bench (${label})`, venue: { name: "Bench Hall", timezone: "Europe/Paris" }, startsAt }
  })
  const type = await must<{ id: string }>("POST", `${base}/v1/events/${event.id}/ticket-types`, {
    token: organizer,
    body: {
      name: "General admission",
      priceMinor: PRICE_MINOR,
      currency: CURRENCY,
      capacity,
      maxPerOrder
    }
  })
  await must("POST", `${base}/v1/events/${event.id}/publish`, { token: organizer })
  const tokens = await pool(
    Array.from({ length: customers }, (_, i) => `customer-${label}-${i}@bench.goticket.dev`),
    8,
    async (email) => {
      await register(base, email, "customer")
      return login(base, email)
    }
  )
  return { eventId: event.id, ticketTypeId: type.id, tokens }
}

// ---------------------------------------------------------------------------------------------- one order

/** performance.now() stamps (ms); `failure` null when the order was confirmed. */
interface OrderRecord extends Purchase {
  readonly customer: number
  readonly quantity: number
  confirmedSeen: number | null
  polls: number
  /** How long each poll took to answer. */
  readonly pollMs: Array<number>
  /** Polls answered other than 200, by status and code. */
  readonly pollErrors: Record<string, number>
  finalStatus: string | null
}

const newRecord = (customer: number, quantity: number): OrderRecord => ({
  ...newPurchase(),
  customer,
  quantity,
  confirmedSeen: null,
  polls: 0,
  pollMs: [],
  pollErrors: {},
  finalStatus: null
})

/**
 * Hold → checkout → pay with the success card → follow the order until it is no longer pending: with the push
 * (WATCH=push, the default: `GET /v1/orders/{id}?waitFor=settled`, a long-poll answered when the order settles), or
 * by polling `GET /v1/orders/{id}` every `pollMs` (WATCH=poll).
 */
const placeOrder = async (base: string, sale: Sale, rec: OrderRecord, pollMs: number): Promise<OrderRecord> => {
  const token = sale.tokens[rec.customer] as string
  const item = { eventId: sale.eventId, ticketTypeId: sale.ticketTypeId, quantity: rec.quantity }
  await purchase(base, token, item, rec, () => performance.now())
  // A payment that failed is still followed below: the order must end cancelled (nothing charged).
  if (rec.payEnd === null || rec.checkoutStart === null) return rec

  const deadline = rec.checkoutStart + ORDER_TIMEOUT_MS
  const url =
    WATCH === "push"
      ? `${base}/v1/orders/${rec.orderId}?waitFor=settled&timeoutMs=${Math.min(25_000, ORDER_TIMEOUT_MS)}`
      : `${base}/v1/orders/${rec.orderId}`
  for (;;) {
    const polled = performance.now()
    const answer = await http("GET", url, { token, timeoutMs: 60_000 })
    rec.pollMs.push(performance.now() - polled)
    rec.polls++
    if (answer.status === 200) {
      const order = answer.body as { status: string; cancelReason: string | null }
      rec.finalStatus = order.status
      if (order.status === "confirmed") {
        if (rec.failure === null) rec.confirmedSeen = performance.now()
        else rec.failure += " (yet confirmed)"
        return rec
      }
      if (order.status !== "pending_payment") {
        rec.failure ??= `order ${order.status}: ${order.cancelReason ?? "?"}`
        return rec
      }
    } else bump(rec.pollErrors, `${answer.status} ${codeOf(answer)}`)
    if (performance.now() >= deadline) {
      rec.failure ??= `still ${rec.finalStatus ?? "unknown"} after ${ORDER_TIMEOUT_MS / 1000} s`
      return rec
    }
    if (WATCH === "poll" || answer.status !== 200) await sleep(pollMs)
  }
}

// ---------------------------------------------------------------------------------------------- statistics

const stats = (values: ReadonlyArray<number>) => summary(values, { p99: true })
type Stats = ReturnType<typeof stats>

/** Per-order latencies: checkout request → observed confirmation, and its parts. */
const latencies = (records: ReadonlyArray<OrderRecord>) => ({
  checkoutToConfirmedMs: stats(defined(records.map((r) => diff(r.confirmedSeen, r.checkoutStart)))),
  checkoutRequestMs: stats(defined(records.map((r) => diff(r.checkoutEnd, r.checkoutStart)))),
  payRequestMs: stats(defined(records.map((r) => diff(r.payEnd, r.checkoutEnd)))),
  paidToConfirmedMs: stats(defined(records.map((r) => diff(r.confirmedSeen, r.payEnd)))),
  holdRequestMs: stats(defined(records.map((r) => diff(r.checkoutStart, r.holdStart))))
})

// ---------------------------------------------------------------------------------------------- checks

interface OrderView {
  readonly id: string
  readonly status: string
  readonly createdAt: string
  readonly confirmedAt: string | null
  readonly tickets: ReadonlyArray<{ ticketTypeId: string; priceMinor: number; status: string }>
}

/** Every order of the phase from GET /v1/orders/{id} (as its customer), once no order is pending any more. */
const fetchViews = (base: string, sale: Sale, records: ReadonlyArray<OrderRecord>) =>
  pool(
    records.filter((r) => r.orderId !== null),
    16,
    async (r) => must<OrderView>("GET", `${base}/v1/orders/${r.orderId}`, { token: sale.tokens[r.customer] as string })
  )

/** Transactions committed or rolled back in the database so far (PostgreSQL's statistics, up to 1 s late). */
const transactions = async (db: pg.Client) =>
  Number(
    (
      await db.query<{ n: string }>(
        "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()"
      )
    ).rows[0]?.n ?? Number.NaN
  )

/**
 * The statements of this database by pg_stat_statements, when the server preloads it (shared_preload_libraries):
 * the extension is created in the bench database only and its counters reset for that database alone.
 * None (undefined) on a server without it.
 */
const statementStats = {
  start: async (db: pg.Client) => {
    try {
      await db.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
      await db.query(
        "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)"
      )
      return true
    } catch {
      return false
    }
  },
  read: async (db: pg.Client, enabled: boolean) => {
    if (!enabled) return undefined
    const { rows } = await db.query<{ query: string; calls: string; ms: number; rows: string; toplevel: boolean }>(
      `SELECT query, calls, total_exec_time AS ms, rows, toplevel FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT ILIKE '%pg_stat_statements%' ORDER BY calls DESC`
    )
    return rows.map((r) => ({
      query: r.query.replace(/\s+/g, " ").slice(0, 160),
      calls: Number(r.calls),
      ms: r.ms,
      rows: Number(r.rows),
      toplevel: r.toplevel
    }))
  }
}

/** Waits until the database has no order pending payment (or SETTLE_TIMEOUT_MS); returns the ids still pending. */
const settle = async (db: pg.Client) => {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS
  for (;;) {
    const pending = (await db.query<{ id: string }>("SELECT id FROM orders WHERE status = 'pending_payment'")).rows
    if (pending.length === 0 || Date.now() >= deadline) return pending.map((r) => r.id)
    await sleep(250)
  }
}

/** The database against the views: sold = valid tickets per ticket type, no units left held by orders. */
const inventoryChecks = async (
  db: pg.Client,
  phase: string,
  views: ReadonlyArray<OrderView>,
  stuck: ReadonlyArray<string>
): Promise<Array<Check>> => {
  const types = (
    await db.query<{ id: string; sold: number; held: number; capacity: number }>(
      "SELECT id, sold, held, capacity FROM ticket_types"
    )
  ).rows
  const checks: Array<Check> = [
    {
      check: `${phase}: no order stuck pending_payment`,
      ok: stuck.length === 0,
      detail: `${stuck.length} pending after waiting up to ${SETTLE_TIMEOUT_MS / 1000} s for them to settle${stuck.length ? `: ${stuck.slice(0, 5).join(", ")}` : ""}`
    }
  ]
  for (const t of types) {
    const valid = views.flatMap((v) => v.tickets).filter((k) => k.ticketTypeId === t.id && k.status === "valid").length
    checks.push({
      check: `${phase}: ticket type sold = valid tickets`,
      ok: t.sold === valid,
      detail: `sold ${t.sold}, valid tickets in the orders ${valid} (held ${t.held}, capacity ${t.capacity})`
    })
  }
  const [tickets] = (
    await db.query<{ valid: number }>("SELECT count(*) FILTER (WHERE status = 'valid')::int AS valid FROM tickets")
  ).rows
  const validViews = views.flatMap((v) => v.tickets).filter((k) => k.status === "valid").length
  checks.push({
    check: `${phase}: valid tickets in the database = in the orders`,
    ok: tickets?.valid === validViews,
    detail: `database ${tickets?.valid}, GET /v1/orders ${validViews}`
  })
  return checks
}

interface Balance {
  readonly capturedMinor: number
  readonly refundedMinor: number
  readonly intents: number
  readonly captures: number
  readonly refunds: number
}

// ---------------------------------------------------------------------------------------------- phases

interface Env {
  readonly admin: pg.Client
  readonly sandboxUrl: string
  readonly servicePort: number
  readonly base: string
  readonly databases: Array<string>
  readonly procs: Array<Proc>
}

const createDatabase = async (env: Env, suffix: string) => {
  const name = `goticket_bench_checkout_${stamp}_${suffix}`
  await env.admin.query(`CREATE DATABASE ${name}`)
  env.databases.push(name)
  const db = new pg.Client({ connectionString: databaseUrl(name) })
  await db.connect()
  return { name, db }
}

let serviceStarts = 0
const startService = async (env: Env, database: string, enginePollMs: number | null) => {
  const proc = startNode(
    `service-${++serviceStarts}`,
    "src/main.ts",
    {
      ...serviceEnv(env.servicePort, env.sandboxUrl),
      DATABASE_URL: databaseUrl(database),
      ...(enginePollMs === null ? {} : { WORKFLOW_POLL_INTERVAL_MS: String(enginePollMs) }),
      ...(WORKERS > 1 ? { WORKERS: String(WORKERS), REDIS_URL } : {}),
      ...(PROFILE_DIR === undefined ? {} : { CPU_PROFILE_DIR: PROFILE_DIR }),
      // The flash sale's 64 buyers hold far more than any customer limit would let them.
      ...(FLASH_ATTEMPTS > 0 ? { CUSTOMER_TICKET_LIMIT: "1000000", HOLD_TTL_SECONDS: "3600" } : {})
    },
    { logPrefix: "checkout-", nodeArgs: SERVICE_NODE_ARGS }
  )
  env.procs.push(proc)
  const readyMs = await waitReady(proc, `${env.base}/health/ready`)
  return { proc, readyMs }
}

/** The load phase: N customers at once; returns its report and its order views (for the balance check). */
const runLoadPhase = async (env: Env) => {
  const { name, db } = await createDatabase(env, "load")
  try {
    const { proc, readyMs } = await startService(env, name, LOAD_ENGINE_POLL_MS)
    console.log(`load: service ready in ${fmt(readyMs / 1000, 1)} s (pid ${proc.pid}, default poll interval)`)
    let t = performance.now()
    const sale = await setUpSale(env.base, "load", CUSTOMERS + 1, 2 * CUSTOMERS + 10)
    const flashSale = FLASH_ATTEMPTS > 0 ? await setUpSale(env.base, "flash", 64, FLASH_CAPACITY, 4) : undefined
    const setUpS = (performance.now() - t) / 1000
    console.log(
      `load: organizer, event and ${CUSTOMERS + 1} customers` +
        (flashSale === undefined ? "" : ", and a flash sale's event with 64 buyers") +
        ` in ${fmt(setUpS, 1)} s`
    )

    // One order before the clock starts: the first saga of a service pays its own start-up costs (see `first`).
    const warmUp = await placeOrder(env.base, sale, newRecord(CUSTOMERS, 1), POLL_MS)
    const warmUpMs = diff(warmUp.confirmedSeen, warmUp.checkoutStart)
    console.log(`load: warm-up order ${warmUp.failure ?? "confirmed"} in ${fmt(warmUpMs, 0)} ms (checkout → confirmed)`)

    const random = seededRandom(SEED)
    const records = Array.from({ length: CUSTOMERS }, (_, i) => newRecord(i, 1 + Math.floor(random() * MAX_PER_ORDER)))
    await sleep(1_100)
    const statementsOn = await statementStats.start(db)
    const xacts0 = await transactions(db)
    const cpu0 = {
      service: treeCpuMs(proc.pid),
      sandbox: cpuMs(env.procs[0]?.pid),
      sandboxWarnings: env.procs[0]?.logLevels.WARN ?? 0,
      pg: await backendsCpu(env.admin, name)
    }
    console.log(
      `load: ${CUSTOMERS} customers hold, check out, pay and ` +
        (WATCH === "push" ? "wait for their order (long-poll)…" : `poll every ${POLL_MS} ms…`)
    )
    // BENCH_PROFILE_DIR: a CPU profile of the service over the load alone (its ProfileOnSignal, SIGUSR2 on and off).
    if (PROFILE_DIR !== undefined) process.kill(proc.pid, "SIGUSR2")
    const t0 = performance.now()
    const progress = setInterval(() => {
      const done = records.filter((r) => r.confirmedSeen !== null).length
      const failed = records.filter((r) => r.failure !== null).length
      console.log(`  ${fmt((performance.now() - t0) / 1000, 0)} s: ${done} confirmed, ${failed} failed`)
    }, 10_000)
    const flashQuantities = Array.from({ length: FLASH_ATTEMPTS }, () => 1 + Math.floor(random() * 4))
    const [, flash] = await Promise.all([
      Promise.all(records.map((r) => placeOrder(env.base, sale, r, POLL_MS))),
      flashSale === undefined
        ? Promise.resolve(undefined)
        : runLoad({
            url: `${env.base}/v1/reservations`,
            tokens: flashSale.tokens,
            attempts: FLASH_ATTEMPTS,
            concurrency: 64,
            capacity: FLASH_CAPACITY,
            keyPrefix: `flash-${stamp}`,
            body: (i) =>
              JSON.stringify({
                eventId: flashSale.eventId,
                items: [{ ticketTypeId: flashSale.ticketTypeId, quantity: flashQuantities[i] }]
              })
          })
    ])
    clearInterval(progress)
    const t1 = performance.now()
    if (PROFILE_DIR !== undefined) process.kill(proc.pid, "SIGUSR2")
    await sleep(1_100) // PostgreSQL flushes its statistics at most every second
    const xacts = (await transactions(db)) - xacts0
    const statementRows = await statementStats.read(db, statementsOn)
    const cpu = {
      serviceMs: treeCpuMs(proc.pid) - cpu0.service,
      sandboxMs: cpuMs(env.procs[0]?.pid) - cpu0.sandbox,
      sandboxWarnings: (env.procs[0]?.logLevels.WARN ?? 0) - cpu0.sandboxWarnings,
      postgresMs: backendsCpuDelta(cpu0.pg, await backendsCpu(env.admin, name))
    }

    const confirmed = records.filter((r) => r.confirmedSeen !== null)
    const firstCheckout = Math.min(...defined(records.map((r) => r.checkoutStart)))
    const lastConfirmed = Math.max(...defined(confirmed.map((r) => r.confirmedSeen)))
    const wallMs = confirmed.length > 0 ? lastConfirmed - firstCheckout : Number.NaN
    const failures: Record<string, number> = {}
    for (const r of records) if (r.failure !== null) bump(failures, r.failure)
    const samples = records.filter((r) => r.failure !== null).slice(0, 5)

    t = performance.now()
    const stuck = await settle(db)
    const settleMs = performance.now() - t
    const all = [warmUp, ...records]
    const views = await fetchViews(env.base, sale, all)
    const serverSagaMs = stats(
      defined(
        views.map((v) =>
          v.confirmedAt === null ? null : new Date(v.confirmedAt).getTime() - new Date(v.createdAt).getTime()
        )
      )
    )
    const statuses: Record<string, number> = {}
    for (const v of views) bump(statuses, v.status)
    const checks = await inventoryChecks(db, "load", views, stuck)
    const clientConfirmed = all.filter((r) => r.confirmedSeen !== null).length
    const viewConfirmed = views.filter((v) => v.status === "confirmed").length
    checks.push({
      check: "load: confirmed seen by the customers = confirmed in GET /v1/orders",
      ok: clientConfirmed === viewConfirmed,
      detail: `customers saw ${clientConfirmed}, orders say ${viewConfirmed}`
    })
    // The engine's durable writes: messages and replies on effect/cluster (WORKFLOW_ENGINE=cluster); journal
    // entries and executions on the PostgreSQL engine.
    const [engineTables] = (
      await db.query<{ cluster: boolean }>("SELECT to_regclass('cluster_messages') IS NOT NULL AS cluster")
    ).rows
    const [database] = (
      await db.query<{ messages: number; replies: number }>(
        engineTables?.cluster === true
          ? `SELECT (SELECT count(*)::int FROM cluster_messages) AS messages,
                    (SELECT count(*)::int FROM cluster_replies) AS replies`
          : `SELECT (SELECT count(*)::int FROM workflow_journal) AS messages,
                    (SELECT count(*)::int FROM workflow_executions) AS replies`
      )
    ).rows
    // What one status read costs the service (an order already settled: answered at once), so that the CPU per
    // order can be told without the buyers' reads.
    const readTargets = confirmed.slice(0, 200)
    const readsCpu0 = treeCpuMs(proc.pid)
    const readCount = 2_000
    await pool(
      Array.from({ length: readCount }, (_, i) => readTargets[i % readTargets.length]),
      64,
      async (r) => {
        if (r !== undefined)
          await http("GET", `${env.base}/v1/orders/${r.orderId}`, { token: sale.tokens[r.customer] as string })
      }
    )
    const cpuPerStatusReadMs = readTargets.length === 0 ? Number.NaN : (treeCpuMs(proc.pid) - readsCpu0) / readCount
    const rss = memoryMb(proc.pid, "VmRSS")
    await stop(proc)

    const totalPolls = records.reduce((n, r) => n + r.polls, 0)
    const report = {
      database: name,
      serviceReadyMs: readyMs,
      setUpSeconds: setUpS,
      warmUpCheckoutToConfirmedMs: warmUpMs,
      customers: CUSTOMERS,
      ticketsRequested: records.reduce((n, r) => n + r.quantity, 0),
      watch: WATCH,
      pollMs: POLL_MS,
      /** The flash sale's holds during the checkouts (a mixed run), if any. */
      flash:
        flash === undefined
          ? null
          : {
              attempts: flash.attempts,
              requestsPerSecond: flash.requestsPerSecond,
              p50Ms: flash.p50Ms,
              p99Ms: flash.p99Ms,
              unitsGranted: flash.unitsGranted,
              sellOutSeconds: flash.sellOutMs === null ? null : flash.sellOutMs / 1000,
              statuses: flash.statuses
            },
      confirmed: confirmed.length,
      failed: CUSTOMERS - confirmed.length,
      failures,
      failureSamples: samples.map((r) => ({ customer: r.customer, orderId: r.orderId, failure: r.failure })),
      wallSeconds: wallMs / 1000,
      runSeconds: (t1 - t0) / 1000,
      completedOrdersPerSecond: confirmed.length / (wallMs / 1000),
      latency: latencies(records),
      serverCreatedToConfirmedMs: serverSagaMs,
      /** Everything a customer's order costs: hold, checkout, webhooks, the saga, the polls. */
      postgresTransactionsPerOrder: xacts / CUSTOMERS,
      /** pg_stat_statements, when the server has it: statements per order (status requests included), the top ones. */
      statements:
        statementRows === undefined
          ? null
          : {
              /** Sent by the service (round trips), and run inside SQL functions and triggers. */
              perOrder: statementRows.filter((r) => r.toplevel).reduce((n, r) => n + r.calls, 0) / CUSTOMERS,
              nestedPerOrder: statementRows.filter((r) => !r.toplevel).reduce((n, r) => n + r.calls, 0) / CUSTOMERS,
              top: statementRows
                .filter((r) => r.toplevel)
                .slice(0, 30)
                .map((r) => ({
                  perOrder: r.calls / CUSTOMERS,
                  msPerCall: r.ms / Math.max(1, r.calls),
                  query: r.query
                }))
            },
      /**
       * The sandbox's warnings during the run: a webhook delivery logs one once it failed 6 attempts (each may take
       * 5 s), i.e. the service did not acknowledge the payment in time and the saga waited for the retries.
       */
      sandboxWarnings: cpu.sandboxWarnings,
      /**
       * The saga engine's durable writes per order (every order of the database, warm-up included): journal entries
       * (activity exits, deferred completions) and executions.
       */
      engineJournalEntriesPerOrder: (database?.messages ?? Number.NaN) / all.length,
      engineExecutionsPerOrder: (database?.replies ?? Number.NaN) / all.length,
      pollRequestMs: stats(records.flatMap((r) => r.pollMs)),
      polls: {
        total: totalPolls,
        perOrder: totalPolls / CUSTOMERS,
        errors: records.reduce((n, r) => n + Object.values(r.pollErrors).reduce((a, b) => a + b, 0), 0),
        errorKinds: records.reduce<Record<string, number>>((all, r) => {
          for (const [k, v] of Object.entries(r.pollErrors)) bump(all, k, v)
          return all
        }, {})
      },
      orderStatuses: statuses,
      settleMs,
      stuckPending: stuck,
      cpu: {
        serviceMsPerOrder: cpu.serviceMs / CUSTOMERS,
        /** One status read (GET /v1/orders/{id} of a settled order), measured after the run. */
        serviceMsPerStatusRead: cpuPerStatusReadMs,
        /** The service's CPU per order less the buyers' status reads at that cost. */
        serviceMsPerOrderWithoutReads: (cpu.serviceMs - totalPolls * cpuPerStatusReadMs) / CUSTOMERS,
        sandboxMsPerOrder: cpu.sandboxMs / CUSTOMERS,
        postgresMsPerOrder: cpu.postgresMs / CUSTOMERS,
        serviceCores: cpu.serviceMs / (t1 - t0),
        postgresCores: cpu.postgresMs / (t1 - t0)
      },
      serviceRssMb: rss,
      serviceLog: logSummary(proc),
      checks
    }
    return { report, views }
  } finally {
    await db.end().catch(() => {})
  }
}

interface FirstRun {
  readonly enginePollMs: number | null
  readonly repeat: number
  readonly serviceReadyMs: number
  /** The very first order after /health/ready. */
  readonly first: {
    readonly holdRequestMs: number | null
    readonly checkoutRequestMs: number | null
    readonly payRequestMs: number | null
    readonly paidToConfirmedMs: number | null
    readonly checkoutToConfirmedMs: number | null
    readonly failure: string | null
  }
  /** The next WARM orders, one after the other. */
  readonly warm: ReturnType<typeof latencies>
  readonly warmFailures: number
  /** With nothing to do, over IDLE_WINDOW_MS: what the engine's polling costs. */
  readonly idle: { serviceCpuPercent: number; postgresCpuPercent: number }
  readonly serviceLog: ReturnType<typeof logSummary>
}

/** The first checkout after start-up, per engine poll interval (restarts on one database). */
const runFirstPhase = async (env: Env) => {
  const { name, db } = await createDatabase(env, "first")
  const perRun = 1 + WARM
  const runs: Array<FirstRun> = []
  const records: Array<OrderRecord> = []
  const views: Array<OrderView> = []
  const stuck: Array<string> = []
  try {
    const setUp = await startService(env, name, null)
    const sale = await setUpSale(
      env.base,
      "first",
      INTERVALS.length * REPEATS * perRun,
      2 * INTERVALS.length * REPEATS * perRun + 10
    )
    await stop(setUp.proc)
    console.log(`first: accounts and event set up; ${INTERVALS.length} poll intervals × ${REPEATS} restarts`)
    let customer = 0
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (const interval of INTERVALS) {
        const { proc, readyMs } = await startService(env, name, interval)
        // Right after /health/ready: the first order of this process.
        const first = await placeOrder(env.base, sale, newRecord(customer++, 1), FIRST_POLL_MS)
        const warm: Array<OrderRecord> = []
        for (let k = 0; k < WARM; k++)
          warm.push(await placeOrder(env.base, sale, newRecord(customer++, 1), FIRST_POLL_MS))
        records.push(first, ...warm)
        // Before this process stops: every order of the run settled, and its view.
        if ([first, ...warm].some((r) => r.failure !== null)) stuck.push(...(await settle(db)))
        views.push(...(await fetchViews(env.base, sale, [first, ...warm])))
        const cpu0 = { service: treeCpuMs(proc.pid), pg: await backendsCpu(env.admin, name) }
        const w0 = performance.now()
        await sleep(IDLE_WINDOW_MS)
        const window = performance.now() - w0
        const idle = {
          serviceCpuPercent: ((treeCpuMs(proc.pid) - cpu0.service) / window) * 100,
          postgresCpuPercent: (backendsCpuDelta(cpu0.pg, await backendsCpu(env.admin, name)) / window) * 100
        }
        await stop(proc)
        const run: FirstRun = {
          enginePollMs: interval,
          repeat,
          serviceReadyMs: readyMs,
          first: {
            holdRequestMs: diff(first.checkoutStart, first.holdStart),
            checkoutRequestMs: diff(first.checkoutEnd, first.checkoutStart),
            payRequestMs: diff(first.payEnd, first.checkoutEnd),
            paidToConfirmedMs: diff(first.confirmedSeen, first.payEnd),
            checkoutToConfirmedMs: diff(first.confirmedSeen, first.checkoutStart),
            failure: first.failure
          },
          warm: latencies(warm),
          warmFailures: warm.filter((r) => r.failure !== null).length,
          idle,
          serviceLog: logSummary(proc)
        }
        runs.push(run)
        console.log(
          `first: poll ${intervalLabel(interval)}, run ${repeat}: ready ${fmt(readyMs, 0)} ms; first checkout → confirmed ` +
            `${fmt(run.first.checkoutToConfirmedMs, 0)} ms (request ${fmt(run.first.checkoutRequestMs, 0)}, paid → confirmed ` +
            `${fmt(run.first.paidToConfirmedMs, 0)})${first.failure ? ` FAILED ${first.failure}` : ""}; warm p50 ` +
            `${fmt(run.warm.checkoutToConfirmedMs.p50, 0)} ms; idle CPU service ${fmt(idle.serviceCpuPercent, 1)} %, ` +
            `PostgreSQL ${fmt(idle.postgresCpuPercent, 1)} %`
        )
      }
    }
    const stillPending = (await db.query<{ id: string }>("SELECT id FROM orders WHERE status = 'pending_payment'")).rows
    const checks = await inventoryChecks(db, "first", views, [...new Set([...stuck, ...stillPending.map((r) => r.id)])])

    const byInterval = INTERVALS.map((interval) => {
      const mine = runs.filter((r) => r.enginePollMs === interval)
      return {
        enginePollMs: interval ?? DEFAULT_ENGINE_POLL_MS,
        configured: interval === null ? "default (unset)" : String(interval),
        firstCheckoutToConfirmedMs: mine.map((r) => r.first.checkoutToConfirmedMs),
        firstCheckoutRequestMs: mine.map((r) => r.first.checkoutRequestMs),
        firstPaidToConfirmedMs: mine.map((r) => r.first.paidToConfirmedMs),
        warmP50Ms: median(defined(mine.map((r) => r.warm.checkoutToConfirmedMs.p50))),
        warmPaidToConfirmedP50Ms: median(defined(mine.map((r) => r.warm.paidToConfirmedMs.p50))),
        idleServiceCpuPercent: median(mine.map((r) => r.idle.serviceCpuPercent)),
        idlePostgresCpuPercent: median(mine.map((r) => r.idle.postgresCpuPercent))
      }
    })
    return { report: { database: name, runs, byInterval, checks }, views }
  } finally {
    await db.end().catch(() => {})
  }
}

const median = (xs: ReadonlyArray<number>) => (xs.length === 0 ? null : percentile(sortedOf(xs), 0.5))
const intervalLabel = (interval: number | null) =>
  interval === null ? `default (${DEFAULT_ENGINE_POLL_MS} ms)` : `${interval} ms`

// ---------------------------------------------------------------------------------------------- report

const printStats = (label: string, s: Stats) =>
  console.log(
    `  ${label.padEnd(34)} p50 ${fmt(s.p50, 0).padStart(6)}  p95 ${fmt(s.p95, 0).padStart(6)}  p99 ${fmt(s.p99, 0).padStart(6)}  max ${fmt(s.max, 0).padStart(6)} ms  (n=${s.n})`
  )

// ---------------------------------------------------------------------------------------------- main

const main = async () => {
  mkdirSync(tmpDir, { recursive: true })
  const startedAt = new Date()
  const t0 = performance.now()
  const admin = new pg.Client({ connectionString: adminUrl.toString() })
  await admin.connect()
  const pgVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v
  const servicePort = await freePort()
  const sandboxPort = await freePort()
  const env: Env = {
    admin,
    sandboxUrl: `http://127.0.0.1:${sandboxPort}`,
    servicePort,
    base: `http://127.0.0.1:${servicePort}`,
    databases: [],
    procs: []
  }
  let load: Awaited<ReturnType<typeof runLoadPhase>> | undefined
  let first: Awaited<ReturnType<typeof runFirstPhase>> | undefined
  let balance: Balance | undefined
  let sandbox: Proc | undefined
  try {
    sandbox = startSandbox(sandboxPort, env.base, "checkout-")
    env.procs.push(sandbox)
    await waitReady(sandbox, `${env.sandboxUrl}/health`)
    console.log(
      `sandbox at ${env.sandboxUrl}; service at ${env.base}; mode ${MODE}, ${CUSTOMERS} customers, poll ${POLL_MS} ms, WORKERS=${WORKERS}`
    )
    if (MODE !== "first") load = await runLoadPhase(env)
    if (MODE !== "load") first = await runFirstPhase(env)
    balance = await must<Balance>("GET", `${env.sandboxUrl}/v1/balance`, { token: providerKey })
  } finally {
    for (const proc of env.procs.reverse()) await stop(proc)
    for (const name of env.databases)
      if (KEEP_DB) console.log(`kept database ${name}`)
      else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
    await admin.end().catch(() => {})
  }

  // The money: every order of the run went through this one sandbox.
  const views = [...(load?.views ?? []), ...(first?.views ?? [])]
  const validSum = views
    .flatMap((v) => v.tickets)
    .filter((k) => k.status === "valid")
    .reduce((n, k) => n + k.priceMinor, 0)
  const confirmedOrders = views.filter((v) => v.status === "confirmed").length
  const moneyChecks: Array<Check> = [
    {
      check: "sandbox captured − refunded = valid ticket prices of every order",
      ok: balance.capturedMinor - balance.refundedMinor === validSum,
      detail: `captured ${balance.capturedMinor} − refunded ${balance.refundedMinor} = ${balance.capturedMinor - balance.refundedMinor}; valid tickets ${validSum}`
    },
    {
      check: "sandbox captures = confirmed orders",
      ok: balance.captures === confirmedOrders,
      detail: `captures ${balance.captures}, confirmed orders ${confirmedOrders}`
    },
    {
      check: "sandbox intents = orders (one intent per checkout)",
      ok: balance.intents === views.length,
      detail: `intents ${balance.intents}, orders ${views.length}`
    }
  ]
  const checks = [...(load?.report.checks ?? []), ...(first?.report.checks ?? []), ...moneyChecks]
  const failed = checks.filter((c) => !c.ok)
  const totalSeconds = (performance.now() - t0) / 1000

  // Summary.
  console.log()
  if (load) {
    const r = load.report
    console.log(
      `LOAD: ${r.customers} customers, ${r.ticketsRequested} tickets; ${r.confirmed} confirmed, ${r.failed} failed; ` +
        `${fmt(r.completedOrdersPerSecond, 1)} completed orders/s over ${fmt(r.wallSeconds, 2)} s (first checkout → last confirmed)`
    )
    printStats("checkout request → confirmed seen", r.latency.checkoutToConfirmedMs)
    printStats("checkout request", r.latency.checkoutRequestMs)
    printStats("pay request (sandbox)", r.latency.payRequestMs)
    printStats("paid → confirmed seen", r.latency.paidToConfirmedMs)
    printStats("hold request", r.latency.holdRequestMs)
    printStats("server createdAt → confirmedAt", r.serverCreatedToConfirmedMs)
    printStats(
      r.watch === "push" ? "status request (long-poll)" : "poll request (GET /v1/orders/{id})",
      r.pollRequestMs
    )
    console.log(
      `  status requests ${fmt(r.polls.total)} (${fmt(r.polls.perOrder, 1)} per order, ${r.polls.errors} errors); CPU per order` +
        (r.flash === null ? ": " : " (the flash sale's holds included): ") +
        `service ${fmt(r.cpu.serviceMsPerOrder, 1)} ms (${fmt(r.cpu.serviceMsPerOrderWithoutReads, 1)} ms without the status ` +
        `requests at ${fmt(r.cpu.serviceMsPerStatusRead, 2)} ms each), PostgreSQL ${fmt(r.cpu.postgresMsPerOrder, 1)} ms, ` +
        `sandbox ${fmt(r.cpu.sandboxMsPerOrder, 1)} ms`
    )
    console.log(
      `  per order: ${fmt(r.postgresTransactionsPerOrder, 1)} PostgreSQL transactions (status requests included); saga ` +
        `engine: ${fmt(r.engineJournalEntriesPerOrder, 1)} journal entries, ${fmt(r.engineExecutionsPerOrder, 1)} executions; ` +
        `service CPU ${fmt(r.cpu.serviceCores * 100, 0)} % of a core`
    )
    if (r.statements !== null) {
      console.log(
        `  per order: ${fmt(r.statements.perOrder, 1)} SQL statements sent, ${fmt(r.statements.nestedPerOrder, 1)} more ` +
          "inside SQL functions (pg_stat_statements); the most frequent sent:"
      )
      for (const t of r.statements.top.slice(0, 20))
        console.log(`    ${fmt(t.perOrder, 2)} × ${fmt(t.msPerCall, 2)} ms  ${t.query}`)
    }
    console.log(
      `  sandbox warnings (a webhook that failed 6 attempts): ${r.sandboxWarnings}; poll errors: ${JSON.stringify(r.polls.errorKinds)}`
    )
    console.log(`  failures: ${Object.keys(r.failures).length === 0 ? "none" : JSON.stringify(r.failures)}`)
    if (r.flash !== null)
      console.log(
        `  meanwhile the flash sale: ${fmt(r.flash.attempts)} hold attempts, ${fmt(r.flash.requestsPerSecond)} req/s, ` +
          `p50 ${fmt(r.flash.p50Ms, 1)} p99 ${fmt(r.flash.p99Ms, 1)} ms, ${fmt(r.flash.unitsGranted)} units granted, sold out ` +
          `after ${fmt(r.flash.sellOutSeconds, 1)} s; answers ${JSON.stringify(r.flash.statuses)}`
      )
    console.log(`  service log: ${JSON.stringify(r.serviceLog.levels)}`)
  }
  if (first) {
    console.log()
    console.log("FIRST CHECKOUT AFTER START-UP (checkout request → confirmed seen, polled every 10 ms):")
    for (const b of first.report.byInterval)
      console.log(
        `  WORKFLOW_POLL_INTERVAL_MS ${b.configured.padEnd(15)} first ${b.firstCheckoutToConfirmedMs.map((n) => fmt(n, 0)).join(" / ")} ms ` +
          `(paid → confirmed ${b.firstPaidToConfirmedMs.map((n) => fmt(n, 0)).join(" / ")}); warm p50 ${fmt(b.warmP50Ms, 0)} ms ` +
          `(paid → confirmed ${fmt(b.warmPaidToConfirmedP50Ms, 0)}); idle CPU service ${fmt(b.idleServiceCpuPercent, 1)} %, ` +
          `PostgreSQL ${fmt(b.idlePostgresCpuPercent, 1)} %`
      )
  }
  console.log()
  console.log(`sandbox balance: ${JSON.stringify(balance)}; total run ${fmt(totalSeconds, 0)} s`)

  writeResults("checkout.json", {
    startedAt: startedAt.toISOString(),
    totalSeconds,
    machine: { cpus: cpus().length, node: process.version, postgres: pgVersion },
    config: {
      mode: MODE,
      customers: CUSTOMERS,
      pollMs: POLL_MS,
      firstPollMs: FIRST_POLL_MS,
      intervals: INTERVALS.map((i) => i ?? "default"),
      repeats: REPEATS,
      warmCheckouts: WARM,
      orderTimeoutSeconds: ORDER_TIMEOUT_MS / 1000,
      priceMinor: PRICE_MINOR,
      maxPerOrder: MAX_PER_ORDER,
      seed: SEED,
      workers: WORKERS,
      service: "DATABASE_POOL_MAX default, SCRYPT_LOG2_N=10, LOG_LEVEL=Warn; WORKERS > 1 adds REDIS_URL",
      sandbox: "own process, default SANDBOX_* except port, webhook URL and keys"
    },
    load: load?.report ?? null,
    firstCheckout: first?.report ?? null,
    sandboxBalance: balance,
    sandboxLog: sandbox ? logSummary(sandbox) : null,
    checks,
    ok: failed.length === 0
  })
  console.log()
  if (failed.length > 0) {
    console.error(`FAILED: ${failed.length} of ${checks.length} checks`)
    for (const f of failed) console.error(`  ✗ ${f.check} — ${f.detail}`)
    process.exitCode = 1
  } else console.log(`all ${checks.length} checks passed; wrote bench/results/checkout.json`)
}

await main().catch((error: unknown) => {
  console.error("bench:checkout failed:", error)
  process.exitCode = 1
})

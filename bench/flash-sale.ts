/**
 * Flash-sale benchmark: `npm run bench:flash-sale`.
 *
 * One fresh PostgreSQL database; 100,000 hold attempts of 1–4 units on 10,000 units from 64 keep-alive
 * connections, against
 *   1. the service (GA ticket type),       2. the service (10,000-seat seated type, bestAvailable),
 *   3. the peer (bench/baseline/server.ts), 4. pgbench with the one-statement hold (the physical ceiling),
 *   and 1b. the service (GA) with a voucher code on every attempt (one shared 10 %-off code, as a promotion is
 *   shared in a sale: the voucher's row is a second hot row), against run 1,
 *   and 1c. the service (GA) again with two workers (WORKERS=2, one per core) on a fresh GA event,
 * runs 1 and 3 alternating, back to back, BENCH_PAIRS times (3), each on a fresh process (and a fresh event or fresh
 * tables), so that the drift of a shared machine weighs on both alike: the GA ratios are the medians of the pairs',
 * then checks the inventory in the database, prints a table and writes bench/results/flash-sale.json.
 * Exits non-zero when a check fails (oversell, a 5xx, units lost or doubled, a seat in two holds).
 *
 * Env: BENCH_ATTEMPTS (100000), BENCH_SEED, BENCH_RUN_DEADLINE_S (1800: stop sending after this long),
 * BENCH_KEEP_DB=1 (keep the database for inspection), BENCH_WORKERS (1: the service's WORKERS in runs 1, 1b and 2;
 * one process, as `npm start` runs it by default and as the peer runs),
 * BENCH_SERVICE_NODE_ARGS (extra node arguments for the service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"),
 * BENCH_SERVICE_ENV (more settings for the service, `NAME=value` separated by spaces),
 * BENCH_PEER_NODE_ARGS (extra node arguments for the peer), BENCH_PROGRESS_MS (15000: how often a run prints its
 * progress; 1000 for a timeline of answers per second),
 * BENCH_PAIRS (3: how many times the GA run and the peer's alternate; the other runs use the median GA run and peer),
 * BENCH_RUNS (which runs, comma-separated among ga,voucher,seated,ga2,baseline,pgbench; all by default: for iterating on one
 * path beside its peer, e.g. BENCH_RUNS=ga,baseline).
 */
import { spawn } from "node:child_process"
import { randomUUID } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import pg from "pg"
import {
  type Check,
  fmt,
  login,
  must,
  type Proc,
  customerTokens as peerTokens,
  register,
  root,
  serviceEnv,
  startNode,
  startPeer,
  startSandbox,
  tmpDir,
  waitReady,
  writeResults
} from "./harness.ts"
import { type LoadResult, median, percentile, runLoad, seededRandom } from "./load.ts"
import { clockTicks, freePort, memoryMb, memoryMbPerProcess, processTree, statOf, stop, treeCpuMs } from "./system.ts"

const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 100_000)
const SEED = Number(process.env.BENCH_SEED ?? 20_261_125)
const KEEP_DB = process.env.BENCH_KEEP_DB === "1"
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1)
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3)
if (!Number.isInteger(PAIRS) || PAIRS < 1) throw new Error(`BENCH_PAIRS must be a whole number ≥ 1, not ${PAIRS}`)
/** The second shape measured (run 1c): one worker per core of this machine. */
const WIDE_WORKERS = 2
const CONCURRENCY = 64
const CAPACITY = 10_000
const MAX_PER_ORDER = 4
const SEATING = { sections: 4, rows: 25, seatsPerRow: 100 } // 10,000 seats
const VOUCHER_PERCENT_OFF = 10
const POOL_MAX = 16 // database connections of the service and of the peer alike
const PG_HOST = "127.0.0.1"
const REDIS_URL = "redis://127.0.0.1:6379"
const RUN_DEADLINE_S = Number(process.env.BENCH_RUN_DEADLINE_S ?? 1800) // per load run: a safety net, not a target
const RUNS = new Set(
  (process.env.BENCH_RUNS ?? "ga,voucher,seated,ga2,baseline,pgbench").split(",").map((r) => r.trim())
)

const database = `goticket_bench_${Date.now()}`
const databaseUrl = `postgres://postgres@${PG_HOST}:5432/${database}`

// Every run sends the same quantities: attempt i asks for quantities[i] units.
const random = seededRandom(SEED)
const quantities = Array.from({ length: ATTEMPTS }, () => 1 + Math.floor(random() * MAX_PER_ORDER))

// ---------------------------------------------------------------------------------------------- load

/** What every HTTP run shares: attempts, connections, units, deadline, progress lines. */
const loadDefaults = (name: string) => ({
  attempts: ATTEMPTS,
  concurrency: CONCURRENCY,
  capacity: CAPACITY,
  deadlineMs: RUN_DEADLINE_S * 1000,
  progress: (line: string) => console.log(`  ${name} ${line}`)
})

// ---------------------------------------------------------------------------------------------- /proc

const ticksUs = (ticks: number) => (ticks * 1e6) / clockTicks
/** CPU time (µs) of the process and its live descendants (the service's workers when WORKERS > 1); NaN if none. */
const processCpuUs = (pid: number) => {
  const ms = treeCpuMs(pid)
  return ms === 0 ? Number.NaN : ms * 1000
}
/** All of PostgreSQL: the postmaster, its live children, and (through cutime/cstime) the children that ended. */
const postgresCpuUs = (postmaster: number | undefined) => {
  const own = postmaster === undefined ? undefined : statOf(postmaster)
  if (postmaster === undefined || own === undefined) return Number.NaN
  let ticks = (own[11] ?? 0) + (own[12] ?? 0) + (own[13] ?? 0) + (own[14] ?? 0)
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const f = statOf(Number(entry))
    if (f && f[1] === postmaster) ticks += (f[11] ?? 0) + (f[12] ?? 0)
  }
  return ticksUs(ticks)
}
/** Resets VmHWM so that the peak belongs to the measured run, not to set-up (Linux ≥ 4.0). */
const resetPeakRss = (pid: number) => {
  for (const p of processTree(pid))
    try {
      writeFileSync(`/proc/${p}/clear_refs`, "5")
    } catch {}
}

// ---------------------------------------------------------------------------------------------- results

interface Run {
  readonly name: string
  readonly attempts: number
  readonly holdsGranted: number
  readonly unitsGranted: number
  readonly capacity: number
  readonly heldPlusSold: number
  readonly oversold: number
  readonly unsold: number
  readonly sellOutSeconds: number | null
  readonly wallSeconds: number
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** HTTP status → p99 of its answers (the granted holds' tail against the refusals'). */
  readonly p99ByStatusMs: Record<string, number>
  /** Node process of the server (PostgreSQL itself for pgbench). */
  readonly serverCpuUsPerRequest: number | null
  readonly postgresCpuUsPerRequest: number | null
  readonly peakRssMb: number | null
  /** VmHWM of each process of the server (the cluster's primary first, then its workers), MB. */
  readonly peakRssPerProcessMb: ReadonlyArray<number>
  readonly statuses: Record<string, number>
  readonly codes: Record<string, number>
  readonly checks: ReadonlyArray<Check>
  readonly samples: ReadonlyArray<string>
}

const finite = (n: number) => (Number.isFinite(n) ? n : null)

/** Load through HTTP with the server's CPU, PostgreSQL's CPU and the server's peak RSS around it. */
const measureHttp = async (pid: number, postmaster: number | undefined, load: () => Promise<LoadResult>) => {
  resetPeakRss(pid)
  const cpu0 = processCpuUs(pid)
  const pg0 = postgresCpuUs(postmaster)
  const result = await load()
  const perRequest = (us: number) => finite(us / result.attempts)
  return {
    result,
    serverCpuUsPerRequest: perRequest(processCpuUs(pid) - cpu0),
    postgresCpuUsPerRequest: perRequest(postgresCpuUs(postmaster) - pg0),
    peakRssMb: finite(memoryMb(pid, "VmHWM")),
    peakRssPerProcessMb: memoryMbPerProcess(pid, "VmHWM")
  }
}

const httpChecks = (result: LoadResult): Array<Check> => {
  const count = (predicate: (status: number) => boolean) =>
    Object.entries(result.statuses).reduce((n, [status, k]) => (predicate(Number(status)) ? n + k : n), 0)
  const fivexx = count((s) => s >= 500)
  const noAnswer = count((s) => s === 0)
  const unsent = result.attempts - result.sent
  const other = count((s) => s !== 201 && s !== 409)
  return [
    { check: "no 5xx", ok: fivexx === 0, detail: `${fivexx} answers ≥ 500` },
    {
      check: "every attempt answered",
      ok: noAnswer === 0 && unsent === 0,
      detail: `${noAnswer} transport errors or timeouts, ${unsent} not sent before the ${RUN_DEADLINE_S} s deadline`
    },
    { check: "only 201 and 409", ok: other === 0, detail: `${other} other answers` }
  ]
}

const inventoryChecks = (unitsGranted: number, capacity: number, held: number, sold: number): Array<Check> => [
  { check: "oversold = 0", ok: held + sold <= capacity, detail: `held+sold ${held + sold}, capacity ${capacity}` },
  { check: "unsold = 0", ok: held + sold >= capacity, detail: `${capacity - held - sold} units left` },
  {
    check: "units granted = held + sold",
    ok: unitsGranted === held + sold,
    detail: `201 answers granted ${unitsGranted}, database counts ${held + sold}`
  }
]

const httpRun = (
  name: string,
  m: Awaited<ReturnType<typeof measureHttp>>,
  inventory: { capacity: number; held: number; sold: number },
  checks: ReadonlyArray<Check>
): Run => ({
  name,
  attempts: m.result.attempts,
  holdsGranted: m.result.granted.length,
  unitsGranted: m.result.unitsGranted,
  capacity: inventory.capacity,
  heldPlusSold: inventory.held + inventory.sold,
  oversold: Math.max(0, inventory.held + inventory.sold - inventory.capacity),
  unsold: inventory.capacity - inventory.held - inventory.sold,
  sellOutSeconds: m.result.sellOutMs === null ? null : m.result.sellOutMs / 1000,
  wallSeconds: m.result.wallMs / 1000,
  requestsPerSecond: m.result.requestsPerSecond,
  p50Ms: m.result.p50Ms,
  p99Ms: m.result.p99Ms,
  p99ByStatusMs: m.result.p99ByStatusMs,
  serverCpuUsPerRequest: m.serverCpuUsPerRequest,
  postgresCpuUsPerRequest: m.postgresCpuUsPerRequest,
  peakRssMb: m.peakRssMb,
  peakRssPerProcessMb: m.peakRssPerProcessMb,
  statuses: m.result.statuses,
  codes: m.result.codes,
  checks: [
    ...httpChecks(m.result),
    ...inventoryChecks(m.result.unitsGranted, inventory.capacity, inventory.held, inventory.sold),
    ...checks
  ],
  samples: m.result.samples
})

// ---------------------------------------------------------------------------------------------- the service

const customerEmail = (i: number) => `customer-${i}@bench.goticket.dev`
const customerEmails = () => Array.from({ length: CONCURRENCY }, (_, i) => customerEmail(i))

/**
 * Through the REST API: an organizer and 64 customers now; each published event just before its run (so that
 * the 10,000-seat map upload does not weigh on the GA run's memory).
 */
/** The organizer and the customers (registered unless `registered` gives their ids: a second service, same data). */
const setUpService = async (base: string, registered?: ReadonlyArray<string>) => {
  const organizerEmail = "organizer@bench.goticket.dev"
  if (registered === undefined) await register(base, organizerEmail, "organizer")
  const organizer = await login(base, organizerEmail)
  const customerIds: Array<string> = [...(registered ?? [])]
  for (let i = 0; registered === undefined && i < CONCURRENCY; i += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, CONCURRENCY - i) }, (_, k) => register(base, customerEmail(i + k), "customer"))
    )
    customerIds.push(...batch.map((u) => u.id))
  }

  // The organizer's calls may take long (the 10,000-seat map): undici's own 300 s rather than the 30 s default.
  const asOrganizer = <A>(path: string, body?: unknown) =>
    must<A>("POST", `${base}${path}`, { token: organizer, body, timeoutMs: 300_000 })
  const startsAt = new Date(Date.now() + 30 * 86_400_000).toISOString()
  const event = async (title: string, ticketType: string) => {
    const { id } = await asOrganizer<{ id: string }>("/v1/events", {
      title,
      venue: { name: "Bench Arena", timezone: "Europe/Paris" },
      startsAt
    })
    const type = await asOrganizer<{ id: string }>(`/v1/events/${id}/ticket-types`, {
      name: ticketType,
      priceMinor: 5_000,
      currency: "EUR",
      capacity: CAPACITY,
      maxPerOrder: MAX_PER_ORDER
    })
    return { eventId: id, ticketTypeId: type.id }
  }
  const publish = (eventId: string) => asOrganizer(`/v1/events/${eventId}/publish`)

  const gaEvent = async () => {
    const ga = await event("Flash sale (general admission)", "General admission")
    await publish(ga.eventId)
    return ga
  }

  const seatedEvent = async () => {
    const seated = await event("Flash sale (seated)", "Seated")
    const plan = {
      sections: Array.from({ length: SEATING.sections }, (_, s) => ({
        name: `Section ${String.fromCharCode(65 + s)}`,
        rows: Array.from({ length: SEATING.rows }, (_, r) => ({
          label: String(r + 1),
          seats: Array.from({ length: SEATING.seatsPerRow }, (_, n) => ({
            label: String(n + 1),
            ticketTypeId: seated.ticketTypeId
          }))
        }))
      }))
    }
    const seating = await asOrganizer<{ seats: number }>(`/v1/events/${seated.eventId}/seating`, plan)
    if (seating.seats !== CAPACITY) throw new Error(`the seat map has ${seating.seats} seats, not ${CAPACITY}`)
    await publish(seated.eventId)
    return seated
  }

  /** A GA event and its one shared voucher code (10 % off, more redemptions than any run can take). */
  const voucherEvent = async () => {
    const ga = await event("Flash sale (voucher)", "General admission")
    const code = "FLASHSALE-10"
    await asOrganizer(`/v1/events/${ga.eventId}/vouchers`, {
      kind: "percent",
      value: VOUCHER_PERCENT_OFF,
      code,
      maxRedemptions: 1_000_000
    })
    await publish(ga.eventId)
    return { ...ga, voucherCode: code }
  }

  return { customerIds, gaEvent, seatedEvent, voucherEvent }
}

/** Fresh tokens before each run (the service issues them for ACCESS_TOKEN_TTL_SECONDS, set to a day above). */
const customerTokens = (base: string) => Promise.all(customerEmails().map((email) => login(base, email)))

const runServiceGa = async (
  base: string,
  pid: number,
  postmaster: number | undefined,
  db: pg.Client,
  ga: { eventId: string; ticketTypeId: string; voucherCode?: string },
  workers = WORKERS,
  suffix = ""
): Promise<Run> => {
  const tokens = await customerTokens(base)
  const shape = workers === WORKERS ? "" : `, ${workers} workers`
  const name = `${ga.voucherCode === undefined ? `service (GA${shape})` : `service (GA, voucher${shape})`}${suffix}`
  const m = await measureHttp(pid, postmaster, () =>
    runLoad({
      url: `${base}/v1/reservations`,
      tokens,
      ...loadDefaults(name),
      // A key per run: a key of an earlier run with another body is refused (422), as it should be.
      keyPrefix: `${ga.voucherCode === undefined ? "ga" : "voucher"}${workers}${suffix.replace(" #", "-")}-${database}`,
      body: (i) =>
        JSON.stringify({
          eventId: ga.eventId,
          items: [{ ticketTypeId: ga.ticketTypeId, quantity: quantities[i] }],
          ...(ga.voucherCode === undefined ? {} : { voucherCode: ga.voucherCode })
        })
    })
  )
  const [inventory] = (
    await db.query<{ capacity: number; held: number; sold: number }>(
      "SELECT capacity, held, sold FROM ticket_types WHERE id = $1",
      [ga.ticketTypeId]
    )
  ).rows
  const [holds] = (
    await db.query<{ holds: number; units: number }>(
      `SELECT count(*)::int AS holds, coalesce(sum(i.quantity), 0)::int AS units
       FROM reservations r JOIN reservation_items i ON i.reservation_id = r.id
       WHERE i.ticket_type_id = $1 AND r.status = 'active'`,
      [ga.ticketTypeId]
    )
  ).rows
  if (!inventory || !holds) throw new Error("the GA ticket type is gone")
  return httpRun(name, m, inventory, [
    {
      check: "holds in database = 201 answers",
      ok: holds.holds === m.result.granted.length && holds.units === m.result.unitsGranted,
      detail: `database: ${holds.holds} holds / ${holds.units} units; answers: ${m.result.granted.length} / ${m.result.unitsGranted}`
    },
    ...(ga.voucherCode === undefined ? [] : await voucherChecks(db, ga.eventId, m.result.granted.length))
  ])
}

/** A voucher run: one redemption per hold granted, and every hold charged its discounted total. */
const voucherChecks = async (db: pg.Client, eventId: string, granted: number): Promise<ReadonlyArray<Check>> => {
  const [row] = (
    await db.query<{ redeemed: number; redemptions: number; charged: string; listed: string }>(
      `SELECT (SELECT sum(v.redeemed)::int FROM vouchers v WHERE v.event_id = $1) AS redeemed,
              (SELECT count(*)::int FROM voucher_redemptions d WHERE d.event_id = $1) AS redemptions,
              (SELECT coalesce(sum(r.total_minor), 0)::text FROM reservations r WHERE r.event_id = $1 AND r.status = 'active') AS charged,
              (SELECT coalesce(sum(i.quantity * i.unit_price_minor), 0)::text FROM reservations r
                 JOIN reservation_items i ON i.reservation_id = r.id WHERE r.event_id = $1 AND r.status = 'active') AS listed`,
      [eventId]
    )
  ).rows
  if (!row) throw new Error("the voucher event is gone")
  const expected = (BigInt(row.listed) * BigInt(100 - VOUCHER_PERCENT_OFF)) / 100n
  return [
    {
      check: "redemptions = 201 answers",
      ok: row.redeemed === granted && row.redemptions === granted,
      detail: `voucher counts ${row.redeemed}, redemption rows ${row.redemptions}, answers ${granted}`
    },
    {
      check: "every hold charged its discount",
      // Each hold's percentage is rounded on its own total: the sum may differ from 90 % of the whole by < 1 per hold.
      ok: BigInt(row.charged) <= BigInt(row.listed) && BigInt(row.charged) - expected <= BigInt(granted),
      detail: `charged ${row.charged} of ${row.listed} listed (${100 - VOUCHER_PERCENT_OFF} %: ${expected})`
    }
  ]
}

const runServiceSeated = async (
  base: string,
  pid: number,
  postmaster: number | undefined,
  db: pg.Client,
  seated: { eventId: string; ticketTypeId: string }
): Promise<Run> => {
  const tokens = await customerTokens(base)
  const m = await measureHttp(pid, postmaster, () =>
    runLoad({
      url: `${base}/v1/reservations`,
      tokens,
      ...loadDefaults("service seated"),
      keyPrefix: `seated-${database}`,
      body: (i) =>
        JSON.stringify({
          eventId: seated.eventId,
          bestAvailable: { ticketTypeId: seated.ticketTypeId, quantity: quantities[i], allowSeparated: true }
        })
    })
  )
  const one = async <R extends pg.QueryResultRow>(text: string): Promise<R> => {
    const [row] = (await db.query<R>(text, [seated.ticketTypeId])).rows
    if (!row) throw new Error(`no row: ${text}`)
    return row
  }
  const inventory = await one<{ capacity: number; held: number; sold: number }>(
    "SELECT capacity, held, sold FROM ticket_types WHERE id = $1"
  )
  const seats = await one<{ taken: number }>(
    "SELECT count(*)::int AS taken FROM seats WHERE ticket_type_id = $1 AND status <> 'available'"
  )
  const live = `FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id
                WHERE r.status = 'active' AND rs.ticket_type_id = $1`
  const holdSeats = await one<{ holds: number; seats: number; doubled: number }>(
    `SELECT count(DISTINCT rs.reservation_id)::int AS holds, count(*)::int AS seats,
            (count(*) - count(DISTINCT rs.seat_id))::int AS doubled ${live}`
  )
  const astray = await one<{ n: number }>(
    `SELECT count(*)::int AS n FROM seats s JOIN (SELECT rs.seat_id, rs.reservation_id ${live}) h ON h.seat_id = s.id
     WHERE s.held_by IS DISTINCT FROM h.reservation_id`
  )
  const answered = m.result.granted.flatMap((g) => g.seatIds)
  const answeredTwice = answered.length - new Set(answered).size
  return httpRun("service (seated)", m, inventory, [
    {
      check: "seats held = units granted",
      ok: seats.taken === m.result.unitsGranted && holdSeats.seats === m.result.unitsGranted,
      detail: `seats not available ${seats.taken}, seats in live holds ${holdSeats.seats}, units granted ${m.result.unitsGranted}`
    },
    {
      check: "holds in database = 201 answers",
      ok: holdSeats.holds === m.result.granted.length,
      detail: `database: ${holdSeats.holds} holds; answers: ${m.result.granted.length}`
    },
    {
      check: "no seat in two holds",
      ok: answeredTwice === 0 && holdSeats.doubled === 0 && astray.n === 0,
      detail: `in answers ${answeredTwice}, in database ${holdSeats.doubled}, seats whose held_by is another hold ${astray.n}`
    },
    {
      check: "answers name as many seats as tickets",
      ok: answered.length === m.result.unitsGranted,
      detail: `${answered.length} seats named, ${m.result.unitsGranted} tickets`
    }
  ])
}

// ---------------------------------------------------------------------------------------------- the peer

const runBaseline = async (
  db: pg.Client,
  postmaster: number | undefined,
  customerIds: ReadonlyArray<string>,
  name: string
): Promise<Run> => {
  const eventId = randomUUID()
  const ticketTypeId = randomUUID()
  // Fresh tables for every pair: each run sells its own 10,000 units.
  await db.query(`
    DROP TABLE IF EXISTS baseline_holds, baseline_ticket_types;
    CREATE TABLE baseline_ticket_types (
      id uuid PRIMARY KEY, capacity integer NOT NULL, held integer NOT NULL DEFAULT 0, sold integer NOT NULL DEFAULT 0,
      CHECK (held + sold <= capacity));
    CREATE TABLE baseline_holds (
      id bigserial PRIMARY KEY, ticket_type_id uuid NOT NULL, quantity integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp())`)
  await db.query("INSERT INTO baseline_ticket_types (id, capacity) VALUES ($1, $2)", [ticketTypeId, CAPACITY])

  const tokens = await peerTokens(customerIds)
  const { base, proc } = await startPeer("baseline", {
    databaseUrl,
    poolMax: POOL_MAX,
    redisPrefix: `${database}:`
  })
  try {
    await waitReady(proc, `${base}/health/ready`, { intervalMs: 200 })
    const m = await measureHttp(proc.pid, postmaster, () =>
      runLoad({
        url: `${base}/v1/reservations`,
        tokens,
        ...loadDefaults("baseline"),
        keyPrefix: `${name.replace(/\W+/g, "-")}-${database}`,
        body: (i) => JSON.stringify({ eventId, items: [{ ticketTypeId, quantity: quantities[i] }] })
      })
    )
    const [inventory] = (
      await db.query<{ capacity: number; held: number; sold: number }>(
        "SELECT capacity, held, sold FROM baseline_ticket_types"
      )
    ).rows
    const [holds] = (
      await db.query<{ holds: number; units: number }>(
        "SELECT count(*)::int AS holds, coalesce(sum(quantity), 0)::int AS units FROM baseline_holds"
      )
    ).rows
    if (!inventory || !holds) throw new Error("the baseline ticket type is gone")
    return httpRun(name, m, inventory, [
      {
        check: "holds in database = 201 answers",
        ok: holds.holds === m.result.granted.length && holds.units === m.result.unitsGranted,
        detail: `database: ${holds.holds} holds / ${holds.units} units; answers: ${m.result.granted.length} / ${m.result.unitsGranted}`
      }
    ])
  } finally {
    await stop(proc)
  }
}

// ---------------------------------------------------------------------------------------------- pgbench

const runPgbench = async (db: pg.Client, postmaster: number | undefined): Promise<Run> => {
  await db.query(`
    CREATE TABLE bench_ticket_types (
      id integer PRIMARY KEY, capacity integer NOT NULL, held integer NOT NULL DEFAULT 0, sold integer NOT NULL DEFAULT 0,
      CHECK (held + sold <= capacity));
    CREATE TABLE bench_holds (
      id bigserial PRIMARY KEY, ticket_type_id integer NOT NULL, quantity integer NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp())`)
  await db.query("INSERT INTO bench_ticket_types (id, capacity) VALUES (1, $1)", [CAPACITY])

  const perClient = Math.ceil(ATTEMPTS / CONCURRENCY)
  const logPrefix = join(tmpDir, "pgbench")
  for (const f of readdirSync(tmpDir)) if (f.startsWith("pgbench.")) rmSync(join(tmpDir, f))
  const args = [
    ...["-h", PG_HOST, "-U", "postgres", "-n", "-M", "prepared", "-c", String(CONCURRENCY), "-j", "2"],
    ...["-t", String(perClient), "-f", join(root, "bench/pgbench/hold.sql")],
    ...["--random-seed", String(SEED), "-l", "--log-prefix", logPrefix, database]
  ]
  console.log(`  pgbench ${args.join(" ")}`)
  const pg0 = postgresCpuUs(postmaster)
  const started = performance.now()
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const child = spawn("pgbench", args, { stdio: ["ignore", "pipe", "pipe"] })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString()
      })
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString()
      })
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    }
  )
  const wallSeconds = (performance.now() - started) / 1000
  const pgCpu = postgresCpuUs(postmaster) - pg0
  writeFileSync(join(tmpDir, "pgbench.out.log"), `${stdout}\n--- stderr ---\n${stderr}`)

  const processed = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? 0)
  const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0)
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? Number.NaN)
  // Per-transaction log lines: client_id transaction_no latency_us script_no epoch_s epoch_us
  const latencies = readdirSync(tmpDir)
    .filter((f) => f.startsWith("pgbench."))
    .flatMap((f) => readFileSync(join(tmpDir, f), "utf8").trim().split("\n"))
    .map((line) => Number(line.split(" ")[2]) / 1000)
  const sorted = Float64Array.from(latencies).sort()

  const [inventory] = (
    await db.query<{ capacity: number; held: number; sold: number }>(
      "SELECT capacity, held, sold FROM bench_ticket_types WHERE id = 1"
    )
  ).rows
  const [holds] = (
    await db.query<{ holds: number; units: number; span_ms: number | null }>(
      `SELECT count(*)::int AS holds, coalesce(sum(quantity), 0)::int AS units,
              (extract(epoch FROM max(created_at) - min(created_at)) * 1000)::float8 AS span_ms FROM bench_holds`
    )
  ).rows
  if (!inventory || !holds) throw new Error("the pgbench ticket type is gone")
  const soldOut = inventory.held + inventory.sold >= inventory.capacity
  const attempts = perClient * CONCURRENCY
  return {
    name: "pgbench (one statement)",
    attempts,
    holdsGranted: holds.holds,
    unitsGranted: holds.units,
    capacity: inventory.capacity,
    heldPlusSold: inventory.held + inventory.sold,
    oversold: Math.max(0, inventory.held + inventory.sold - inventory.capacity),
    unsold: inventory.capacity - inventory.held - inventory.sold,
    sellOutSeconds: soldOut && holds.span_ms !== null ? holds.span_ms / 1000 : null,
    wallSeconds,
    requestsPerSecond: tps,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p99ByStatusMs: {},
    serverCpuUsPerRequest: finite(pgCpu / attempts),
    postgresCpuUsPerRequest: finite(pgCpu / attempts),
    peakRssMb: null,
    peakRssPerProcessMb: [],
    statuses: { processed, failed },
    codes: {},
    checks: [
      { check: "pgbench succeeded", ok: code === 0, detail: `exit code ${code}; ${stderr.trim().slice(-300)}` },
      {
        check: "every transaction ran",
        ok: processed === attempts && failed === 0,
        detail: `${processed} processed, ${failed} failed`
      },
      ...inventoryChecks(holds.units, inventory.capacity, inventory.held, inventory.sold)
    ],
    samples: []
  }
}

// ---------------------------------------------------------------------------------------------- report

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b)

/** The run of median req/s (the lower middle one of an even count). */
const medianRun = (rs: ReadonlyArray<Run>) =>
  [...rs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor((rs.length - 1) / 2)]

const printTable = (runs: ReadonlyArray<Run>) => {
  const header = [
    "run",
    "attempts",
    "holds",
    "units",
    "oversold",
    "unsold",
    "sell-out s",
    "req/s",
    "p50 ms",
    "p99 ms",
    "CPU µs/req",
    "PG CPU µs/req",
    "peak RSS MB",
    "per process MB"
  ]
  const rows = runs.map((r) => [
    r.name,
    fmt(r.attempts),
    fmt(r.holdsGranted),
    fmt(r.unitsGranted),
    fmt(r.oversold),
    fmt(r.unsold),
    fmt(r.sellOutSeconds, 2),
    fmt(r.requestsPerSecond),
    fmt(r.p50Ms, 1),
    fmt(r.p99Ms, 1),
    fmt(r.serverCpuUsPerRequest),
    fmt(r.postgresCpuUsPerRequest),
    fmt(r.peakRssMb),
    r.peakRssPerProcessMb.length === 0 ? "—" : r.peakRssPerProcessMb.map((mb) => fmt(mb)).join(" + ")
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`
  console.log(line(header))
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`)
  for (const row of rows) console.log(line(row))
}

// ---------------------------------------------------------------------------------------------- main

const main = async () => {
  mkdirSync(tmpDir, { recursive: true })
  const startedAt = new Date()
  const admin = new pg.Client({ connectionString: `postgres://postgres@${PG_HOST}:5432/postgres` })
  const db = new pg.Client({ connectionString: databaseUrl })
  let service: Proc | undefined
  let sandbox: Proc | undefined
  let pgVersion = "?"
  let created = false
  /** The GA runs and the peer's, in pairs (run 1 and 3); every other run. */
  const gaRuns: Array<Run> = []
  const baselineRuns: Array<Run> = []
  const runs: Array<Run> = []
  try {
    await admin.connect()
    pgVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? "?"
    console.log(
      `database ${database}; ${ATTEMPTS} attempts, ${CONCURRENCY} connections, ${CAPACITY} units, seed ${SEED}`
    )
    await admin.query(`CREATE DATABASE ${database}`)
    created = true
    await db.connect()
    const backend = (await db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid ?? 0
    const postmaster = statOf(backend)?.[1]

    // 1–5: the service
    // Workers must share one payment provider (WORKERS > 1 is refused without it): the sandbox as its own process.
    const sandboxPort = await freePort()
    let customerIds: ReadonlyArray<string> | undefined
    const startService = async (workers: number) => {
      const port = await freePort()
      const started = startNode(
        "service",
        "src/main.ts",
        {
          ...serviceEnv(port, `http://127.0.0.1:${sandboxPort}`),
          DATABASE_URL: databaseUrl,
          DATABASE_POOL_MAX: String(POOL_MAX),
          REDIS_URL,
          CUSTOMER_TICKET_LIMIT: "1000000",
          HOLD_TTL_SECONDS: "3600",
          WORKERS: String(workers)
        },
        {
          nodeArgs: (process.env.BENCH_SERVICE_NODE_ARGS ?? "").split(" ").filter((a) => a.length > 0),
          logPrefix: `flash-sale-${workers}w-`
        }
      )
      service = started
      const base = `http://127.0.0.1:${port}`
      const t = performance.now()
      await waitReady(started, `${base}/health/ready`, { intervalMs: 200 })
      console.log(
        `service ready in ${fmt((performance.now() - t) / 1000, 1)} s (pid ${started.pid}, WORKERS=${workers}, ${base})`
      )
      // The organizer and the customers are registered by the first service; the others log them in.
      const up = await setUpService(base, customerIds)
      customerIds ??= up.customerIds
      return { started, base, setUp: up }
    }
    const stopService = async () => {
      if (service) await stop(service)
      service = undefined
    }
    // The sale pays nothing: the sandbox's webhooks (none are sent) point nowhere.
    sandbox = startSandbox(sandboxPort, `http://127.0.0.1:${await freePort()}`, "flash-sale-")
    await waitReady(sandbox, `http://127.0.0.1:${sandboxPort}/health`)

    // 1 and 3, alternating: each pair a fresh service (and event) beside a fresh peer (and tables), back to back.
    for (let pair = 1; pair <= PAIRS && (RUNS.has("ga") || RUNS.has("baseline")); pair++) {
      const suffix = PAIRS === 1 ? "" : ` #${pair}`
      if (RUNS.has("ga") || customerIds === undefined) {
        const one = await startService(WORKERS)
        if (RUNS.has("ga")) {
          const ga = await one.setUp.gaEvent()
          console.log(`service (GA)${suffix}… (service RSS ${fmt(memoryMb(one.started.pid, "VmRSS"))} MB)`)
          gaRuns.push(await runServiceGa(one.base, one.started.pid, postmaster, db, ga, WORKERS, suffix))
        }
        await stopService()
      }
      if (RUNS.has("baseline") && customerIds !== undefined) {
        console.log(`baseline (Fastify)${suffix}…`)
        baselineRuns.push(await runBaseline(db, postmaster, customerIds, `baseline (Fastify)${suffix}`))
      }
    }
    if (RUNS.has("voucher") || RUNS.has("seated")) {
      const one = await startService(WORKERS)
      const { pid } = one.started
      if (RUNS.has("voucher")) {
        const voucher = await one.setUp.voucherEvent()
        console.log("service (GA, voucher)…")
        runs.push(await runServiceGa(one.base, pid, postmaster, db, voucher))
      }
      if (RUNS.has("seated")) {
        const t = performance.now()
        const seated = await one.setUp.seatedEvent()
        const took = fmt((performance.now() - t) / 1000, 1)
        console.log(
          `seated event with its ${CAPACITY}-seat map in ${took} s; service RSS ${fmt(memoryMb(pid, "VmRSS"))} MB`
        )
        console.log("service (seated)…")
        runs.push(await runServiceSeated(one.base, pid, postmaster, db, seated))
      }
      await stopService()
    }
    if (RUNS.has("ga2") && WIDE_WORKERS !== WORKERS) {
      const wide = await startService(WIDE_WORKERS)
      console.log(`service (GA, ${WIDE_WORKERS} workers)…`)
      runs.push(
        await runServiceGa(wide.base, wide.started.pid, postmaster, db, await wide.setUp.gaEvent(), WIDE_WORKERS)
      )
      await stopService()
    }

    // 6: the physical ceiling
    if (RUNS.has("pgbench")) {
      console.log("pgbench…")
      runs.push(await runPgbench(db, postmaster))
    }
  } finally {
    if (service) await stop(service)
    if (sandbox) await stop(sandbox)
    if (created) {
      await db.end().catch(() => {})
      if (KEEP_DB) console.log(`kept database ${database}`)
      else await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    }
    await admin.end().catch(() => {})
  }

  // 7: report
  const pairs = Array.from({ length: Math.min(gaRuns.length, baselineRuns.length) }, (_, i) => ({
    service: gaRuns[i] as Run,
    baseline: baselineRuns[i] as Run
  }))
  runs.unshift(
    ...Array.from({ length: Math.max(gaRuns.length, baselineRuns.length) }, (_, i) => [gaRuns[i], baselineRuns[i]])
      .flat()
      .filter((r) => r !== undefined)
  )
  // The other runs are set against the median GA run and the median peer run (by req/s).
  const [serviceGa, baseline] = [medianRun(gaRuns), medianRun(baselineRuns)]
  const named = (prefix: string) => runs.find((r) => r.name.startsWith(prefix))
  const serviceVoucher = named("service (GA, voucher)")
  const serviceWide = named(`service (GA, ${WIDE_WORKERS} workers)`)
  const [serviceSeated, pgbench] = [named("service (seated)"), named("pgbench")]
  const versus = (s: Run, ref: Run) => ({
    requestsPerSecond: ratio(s.requestsPerSecond, ref.requestsPerSecond),
    sellOutTime: ratio(s.sellOutSeconds, ref.sellOutSeconds),
    cpuPerRequest: ratio(s.serverCpuUsPerRequest, ref.serverCpuUsPerRequest)
  })
  const pairRatios = pairs.map((p) => ({ pair: p.service.name, ...versus(p.service, p.baseline) }))
  const medianOf = (pick: (r: (typeof pairRatios)[number]) => number | null) => {
    const xs = pairRatios.map(pick).filter((x): x is number => x !== null)
    return xs.length === 0 ? null : median(xs)
  }
  const gaName = "service (GA)"
  const ratios: Record<string, ReturnType<typeof versus>> = {}
  // GA against the peer: each pair's ratio, and their median (the headline).
  if (pairs.length > 0)
    ratios[`${gaName} / baseline (Fastify)`] = {
      requestsPerSecond: medianOf((r) => r.requestsPerSecond),
      sellOutTime: medianOf((r) => r.sellOutTime),
      cpuPerRequest: medianOf((r) => r.cpuPerRequest)
    }
  // Every other service run against the references that ran (the voucher and seated runs against GA too).
  for (const s of [serviceVoucher, serviceWide, serviceSeated])
    for (const ref of [baseline, pgbench, ...(s === serviceVoucher || s === serviceSeated ? [serviceGa] : [])])
      if (s !== undefined && ref !== undefined) ratios[`${s.name} / ${ref.name.replace(/ #\d+$/, "")}`] = versus(s, ref)
  if (serviceGa !== undefined && pgbench !== undefined)
    ratios[`${gaName} / ${pgbench.name}`] = versus(serviceGa, pgbench)
  console.log()
  printTable(runs)
  console.log()
  if (pairs.length > 1)
    for (const r of pairRatios)
      console.log(
        `  ${r.pair} / its peer: req/s ×${fmt(r.requestsPerSecond, 2)}, time to sell out ×${fmt(r.sellOutTime, 2)}, CPU per request ×${fmt(r.cpuPerRequest, 2)}`
      )
  for (const [name, r] of Object.entries(ratios))
    console.log(
      `${name}${pairs.length > 1 && name.startsWith(`${gaName} / baseline`) ? ` (median of ${pairs.length} pairs)` : ""}: req/s ×${fmt(r.requestsPerSecond, 2)}, time to sell out ×${fmt(r.sellOutTime, 2)}, CPU per request ×${fmt(r.cpuPerRequest, 2)}`
    )
  if (serviceGa !== undefined && gaRuns.length > 1)
    console.log(
      `(the other runs are set against the median GA run, ${serviceGa.name}, and the median peer run, ${baseline?.name ?? "—"})`
    )
  console.log()
  for (const run of runs) {
    const answers = Object.entries({ ...run.statuses, ...run.codes })
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ")
    const tails = Object.entries(run.p99ByStatusMs)
      .map(([status, ms]) => `${status} ${fmt(ms, 1)} ms`)
      .join(", ")
    console.log(
      `${run.name}: ${answers}; wall ${fmt(run.wallSeconds, 1)} s${tails === "" ? "" : `; p99 by status: ${tails}`}`
    )
    for (const s of run.samples.slice(0, 3)) console.log(`    ${s}`)
  }
  const failed = runs.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => ({ run: r.name, ...c })))
  const checkCount = runs.reduce((n, r) => n + r.checks.length, 0)

  writeResults("flash-sale.json", {
    startedAt: startedAt.toISOString(),
    machine: { cpus: cpus().length, node: process.version, postgres: pgVersion },
    config: {
      attempts: ATTEMPTS,
      concurrency: CONCURRENCY,
      capacity: CAPACITY,
      maxPerOrder: MAX_PER_ORDER,
      seed: SEED,
      pairs: PAIRS,
      databasePool: POOL_MAX,
      seating: SEATING
    },
    runs,
    ratios,
    pairs: pairRatios,
    ok: failed.length === 0
  })
  console.log()
  if (failed.length > 0) {
    console.error(`FAILED: ${failed.length} of ${checkCount} checks`)
    for (const f of failed) console.error(`  ✗ ${f.run}: ${f.check} — ${f.detail}`)
    process.exitCode = 1
  } else console.log(`all ${checkCount} checks passed; wrote bench/results/flash-sale.json`)
}

await main().catch((error: unknown) => {
  console.error("bench:flash-sale failed:", error)
  process.exitCode = 1
})

/**
 * The flash-sale hold over internal RPC beside the same hold over REST: `npm run bench:rpc`.
 *
 * One fresh PostgreSQL database, one service (the compiled `dist/src/main.js`, WORKERS as bench:flash-sale, with
 * RPC_PORT), two GA events of the same size; on each, the attempts of bench:flash-sale (same count, same seeded
 * quantities of 1–4 units, 64 at a time):
 *   1. REST: `POST /v1/reservations` from 64 keep-alive connections (bench/load.ts, as bench:flash-sale's GA run);
 *   2. RPC:  `Booking.PlaceHold` over one WebSocket with MessagePack (the typed client of src/rpc/client), 64 calls
 *            in flight, with a service key (`booking:write`) made by `npm run service-keys`.
 * Reports req/s, p50/p99 and the service's CPU µs per request (its process tree, from /proc) for each, checks the
 * inventory (no oversell, units granted = units held) and writes bench/results/rpc-holds.json.
 *
 * Env: BENCH_ATTEMPTS (100000), BENCH_CAPACITY (10000), BENCH_SEED, BENCH_WORKERS (2), BENCH_KEEP_DB=1.
 * The availability stream's fan-out during such a sale: bench/rpc-fanout.ts (`npm run bench:rpc-fanout`).
 */
import { execFile } from "node:child_process"
import { mkdirSync } from "node:fs"
import { cpus } from "node:os"
import { performance } from "node:perf_hooks"
import { Effect, Exit, Layer } from "effect"
import pg from "pg"
import type { HoldRequest } from "../src/domain/reservations/HoldRequest.ts"
import type { EventId, TicketTypeId, UserId } from "../src/domain/shared/Ids.ts"
import { BookingClient, rpcConnection } from "../src/rpc/client/index.ts"
import {
  type Check,
  fmt,
  login,
  must,
  type Proc,
  register,
  root,
  serviceEnv,
  startNode,
  startSandbox,
  tmpDir,
  waitReady,
  writeResults
} from "./harness.ts"
import { percentile, runLoad, seededRandom } from "./load.ts"
import { freePort, stop, treeCpuMs } from "./system.ts"

const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 100_000)
const CAPACITY = Number(process.env.BENCH_CAPACITY ?? 10_000)
const SEED = Number(process.env.BENCH_SEED ?? 20_261_125)
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2)
const KEEP_DB = process.env.BENCH_KEEP_DB === "1"
const CONCURRENCY = 64
const MAX_PER_ORDER = 4
const POOL_MAX = 16
const PG_HOST = "127.0.0.1"
const REDIS_URL = "redis://127.0.0.1:6379"

const database = `goticket_bench_rpc_${Date.now()}`
const databaseUrl = `postgres://postgres@${PG_HOST}:5432/${database}`
const random = seededRandom(SEED)
const quantities = Array.from({ length: ATTEMPTS }, () => 1 + Math.floor(random() * MAX_PER_ORDER))

interface Run {
  readonly name: string
  readonly attempts: number
  readonly answered: number
  readonly holdsGranted: number
  readonly unitsGranted: number
  readonly heldPlusSold: number
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly serverCpuUsPerRequest: number | null
  readonly outcomes: Record<string, number>
  readonly checks: ReadonlyArray<Check>
  readonly samples: ReadonlyArray<string>
}

const cpuUs = (pid: number) => treeCpuMs(pid) * 1000

const inventoryOf = async (db: pg.Client, ticketTypeId: string) => {
  const [row] = (
    await db.query<{ held: number; sold: number }>("SELECT held, sold FROM ticket_types WHERE id = $1", [ticketTypeId])
  ).rows
  if (!row) throw new Error("the ticket type is gone")
  return row.held + row.sold
}

const checksOf = (answered: number, unitsGranted: number, heldPlusSold: number, unexpected: number): Array<Check> => [
  { check: "every attempt answered", ok: answered === ATTEMPTS, detail: `${answered} of ${ATTEMPTS}` },
  { check: "only holds and sold-out refusals", ok: unexpected === 0, detail: `${unexpected} other answers` },
  { check: "oversold = 0", ok: heldPlusSold <= CAPACITY, detail: `held+sold ${heldPlusSold}, capacity ${CAPACITY}` },
  { check: "unsold = 0", ok: heldPlusSold >= CAPACITY, detail: `${CAPACITY - heldPlusSold} units left` },
  {
    check: "units granted = held + sold",
    ok: unitsGranted === heldPlusSold,
    detail: `answers granted ${unitsGranted}, database counts ${heldPlusSold}`
  }
]

/** The service key for the RPC run, as an operator makes one. */
const serviceKey = () =>
  new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["scripts/service-keys.ts", "create", "bench", "booking:write"],
      { cwd: root, env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, LOG_LEVEL: "Warn" } },
      (error, stdout, stderr) => {
        const key = stdout.split("\n").find((line) => line.startsWith("gtk_"))
        if (error || key === undefined) reject(new Error(`service-keys failed: ${error ?? ""} ${stderr}`))
        else resolve(key.trim())
      }
    )
  )

const runRest = async (base: string, pid: number, db: pg.Client, tokens: ReadonlyArray<string>, sale: Sale) => {
  const cpu0 = cpuUs(pid)
  const result = await runLoad({
    url: `${base}/v1/reservations`,
    tokens,
    attempts: ATTEMPTS,
    concurrency: CONCURRENCY,
    capacity: CAPACITY,
    keyPrefix: `rest-${database}`,
    body: (i) =>
      JSON.stringify({ eventId: sale.eventId, items: [{ ticketTypeId: sale.ticketTypeId, quantity: quantities[i] }] })
  })
  const cpu = cpuUs(pid) - cpu0
  const heldPlusSold = await inventoryOf(db, sale.ticketTypeId)
  const unexpected = Object.entries(result.statuses).reduce((n, [s, k]) => (s === "201" || s === "409" ? n : n + k), 0)
  return {
    name: "REST (HTTP/1.1 keep-alive, JSON)",
    attempts: ATTEMPTS,
    answered: result.sent - (result.statuses["0"] ?? 0),
    holdsGranted: result.granted.length,
    unitsGranted: result.unitsGranted,
    heldPlusSold,
    requestsPerSecond: result.requestsPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    serverCpuUsPerRequest: cpu / ATTEMPTS,
    outcomes: { ...result.statuses, ...result.codes },
    checks: checksOf(result.sent - (result.statuses["0"] ?? 0), result.unitsGranted, heldPlusSold, unexpected),
    samples: result.samples
  } satisfies Run
}

const runRpc = async (
  rpcUrl: string,
  key: string,
  pid: number,
  db: pg.Client,
  customers: ReadonlyArray<string>,
  sale: Sale
) => {
  const latencies = new Float64Array(ATTEMPTS)
  const outcomes: Record<string, number> = {}
  const samples: Array<string> = []
  let answered = 0
  let holds = 0
  let units = 0
  let next = 0
  const program = Effect.gen(function* () {
    const booking = yield* BookingClient
    // Warm the connection (and the key's cache) before the clock starts, as the REST run's agent connects lazily.
    yield* Effect.exit(booking.GetOrder({ customerId: customers[0] as UserId, orderId: crypto.randomUUID() as never }))
    const cpu0 = cpuUs(pid)
    const t0 = performance.now()
    const loop = Effect.gen(function* () {
      for (let i = next++; i < ATTEMPTS; i = next++) {
        const request: HoldRequest = {
          eventId: sale.eventId as EventId,
          items: [{ ticketTypeId: sale.ticketTypeId as TicketTypeId, quantity: quantities[i] ?? 1 }]
        }
        const started = performance.now()
        const exit = yield* Effect.exit(
          booking.PlaceHold({
            customerId: customers[i % customers.length] as UserId,
            idempotencyKey: `rpc-${database}-${i}`,
            request
          })
        )
        latencies[answered++] = performance.now() - started
        if (Exit.isSuccess(exit)) {
          holds++
          units += exit.value.reservation.tickets
          outcomes.PlaceHold = (outcomes.PlaceHold ?? 0) + 1
        } else {
          const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
          const tag = failure?._tag === "Fail" ? ((failure.error as { _tag?: string })._tag ?? "unknown") : "defect"
          outcomes[tag] = (outcomes[tag] ?? 0) + 1
          if (tag !== "SoldOut" && samples.length < 10) samples.push(`#${i}: ${String(exit.cause).slice(0, 300)}`)
        }
      }
    })
    yield* Effect.all(
      Array.from({ length: CONCURRENCY }, () => loop),
      { concurrency: "unbounded", discard: true }
    )
    return { wallMs: performance.now() - t0, cpu: cpuUs(pid) - cpu0 }
  }).pipe(
    Effect.provide(
      BookingClient.layer.pipe(
        Layer.provide(rpcConnection({ url: rpcUrl, key, protocol: "websocket", serialization: "msgpack" }))
      )
    ),
    Effect.scoped
  )
  const { wallMs, cpu } = await Effect.runPromise(program)
  const sorted = latencies.subarray(0, answered).sort()
  const heldPlusSold = await inventoryOf(db, sale.ticketTypeId)
  const unexpected = answered - (outcomes.PlaceHold ?? 0) - (outcomes.SoldOut ?? 0)
  return {
    name: "RPC (WebSocket, MessagePack)",
    attempts: ATTEMPTS,
    answered,
    holdsGranted: holds,
    unitsGranted: units,
    heldPlusSold,
    requestsPerSecond: answered / (wallMs / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    serverCpuUsPerRequest: cpu / ATTEMPTS,
    outcomes,
    checks: checksOf(answered, units, heldPlusSold, unexpected),
    samples
  } satisfies Run
}

interface Sale {
  readonly eventId: string
  readonly ticketTypeId: string
}

const gaSale = async (base: string, organizer: string, title: string): Promise<Sale> => {
  const post = <A>(path: string, body?: unknown) => must<A>("POST", `${base}${path}`, { token: organizer, body })
  const { id } = await post<{ id: string }>("/v1/events", {
    title,
    venue: { name: "Bench Arena", timezone: "Europe/Paris" },
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString()
  })
  const type = await post<{ id: string }>(`/v1/events/${id}/ticket-types`, {
    name: "General admission",
    priceMinor: 5_000,
    currency: "EUR",
    capacity: CAPACITY,
    maxPerOrder: MAX_PER_ORDER
  })
  await post(`/v1/events/${id}/publish`)
  return { eventId: id, ticketTypeId: type.id }
}

const main = async () => {
  mkdirSync(tmpDir, { recursive: true })
  const admin = new pg.Client({ connectionString: `postgres://postgres@${PG_HOST}:5432/postgres` })
  const db = new pg.Client({ connectionString: databaseUrl })
  let service: Proc | undefined
  let sandbox: Proc | undefined
  let created = false
  const runs: Array<Run> = []
  try {
    await admin.connect()
    console.log(`database ${database}; ${ATTEMPTS} attempts, ${CONCURRENCY} at a time, ${CAPACITY} units per sale`)
    await admin.query(`CREATE DATABASE ${database}`)
    created = true
    await db.connect()
    const [port, sandboxPort, rpcPort] = [await freePort(), await freePort(), await freePort()]
    const base = `http://127.0.0.1:${port}`
    sandbox = startSandbox(sandboxPort, base, "rpc-holds-")
    await waitReady(sandbox, `http://127.0.0.1:${sandboxPort}/health`)
    service = startNode("service", "src/main.ts", {
      ...serviceEnv(port, `http://127.0.0.1:${sandboxPort}`),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_MAX: String(POOL_MAX),
      REDIS_URL,
      CUSTOMER_TICKET_LIMIT: "1000000",
      HOLD_TTL_SECONDS: "3600",
      WORKERS: String(WORKERS),
      RPC_PORT: String(rpcPort),
      RPC_HOST: "127.0.0.1"
    })
    await waitReady(service, `${base}/health/ready`, { intervalMs: 200 })
    const organizerEmail = "organizer@bench.goticket.dev"
    await register(base, organizerEmail, "organizer")
    const organizer = await login(base, organizerEmail)
    const customers: Array<string> = []
    for (let i = 0; i < CONCURRENCY; i++)
      customers.push((await register(base, `customer-${i}@bench.goticket.dev`, "customer")).id)
    const tokens = await Promise.all(customers.map((_, i) => login(base, `customer-${i}@bench.goticket.dev`)))
    const key = await serviceKey()
    const restSale = await gaSale(base, organizer, "Flash sale over REST")
    const rpcSale = await gaSale(base, organizer, "Flash sale over RPC")
    console.log("REST…")
    runs.push(await runRest(base, service.pid, db, tokens, restSale))
    console.log("RPC…")
    runs.push(await runRpc(`http://127.0.0.1:${rpcPort}`, key, service.pid, db, customers, rpcSale))
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

  console.log()
  console.log("| run | attempts | holds | units | req/s | p50 ms | p99 ms | service CPU µs/req |")
  console.log("|-----|---------:|------:|------:|------:|-------:|-------:|-------------------:|")
  for (const r of runs)
    console.log(
      `| ${r.name} | ${fmt(r.attempts)} | ${fmt(r.holdsGranted)} | ${fmt(r.unitsGranted)} | ${fmt(r.requestsPerSecond)} | ${fmt(r.p50Ms, 1)} | ${fmt(r.p99Ms, 1)} | ${fmt(r.serverCpuUsPerRequest)} |`
    )
  console.log()
  for (const r of runs) {
    console.log(
      `${r.name}: ${Object.entries(r.outcomes)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ")}`
    )
    for (const s of r.samples.slice(0, 3)) console.log(`    ${s}`)
  }
  const failed = runs.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => ({ run: r.name, ...c })))
  writeResults("rpc-holds.json", {
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    config: { attempts: ATTEMPTS, concurrency: CONCURRENCY, capacity: CAPACITY, seed: SEED, workers: WORKERS },
    runs,
    ok: failed.length === 0
  })
  if (failed.length > 0) {
    console.error(`FAILED: ${failed.length} checks`)
    for (const f of failed) console.error(`  ✗ ${f.run}: ${f.check} — ${f.detail}`)
    process.exitCode = 1
  } else console.log("all checks passed; wrote bench/results/rpc-holds.json")
}

await main().catch((error: unknown) => {
  console.error("bench:rpc failed:", error)
  process.exitCode = 1
})

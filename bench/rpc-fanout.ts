/**
 * The availability stream's fan-out during a flash sale: `npm run bench:rpc-fanout`.
 *
 * One fresh PostgreSQL database, one service (the compiled `dist/src/main.js`, with RPC_PORT), one GA event.
 * BENCH_SUBSCRIBERS clients (200) each open their own WebSocket (MessagePack) with an `inventory:read` key and
 * subscribe to `Inventory.AvailabilityChanges` for the event; then the flash sale runs: BENCH_ATTEMPTS holds
 * (`Booking.PlaceHold`, 1–4 units, 64 in flight over one WebSocket) until the event is sold out.
 * Reports:
 *   - messages/s delivered: snapshots received by all subscribers together, per second of the sale (from the first
 *     hold to the last subscriber seeing the final count);
 *   - lag p50/p99: for every granted hold, at every subscriber, the time from its answer (the hold is committed by
 *     then) to the first snapshot whose held + sold reaches the units answered up to that hold (0 when a snapshot
 *     got there first): how late a subscriber learns of a committed change, coalescing included;
 * and checks that every subscriber saw the final count, versions only grow, and nothing was oversold. Writes
 * bench/results/rpc-fanout.json.
 *
 * Env: BENCH_SUBSCRIBERS (200), BENCH_ATTEMPTS (20000), BENCH_CAPACITY (10000), BENCH_SEED, BENCH_KEEP_DB=1,
 * BENCH_SERVICE_ENV (e.g. `RPC_AVAILABILITY_INTERVAL_MS=100`).
 */
import { execFile } from "node:child_process"
import { mkdirSync } from "node:fs"
import { cpus } from "node:os"
import { performance } from "node:perf_hooks"
import { Effect, Exit, Fiber, Layer, Stream } from "effect"
import pg from "pg"
import type { EventId, TicketTypeId, UserId } from "../src/domain/shared/Ids.ts"
import { BookingClient, InventoryClient, rpcConnection } from "../src/rpc/client/index.ts"
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
import { percentile, seededRandom } from "./load.ts"
import { freePort, stop } from "./system.ts"

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 200)
const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 20_000)
const CAPACITY = Number(process.env.BENCH_CAPACITY ?? 10_000)
const SEED = Number(process.env.BENCH_SEED ?? 20_261_204)
const KEEP_DB = process.env.BENCH_KEEP_DB === "1"
const CONCURRENCY = 64
const MAX_PER_ORDER = 4
const SETTLE_MS = 15_000
const PG_HOST = "127.0.0.1"

const database = `goticket_bench_fanout_${Date.now()}`
const databaseUrl = `postgres://postgres@${PG_HOST}:5432/${database}`
const random = seededRandom(SEED)
const quantities = Array.from({ length: ATTEMPTS }, () => 1 + Math.floor(random() * MAX_PER_ORDER))

/** What one subscriber saw: when each snapshot arrived and the held + sold count it showed. */
interface Seen {
  readonly at: Array<number>
  readonly units: Array<number>
  versionsGrow: boolean
}

const serviceKey = () =>
  new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["scripts/service-keys.ts", "create", "bench fan-out", "booking:write", "inventory:read"],
      { cwd: root, env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, LOG_LEVEL: "Warn" } },
      (error, stdout, stderr) => {
        const key = stdout.split("\n").find((line) => line.startsWith("gtk_"))
        if (error || key === undefined) reject(new Error(`service-keys failed: ${error ?? ""} ${stderr}`))
        else resolve(key.trim())
      }
    )
  )

const connection = (url: string, key: string) =>
  rpcConnection({ url, key, protocol: "websocket", serialization: "msgpack" })

/** One subscriber on its own connection, recording every snapshot until interrupted. */
const subscriber = (url: string, key: string, eventId: EventId, seen: Seen) =>
  Effect.gen(function* () {
    const inventory = yield* InventoryClient
    let version = -1
    yield* inventory.AvailabilityChanges({ eventId }).pipe(
      Stream.runForEach((snapshot) =>
        Effect.sync(() => {
          seen.at.push(performance.now())
          seen.units.push(snapshot.ticketTypes.reduce((n, t) => n + t.held + t.sold, 0))
          if (snapshot.version <= version) seen.versionsGrow = false
          version = snapshot.version
        })
      )
    )
  }).pipe(Effect.provide(InventoryClient.layer.pipe(Layer.provide(connection(url, key)))), Effect.scoped)

const run = (rpcUrl: string, key: string, customers: ReadonlyArray<string>, sale: Sale) =>
  Effect.gen(function* () {
    const eventId = sale.eventId as EventId
    const seen: Array<Seen> = Array.from({ length: SUBSCRIBERS }, () => ({ at: [], units: [], versionsGrow: true }))
    const fibers = yield* Effect.forEach(seen, (s) => Effect.forkChild(subscriber(rpcUrl, key, eventId, s)))
    // Every subscriber has its first snapshot (the sale's start) before the clock starts.
    while (seen.some((s) => s.at.length === 0)) yield* Effect.sleep("50 millis")
    const answers: Array<{ readonly at: number; readonly units: number }> = []
    let next = 0
    let answeredUnits = 0
    const t0 = performance.now()
    yield* Effect.gen(function* () {
      const booking = yield* BookingClient
      const loop = Effect.gen(function* () {
        for (let i = next++; i < ATTEMPTS; i = next++) {
          const exit = yield* Effect.exit(
            booking.PlaceHold({
              customerId: customers[i % customers.length] as UserId,
              idempotencyKey: `fanout-${database}-${i}`,
              request: {
                eventId,
                items: [{ ticketTypeId: sale.ticketTypeId as TicketTypeId, quantity: quantities[i] ?? 1 }]
              }
            })
          )
          if (Exit.isSuccess(exit)) {
            answeredUnits += exit.value.reservation.tickets
            answers.push({ at: performance.now(), units: answeredUnits })
          }
        }
      })
      yield* Effect.all(
        Array.from({ length: CONCURRENCY }, () => loop),
        { concurrency: "unbounded", discard: true }
      )
    }).pipe(Effect.provide(BookingClient.layer.pipe(Layer.provide(connection(rpcUrl, key)))), Effect.scoped)
    const salesEnd = performance.now()
    const final = answeredUnits
    while (seen.some((s) => (s.units.at(-1) ?? 0) < final) && performance.now() - salesEnd < SETTLE_MS)
      yield* Effect.sleep("20 millis")
    const t1 = Math.max(...seen.map((s) => s.at.at(-1) ?? salesEnd))
    yield* Effect.forEach(fibers, Fiber.interrupt, { discard: true })
    return { seen, answers, final, t0, t1, salesEnd }
  })

interface Sale {
  readonly eventId: string
  readonly ticketTypeId: string
}

const gaSale = async (base: string, organizer: string): Promise<Sale> => {
  const post = <A>(path: string, body?: unknown) => must<A>("POST", `${base}${path}`, { token: organizer, body })
  const { id } = await post<{ id: string }>("/v1/events", {
    title: "Flash sale with watchers",
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

/** Per subscriber and granted hold: from its answer to the first snapshot reaching the units answered up to it. */
const lagsOf = (seen: ReadonlyArray<Seen>, answers: ReadonlyArray<{ at: number; units: number }>) => {
  const lags: Array<number> = []
  for (const s of seen) {
    let j = 0
    for (const answer of answers) {
      while (j < s.units.length && (s.units[j] ?? 0) < answer.units) j++
      if (j === s.units.length) break
      lags.push(Math.max(0, (s.at[j] ?? 0) - answer.at))
    }
  }
  return Float64Array.from(lags).sort()
}

const main = async () => {
  mkdirSync(tmpDir, { recursive: true })
  const admin = new pg.Client({ connectionString: `postgres://postgres@${PG_HOST}:5432/postgres` })
  const db = new pg.Client({ connectionString: databaseUrl })
  let service: Proc | undefined
  let sandbox: Proc | undefined
  let created = false
  try {
    await admin.connect()
    console.log(`database ${database}; ${SUBSCRIBERS} subscribers, ${ATTEMPTS} hold attempts, ${CAPACITY} units`)
    await admin.query(`CREATE DATABASE ${database}`)
    created = true
    await db.connect()
    const [port, sandboxPort, rpcPort] = [await freePort(), await freePort(), await freePort()]
    const base = `http://127.0.0.1:${port}`
    sandbox = startSandbox(sandboxPort, base, "rpc-fanout-")
    await waitReady(sandbox, `http://127.0.0.1:${sandboxPort}/health`)
    service = startNode("service", "src/main.ts", {
      ...serviceEnv(port, `http://127.0.0.1:${sandboxPort}`),
      DATABASE_URL: databaseUrl,
      REDIS_URL: "redis://127.0.0.1:6379",
      CUSTOMER_TICKET_LIMIT: "1000000",
      HOLD_TTL_SECONDS: "3600",
      RPC_PORT: String(rpcPort),
      RPC_HOST: "127.0.0.1"
    })
    await waitReady(service, `${base}/health/ready`, { intervalMs: 200 })
    await register(base, "organizer@bench.goticket.dev", "organizer")
    const organizer = await login(base, "organizer@bench.goticket.dev")
    const customers: Array<string> = []
    for (let i = 0; i < CONCURRENCY; i++)
      customers.push((await register(base, `customer-${i}@bench.goticket.dev`, "customer")).id)
    const key = await serviceKey()
    const sale = await gaSale(base, organizer)
    console.log("subscribing, then the sale…")
    const { seen, answers, final, t0, t1 } = await Effect.runPromise(
      run(`http://127.0.0.1:${rpcPort}`, key, customers, sale)
    )
    const [row] = (
      await db.query<{ n: number }>("SELECT held + sold AS n FROM ticket_types WHERE id = $1", [sale.ticketTypeId])
    ).rows
    const messages = seen.reduce((n, s) => n + s.at.length - 1, 0)
    const lags = lagsOf(seen, answers)
    const report = {
      subscribers: SUBSCRIBERS,
      holdsGranted: answers.length,
      unitsGranted: final,
      saleSeconds: (t1 - t0) / 1000,
      messagesDelivered: messages,
      messagesPerSecond: messages / ((t1 - t0) / 1000),
      messagesPerSubscriber: messages / SUBSCRIBERS,
      lagP50Ms: percentile(lags, 0.5),
      lagP99Ms: percentile(lags, 0.99),
      lagMaxMs: lags.at(-1) ?? 0
    }
    const checks: Array<Check> = [
      {
        check: "every subscriber saw the final count",
        ok: seen.every((s) => s.units.at(-1) === final),
        detail: `${seen.filter((s) => s.units.at(-1) === final).length} of ${SUBSCRIBERS}`
      },
      { check: "versions only grow", ok: seen.every((s) => s.versionsGrow), detail: "per subscriber" },
      { check: "oversold = 0", ok: (row?.n ?? 0) <= CAPACITY, detail: `held+sold ${row?.n}, capacity ${CAPACITY}` },
      { check: "units granted = held + sold", ok: row?.n === final, detail: `${final} answered, ${row?.n} counted` }
    ]
    console.log()
    console.log("| subscribers | holds | sale s | messages/s delivered | per subscriber | lag p50 ms | lag p99 ms |")
    console.log("|------------:|------:|-------:|---------------------:|---------------:|-----------:|-----------:|")
    console.log(
      `| ${SUBSCRIBERS} | ${fmt(report.holdsGranted)} | ${fmt(report.saleSeconds, 1)} | ${fmt(report.messagesPerSecond)} | ${fmt(report.messagesPerSubscriber, 1)} | ${fmt(report.lagP50Ms, 1)} | ${fmt(report.lagP99Ms, 1)} |`
    )
    const failed = checks.filter((c) => !c.ok)
    writeResults("rpc-fanout.json", {
      startedAt: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      config: {
        subscribers: SUBSCRIBERS,
        attempts: ATTEMPTS,
        capacity: CAPACITY,
        concurrency: CONCURRENCY,
        seed: SEED
      },
      report,
      checks,
      ok: failed.length === 0
    })
    if (failed.length > 0) {
      console.error(`FAILED: ${failed.length} checks`)
      for (const f of failed) console.error(`  ✗ ${f.check} — ${f.detail}`)
      process.exitCode = 1
    } else console.log("all checks passed; wrote bench/results/rpc-fanout.json")
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
}

await main().catch((error: unknown) => {
  console.error("bench:rpc-fanout failed:", error)
  process.exitCode = 1
})

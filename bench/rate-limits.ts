/**
 * Rate-limit benchmark: `npm run bench:rate-limits` (PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432,
 * Redis at REDIS_URL or redis://127.0.0.1:6379); about 2½ minutes.
 *
 * What rate limiting costs, in two parts:
 *
 *   1. The limiter alone, in this process: `RateLimiter.consume` on the Redis adapter (the GCRA Lua script, one call at
 *      a time and 64 in flight on its one connection) and on the memory adapter, for a fixed time each, over 100,000
 *      distinct keys (the reads policy, 1,200/min: every call allowed) and over one hot key (a limit no run reaches).
 *      Calls/s, latency, this process's CPU per call and Redis's.
 *   2. End to end: the service (src/main.ts, one process, DATABASE_URL on a fresh database, REDIS_URL) started twice at
 *      once, each on a database of its own: RATE_LIMITS=off and RATE_LIMITS=on with every limit at 1,000,000/min, so
 *      that nothing is refused; both with TRUST_PROXY_HOPS=1. 64 keep-alive clients, each with an X-Forwarded-For
 *      address of its own, send `GET /v1/events` (a page of 20 published events), then `POST /v1/reservations` (one
 *      ticket, each client one of 64 customers, as bench/flash-sale.ts holds), in rounds that alternate off and on (so
 *      that drift on this shared machine weighs on both alike). Requests/s, latency, the service's and Redis's CPU per
 *      request, and the difference. Then the "on" service is restarted with the reads limit at 1,200/min and all 64
 *      clients behind ONE address: its burst is spent (until the first 429), then the rate and latency of the 429s.
 *      Also a PING on a plain ioredis connection, the floor under the Redis adapter's round trip.
 *
 * Prints the tables, writes bench/results/rate-limits.json, and exits non-zero when a check fails (an answer other than
 * 200/201 where nothing may be refused, limits not on or not off as configured, the service falling back from Redis, no
 * 429 or more than the quota served where the limit is reached).
 *
 * Options (argument or environment): --seconds / BENCH_SECONDS (8: each HTTP run), --limiter-seconds /
 * BENCH_LIMITER_SECONDS (3: each limiter run), --concurrency / BENCH_CONCURRENCY (64), --rounds / BENCH_ROUNDS (2:
 * off/on pairs per endpoint), --keep-db / BENCH_KEEP_DB=1.
 */
import { mkdirSync } from "node:fs"
import { Agent, request } from "node:http"
import { cpus, loadavg } from "node:os"
import { performance } from "node:perf_hooks"
import { Duration, Effect, Layer, Redacted, Result, Schedule } from "effect"
import { Redis } from "ioredis"
import pg from "pg"
import { RateLimiter, type RatePolicy } from "../src/domain/security/RateLimiter.ts"
import { redisClientLayer } from "../src/services/redis/RedisClient.ts"
import { makeRateLimiterMemory } from "../src/services/security/RateLimiterMemory.ts"
import { makeRateLimiterRedis } from "../src/services/security/RateLimiterRedis.ts"
import {
  adminUrl,
  bump,
  type Check,
  commandLine,
  databaseUrl,
  diff,
  fmt,
  login,
  must,
  type Proc,
  pool,
  register,
  serviceEnv,
  startNode,
  startSandbox,
  summary,
  tmpDir,
  waitReady,
  writeResults
} from "./harness.ts"
import { cpuMs, freePort, stop, treeCpuMs } from "./system.ts"

// ---------------------------------------------------------------------------------------------- options

const args = commandLine(["seconds", "limiter-seconds", "concurrency", "rounds"])
const SECONDS = args.integer("seconds", "BENCH_SECONDS", "8", 1, 600)
const LIMITER_SECONDS = args.integer("limiter-seconds", "BENCH_LIMITER_SECONDS", "3", 1, 600)
const CONCURRENCY = args.integer("concurrency", "BENCH_CONCURRENCY", "64", 1, 1_000)
const ROUNDS = args.integer("rounds", "BENCH_ROUNDS", "2", 1, 20)
const KEEP_DB = args.keepDb

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
const DISTINCT_KEYS = 100_000
const EVENTS = 20 // one page of GET /v1/events
const CUSTOMERS = 64
const HIGH = "1000000" // every limit of the "on" service: the most the configuration allows
const READS_LIMIT = 1_200 // the default, reached in the last run
const WARM_UP_SECONDS = 2
const LIMITER_WARM_UP_MS = 500
const REQUEST_TIMEOUT_MS = 10_000

const stamp = Date.now()
const redisPrefix = `goticket:bench:${stamp.toString(36)}`

const finite = (n: number) => (Number.isFinite(n) ? n : null)
const perCall = (total: number, calls: number) => (calls === 0 ? null : finite(total / calls))

// ---------------------------------------------------------------------------------------------- 1. the limiter

interface LimiterScenario {
  /** `ping`: the reference, a PING on a plain ioredis connection (no limiter). */
  readonly store: "redis" | "memory" | "ping"
  readonly concurrency: number
  readonly keys: "distinct" | "hot" | "none"
}

interface LimiterRun extends LimiterScenario {
  readonly calls: number
  readonly allowed: number
  readonly unavailable: number
  readonly seconds: number
  readonly callsPerSecond: number
  readonly latencyUs: ReturnType<typeof summary>
  /** CPU of this process (the caller's side: what the service pays per call). */
  readonly processCpuUsPerCall: number | null
  readonly redisCpuUsPerCall: number | null
}

const SCENARIOS: ReadonlyArray<LimiterScenario> = [
  { store: "redis", concurrency: 1, keys: "distinct" },
  { store: "redis", concurrency: 1, keys: "hot" },
  { store: "redis", concurrency: 64, keys: "distinct" },
  { store: "redis", concurrency: 64, keys: "hot" },
  { store: "memory", concurrency: 1, keys: "distinct" },
  { store: "memory", concurrency: 1, keys: "hot" }
]

/** Client addresses, as the service keys its per-address policies. */
const addressOf = (n: number) => `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
const distinctKeys = Array.from({ length: DISTINCT_KEYS }, (_, i) => addressOf(i))
const HOT_KEY = "198.51.100.7"

/** Runs `s` for `seconds` after a short warm-up, on a policy of its own (so every scenario starts on empty keys). */
const runLimiter = (s: LimiterScenario, index: number, seconds: number, redisPid: number | undefined) =>
  Effect.gen(function* () {
    const limiter = yield* RateLimiter
    const policy: RatePolicy = {
      name: `bench-${index}-${s.keys}`,
      limit: s.keys === "hot" ? 1_000_000_000 : READS_LIMIT,
      window: Duration.minutes(1)
    }
    const latencies: Array<number> = []
    let allowed = 0
    let unavailable = 0
    let next = 0
    const phase = (ms: number, record: boolean) => {
      const end = performance.now() + ms
      const caller = Effect.gen(function* () {
        while (performance.now() < end) {
          const key = s.keys === "hot" ? HOT_KEY : (distinctKeys[next++ % DISTINCT_KEYS] as string)
          const started = performance.now()
          const decision = yield* Effect.result(limiter.consume(key, policy))
          if (!record) continue
          latencies.push((performance.now() - started) * 1000)
          if (Result.isFailure(decision)) unavailable++
          else if (decision.success.allowed) allowed++
        }
      })
      return Effect.all(
        Array.from({ length: s.concurrency }, () => caller),
        { concurrency: "unbounded", discard: true }
      )
    }
    // The client does not queue commands while it connects: wait until the store answers.
    yield* limiter
      .consume("bench-ping", policy)
      .pipe(Effect.retry(Schedule.max([Schedule.spaced(Duration.millis(20)), Schedule.recurs(250)])))
    yield* phase(LIMITER_WARM_UP_MS, false)
    const cpu0 = process.cpuUsage()
    const redis0 = cpuMs(redisPid)
    const t0 = performance.now()
    yield* phase(seconds * 1000, true)
    const wall = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const calls = latencies.length
    const run: LimiterRun = {
      ...s,
      calls,
      allowed,
      unavailable,
      seconds: wall,
      callsPerSecond: calls / wall,
      latencyUs: summary(latencies, { p99: true }),
      processCpuUsPerCall: perCall(cpu.user + cpu.system, calls),
      redisCpuUsPerCall: s.store === "redis" ? perCall((cpuMs(redisPid) - redis0) * 1000, calls) : null
    }
    return run
  })

/** The floor under the Redis adapter: PING round trips, one at a time, on a plain ioredis connection. */
const pingReference = async (seconds: number, redisPid: number | undefined): Promise<LimiterRun> => {
  const redis = new Redis(REDIS_URL)
  try {
    await redis.ping()
    const latencies: Array<number> = []
    const cpu0 = process.cpuUsage()
    const redis0 = cpuMs(redisPid)
    const t0 = performance.now()
    const end = t0 + seconds * 1000
    while (performance.now() < end) {
      const started = performance.now()
      await redis.ping()
      latencies.push((performance.now() - started) * 1000)
    }
    const wall = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const calls = latencies.length
    return {
      store: "ping",
      concurrency: 1,
      keys: "none",
      calls,
      allowed: calls,
      unavailable: 0,
      seconds: wall,
      callsPerSecond: calls / wall,
      latencyUs: summary(latencies, { p99: true }),
      processCpuUsPerCall: perCall(cpu.user + cpu.system, calls),
      redisCpuUsPerCall: perCall((cpuMs(redisPid) - redis0) * 1000, calls)
    }
  } finally {
    redis.disconnect()
  }
}

const limiterPart = async (redisPid: number | undefined) => {
  const redisLayer = makeRateLimiterRedis(`${redisPrefix}:limiter:`).pipe(
    Layer.provide(redisClientLayer(Redacted.make(REDIS_URL)))
  )
  const runs: Array<LimiterRun> = []
  for (const [i, s] of SCENARIOS.entries()) {
    // A memory limiter of its own per scenario; the Redis one keeps its connection (the policy names the keys apart).
    const layer = s.store === "redis" ? redisLayer : makeRateLimiterMemory()
    const run = await Effect.runPromise(Effect.provide(runLimiter(s, i, LIMITER_SECONDS, redisPid), layer))
    console.log(
      `  ${s.store} ×${s.concurrency} ${s.keys}: ${fmt(run.callsPerSecond)} calls/s, p50 ${fmt(run.latencyUs.p50, 1)} µs, p99 ${fmt(run.latencyUs.p99, 1)} µs`
    )
    runs.push(run)
  }
  runs.push(await pingReference(LIMITER_SECONDS, redisPid))
  return runs
}

// ---------------------------------------------------------------------------------------------- 2. HTTP load

/** What each virtual client sends: its own headers (address, token), and the body of its i-th request. */
interface Traffic {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly headers: (client: number) => Record<string, string>
  readonly body?: (client: number, i: number) => string
}

interface Shots {
  readonly wallMs: number
  readonly statuses: Record<string, number>
  /** Latency (ms) of every answer, by status (0: no answer). */
  readonly latencies: Record<string, Array<number>>
  /** The first answer of each status: its rate-limit headers and the start of its body. */
  readonly firsts: Record<string, { readonly rateLimitLimit: string | null; readonly body: string }>
}

/**
 * `concurrency` virtual clients over one keep-alive agent for `seconds`, each sending its next request as soon as the
 * last one is answered. (bench/load.ts's runLoad sends a fixed number of POSTs without per-client headers.)
 */
const hammer = async (
  base: string,
  traffic: Traffic,
  seconds: number,
  concurrency: number,
  until?: (status: number) => boolean
): Promise<Shots> => {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const statuses: Record<string, number> = {}
  const latencies: Record<string, Array<number>> = {}
  const firsts: Record<string, { rateLimitLimit: string | null; body: string }> = {}
  const url = `${base}${traffic.path}`
  let sent = 0
  let stopped = false

  const send = (client: number, i: number) =>
    new Promise<void>((resolve) => {
      const payload = traffic.body?.(client, i)
      const started = performance.now()
      let done = false
      const finish = (status: number, text: string, limit?: string | string[]) => {
        if (done) return
        done = true
        if (until?.(status)) stopped = true
        const key = String(status)
        bump(statuses, key)
        latencies[key] ??= []
        latencies[key].push(performance.now() - started)
        firsts[key] ??= { rateLimitLimit: typeof limit === "string" ? limit : null, body: text.slice(0, 300) }
        resolve()
      }
      const headers: Record<string, string | number> = traffic.headers(client)
      if (payload !== undefined) {
        headers["content-type"] = "application/json"
        headers["content-length"] = Buffer.byteLength(payload)
      }
      const req = request(url, { method: traffic.method, agent, headers }, (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => {
          text += chunk
        })
        res.on("end", () => finish(res.statusCode ?? 0, text, res.headers["ratelimit-limit"]))
        res.on("error", (error) => finish(0, error.message))
      })
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)))
      req.on("error", (error) => finish(0, error.message))
      req.end(payload)
    })

  const t0 = performance.now()
  const end = t0 + seconds * 1000
  await Promise.all(
    Array.from({ length: concurrency }, async (_, client) => {
      while (!stopped && performance.now() < end) await send(client, sent++)
    })
  )
  const wallMs = performance.now() - t0
  agent.destroy()
  return { wallMs, statuses, latencies, firsts }
}

// ---------------------------------------------------------------------------------------------- the services

type Limits = "off" | "on" | "limited"

interface Service {
  readonly limits: Limits
  readonly proc: Proc
  readonly base: string
}

/** The rate-limit settings of each service; TRUST_PROXY_HOPS=1 for all, so that the same pipeline runs. */
const limitsEnv = (limits: Limits): Record<string, string> => {
  const common = { TRUST_PROXY_HOPS: "1", RATE_LIMIT_REDIS_PREFIX: `${redisPrefix}:${limits}:` }
  if (limits === "off") return { ...common, RATE_LIMITS: "off" }
  if (limits === "limited") return { ...common, RATE_LIMITS: "on", RATE_LIMIT_READS_PER_MINUTE: String(READS_LIMIT) }
  return {
    ...common,
    RATE_LIMITS: "on",
    RATE_LIMIT_READS_PER_MINUTE: HIGH,
    RATE_LIMIT_WRITES_PER_MINUTE: HIGH,
    RATE_LIMIT_AUTH_PER_MINUTE: HIGH,
    RATE_LIMIT_HOLDS_PER_MINUTE: HIGH,
    RATE_LIMIT_HOLDS_PER_EVENT_PER_MINUTE: HIGH
  }
}

const startService = async (limits: Limits, port: number, database: string, sandboxUrl: string): Promise<Service> => {
  const proc = startNode(
    `service-${limits}`,
    "src/main.ts",
    {
      ...serviceEnv(port, sandboxUrl),
      DATABASE_URL: databaseUrl(database),
      REDIS_URL,
      CUSTOMER_TICKET_LIMIT: "1000000",
      HOLD_TTL_SECONDS: "3600",
      ...limitsEnv(limits)
    },
    { logPrefix: "rate-limits-" }
  )
  const base = `http://127.0.0.1:${port}`
  const readyMs = await waitReady(proc, `${base}/health/ready`, { intervalMs: 200 })
  console.log(`  service RATE_LIMITS ${limits} ready in ${fmt(readyMs / 1000, 1)} s (pid ${proc.pid}, ${base})`)
  return { limits, proc, base }
}

interface Sale {
  readonly eventId: string
  readonly ticketTypeId: string
  readonly tokens: ReadonlyArray<string>
}

/** Through the REST API: an organizer, EVENTS published events (the first one sells the holds), CUSTOMERS customers. */
const setUpSale = async (base: string): Promise<Sale> => {
  const organizerEmail = "organizer@bench.goticket.dev"
  await register(base, organizerEmail, "organizer")
  const organizer = await login(base, organizerEmail)
  const asOrganizer = <A>(path: string, body?: unknown) => must<A>("POST", `${base}${path}`, { token: organizer, body })
  const events = await pool(
    Array.from({ length: EVENTS }, (_, i) => i),
    4,
    async (i) => {
      const startsAt = new Date(Date.now() + (30 + i) * 86_400_000).toISOString()
      const { id } = await asOrganizer<{ id: string }>("/v1/events", {
        title: `Rate-limit bench ${i + 1}`,
        venue: { name: "Bench Arena", timezone: "Europe/Paris" },
        startsAt
      })
      const type = await asOrganizer<{ id: string }>(`/v1/events/${id}/ticket-types`, {
        name: "General admission",
        priceMinor: 5_000,
        currency: "EUR",
        capacity: 1_000_000,
        maxPerOrder: 4
      })
      await asOrganizer(`/v1/events/${id}/publish`)
      return { eventId: id, ticketTypeId: type.id }
    }
  )
  const emails = Array.from({ length: CUSTOMERS }, (_, i) => `customer-${i}@bench.goticket.dev`)
  const tokens = await pool(emails, 8, async (email) => {
    await register(base, email, "customer")
    return login(base, email)
  })
  const first = events[0]
  if (first === undefined) throw new Error("no event")
  return { ...first, tokens }
}

const clientAddressOf = (client: number) => addressOf(0x0a_0000 + client)

const browse: Traffic = {
  method: "GET",
  path: "/v1/events",
  headers: (client) => ({ "x-forwarded-for": clientAddressOf(client) })
}

const holds = (sale: Sale): Traffic => ({
  method: "POST",
  path: "/v1/reservations",
  headers: (client) => ({
    "x-forwarded-for": clientAddressOf(client),
    authorization: `Bearer ${sale.tokens[client % sale.tokens.length]}`,
    "idempotency-key": `${redisPrefix}-${client}-${Math.random().toString(36).slice(2)}`
  }),
  body: () => JSON.stringify({ eventId: sale.eventId, items: [{ ticketTypeId: sale.ticketTypeId, quantity: 1 }] })
})

// ---------------------------------------------------------------------------------------------- HTTP runs

type Endpoint = "GET /v1/events" | "POST /v1/reservations"

interface Measured {
  readonly shots: Shots
  readonly serviceCpuMs: number
  readonly redisCpuMs: number
}

/** A load run with the service's and Redis's CPU around it. */
const measure = async (
  service: Service,
  traffic: Traffic,
  seconds: number,
  concurrency: number,
  redisPid: number | undefined
): Promise<Measured> => {
  const cpu0 = treeCpuMs(service.proc.pid)
  const redis0 = cpuMs(redisPid)
  const shots = await hammer(service.base, traffic, seconds, concurrency)
  return { shots, serviceCpuMs: treeCpuMs(service.proc.pid) - cpu0, redisCpuMs: cpuMs(redisPid) - redis0 }
}

const answersOf = (shots: Shots) => Object.values(shots.statuses).reduce((a, b) => a + b, 0)

/**
 * Requests/s, latency and CPU per request over one or more runs (their answers pooled); with `status`, requests/s and
 * latency of the answers with that status only.
 */
const pooled = (runs: ReadonlyArray<Measured>, status?: string) => {
  const wallMs = runs.reduce((n, r) => n + r.shots.wallMs, 0)
  const answers = runs.reduce((n, r) => n + answersOf(r.shots), 0)
  const latencies = runs.flatMap((r) =>
    status === undefined ? Object.values(r.shots.latencies).flat() : (r.shots.latencies[status] ?? [])
  )
  const statuses: Record<string, number> = {}
  for (const r of runs) for (const [k, n] of Object.entries(r.shots.statuses)) bump(statuses, k, n)
  return {
    seconds: wallMs / 1000,
    answers,
    statuses,
    requestsPerSecond: latencies.length / (wallMs / 1000),
    latencyMs: summary(latencies, { p99: true }),
    serviceCpuUsPerRequest: perCall(runs.reduce((n, r) => n + r.serviceCpuMs, 0) * 1000, answers),
    redisCpuUsPerRequest: perCall(runs.reduce((n, r) => n + r.redisCpuMs, 0) * 1000, answers)
  }
}

type Pooled = ReturnType<typeof pooled>

const relative = (on: number | null, off: number | null) =>
  on === null || off === null || off === 0 ? null : ((on - off) / off) * 100

const difference = (off: Pooled, on: Pooled) => ({
  requestsPerSecondPercent: relative(on.requestsPerSecond, off.requestsPerSecond),
  p50Ms: diff(on.latencyMs.p50, off.latencyMs.p50),
  p99Ms: diff(on.latencyMs.p99 ?? null, off.latencyMs.p99 ?? null),
  serviceCpuUsPerRequest: diff(on.serviceCpuUsPerRequest, off.serviceCpuUsPerRequest),
  redisCpuUsPerRequest: diff(on.redisCpuUsPerRequest, off.redisCpuUsPerRequest)
})

/** Off and on, `ROUNDS` times, alternating which goes first; one warm-up run of each before. */
const compare = async (
  endpoint: Endpoint,
  services: { readonly off: Service; readonly on: Service },
  traffic: { readonly off: Traffic; readonly on: Traffic },
  redisPid: number | undefined
) => {
  for (const limits of ["off", "on"] as const)
    await hammer(services[limits].base, traffic[limits], WARM_UP_SECONDS, CONCURRENCY)
  const runs: Record<"off" | "on", Array<Measured>> = { off: [], on: [] }
  const rounds: Array<{ round: number; limits: "off" | "on"; requestsPerSecond: number; p50Ms: number | null }> = []
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? (["off", "on"] as const) : (["on", "off"] as const)
    for (const limits of order) {
      const m = await measure(services[limits], traffic[limits], SECONDS, CONCURRENCY, redisPid)
      runs[limits].push(m)
      const p = pooled([m])
      rounds.push({ round, limits, requestsPerSecond: p.requestsPerSecond, p50Ms: p.latencyMs.p50 })
      console.log(
        `  ${endpoint} round ${round} ${limits.padEnd(3)}: ${fmt(p.requestsPerSecond)} req/s, p50 ${fmt(p.latencyMs.p50, 1)} ms, p99 ${fmt(p.latencyMs.p99, 1)} ms; ${JSON.stringify(p.statuses)}`
      )
    }
  }
  const off = pooled(runs.off)
  const on = pooled(runs.on)
  const expected = endpoint === "GET /v1/events" ? "200" : "201"
  const only = (p: Pooled) => Object.keys(p.statuses).every((s) => s === expected)
  const header = (limits: "off" | "on") => runs[limits][0]?.shots.firsts[expected]?.rateLimitLimit ?? null
  const checks: Array<Check> = [
    {
      check: `${endpoint}: only ${expected} answers, limits off and on`,
      ok: only(off) && only(on),
      detail: `off ${JSON.stringify(off.statuses)}; on ${JSON.stringify(on.statuses)}`
    },
    {
      check: `${endpoint}: rated when on (RateLimit-Limit ${HIGH}), not when off`,
      ok: header("on") === HIGH && header("off") === null,
      detail: `RateLimit-Limit on: ${header("on")}, off: ${header("off")}`
    }
  ]
  return { endpoint, off, on, difference: difference(off, on), rounds, checks }
}

/** One address over the reads limit: its burst spent (until the first 429), then SECONDS of mostly 429s. */
const limitedRun = async (service: Service, redisPid: number | undefined) => {
  const oneAddress: Traffic = { ...browse, headers: () => ({ "x-forwarded-for": HOT_KEY }) }
  const t0 = performance.now()
  const burst = await hammer(service.base, oneAddress, 30, CONCURRENCY, (status) => status === 429)
  const m = await measure(service, oneAddress, SECONDS, CONCURRENCY, redisPid)
  const elapsedS = (performance.now() - t0) / 1000
  const all = pooled([m])
  const refused = pooled([m], "429")
  const served = pooled([m], "200")
  const servedTotal = (burst.statuses["200"] ?? 0) + (m.shots.statuses["200"] ?? 0)
  const quota = READS_LIMIT + Math.floor((elapsedS * READS_LIMIT) / 60)
  const other = Object.keys(all.statuses).filter((s) => s !== "200" && s !== "429")
  const checks: Array<Check> = [
    {
      check: "limited: 429 answers, RateLimited, and nothing but 200 and 429",
      ok: refused.answers > 0 && other.length === 0 && /RateLimited/.test(m.shots.firsts["429"]?.body ?? ""),
      detail: `${JSON.stringify(all.statuses)}; first 429: ${m.shots.firsts["429"]?.body ?? "none"}`
    },
    {
      check: "limited: no more served than the quota",
      ok: servedTotal <= quota,
      detail: `${servedTotal} served in ${fmt(elapsedS, 1)} s (burst included); quota ${quota}`
    }
  ]
  return {
    burst: { seconds: burst.wallMs / 1000, statuses: burst.statuses },
    all,
    refused: { perSecond: refused.requestsPerSecond, latencyMs: refused.latencyMs },
    served: { perSecond: served.requestsPerSecond, latencyMs: served.latencyMs },
    checks
  }
}

/** The limits were counted in Redis: the service never logged that it fell back (reads unlimited, writes local). */
const storeReached = (service: Service): Check => {
  const fallback = service.proc.logSamples.find((line) => line.includes("rate limiter store"))
  return {
    check: `service ${service.limits}: the limiter's Redis answered throughout`,
    ok: fallback === undefined,
    detail: fallback ?? "no fallback logged"
  }
}

// ---------------------------------------------------------------------------------------------- report

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const cells = (row: ReadonlyArray<string>) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
  for (const row of [header, widths.map((w) => "-".repeat(w)), ...rows]) console.log(`| ${cells(row).join(" | ")} |`)
}

const signed = (n: number | null, digits: number) => (n === null ? "—" : `${n >= 0 ? "+" : ""}${fmt(n, digits)}`)

// ---------------------------------------------------------------------------------------------- main

const main = async () => {
  mkdirSync(tmpDir, { recursive: true })
  const startedAt = new Date()
  const loadBefore = loadavg()
  const t0 = performance.now()
  const admin = new pg.Client({ connectionString: adminUrl.toString() })
  await admin.connect()
  const pgVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v
  const redis = new Redis(REDIS_URL, { lazyConnect: true })
  await redis.connect()
  const info = await redis.info("server")
  redis.disconnect()
  const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]) || undefined
  const redisVersion = /redis_version:([\w.]+)/.exec(info)?.[1] ?? null

  console.log(`load average ${loadBefore.map((n) => fmt(n, 2)).join(" ")} on ${cpus().length} cores`)
  console.log(`1. the limiter alone (${LIMITER_SECONDS} s per run)`)
  const limiter = await limiterPart(redisPid)

  console.log(`2. end to end (${CONCURRENCY} clients, ${SECONDS} s per run, ${ROUNDS} rounds)`)
  const databases = { off: `goticket_bench_rl_${stamp}_off`, on: `goticket_bench_rl_${stamp}_on` }
  const procs: Array<Proc> = []
  const created: Array<string> = []
  let comparisons: Array<Awaited<ReturnType<typeof compare>>> = []
  let limited: Awaited<ReturnType<typeof limitedRun>> | undefined
  const storeChecks: Array<Check> = []
  try {
    for (const name of Object.values(databases)) {
      await admin.query(`CREATE DATABASE ${name}`)
      created.push(name)
    }
    const [sandboxPort, offPort, onPort] = [await freePort(), await freePort(), await freePort()]
    const sandboxUrl = `http://127.0.0.1:${sandboxPort}`
    // Nothing is paid: the provider is there because the service's environment names one.
    const sandbox = startSandbox(sandboxPort, `http://127.0.0.1:${offPort}`, "rate-limits-")
    procs.push(sandbox)
    await waitReady(sandbox, `${sandboxUrl}/health`)
    const [off, on] = await Promise.all([
      startService("off", offPort, databases.off, sandboxUrl),
      startService("on", onPort, databases.on, sandboxUrl)
    ])
    procs.push(off.proc, on.proc)
    const [offSale, onSale] = await Promise.all([setUpSale(off.base), setUpSale(on.base)])
    console.log(`  each: ${EVENTS} published events, ${CUSTOMERS} customers`)
    comparisons = [
      await compare("GET /v1/events", { off, on }, { off: browse, on: browse }, redisPid),
      await compare("POST /v1/reservations", { off, on }, { off: holds(offSale), on: holds(onSale) }, redisPid)
    ]
    await stop(off.proc)
    await stop(on.proc)
    storeChecks.push(storeReached(on))
    const limitedService = await startService("limited", await freePort(), databases.on, sandboxUrl)
    procs.push(limitedService.proc)
    limited = await limitedRun(limitedService, redisPid)
    storeChecks.push(storeReached(limitedService))
  } finally {
    for (const proc of procs.reverse()) await stop(proc)
    for (const name of created)
      if (KEEP_DB) console.log(`kept database ${name}`)
      else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
    await admin.end().catch(() => {})
  }
  const totalSeconds = (performance.now() - t0) / 1000

  console.log()
  table(
    ["limiter", "callers", "keys", "calls/s", "p50 µs", "p99 µs", "CPU µs/call", "Redis CPU µs/call"],
    limiter.map((r) => [
      r.store === "ping" ? "reference: Redis PING (ioredis)" : r.store,
      String(r.concurrency),
      r.keys === "distinct" ? `${fmt(DISTINCT_KEYS)} distinct` : r.keys === "hot" ? "one hot" : "—",
      fmt(r.callsPerSecond),
      fmt(r.latencyUs.p50, 1),
      fmt(r.latencyUs.p99, 1),
      fmt(r.processCpuUsPerCall, 1),
      fmt(r.redisCpuUsPerCall, 1)
    ])
  )
  console.log()
  table(
    ["endpoint", "limits", "req/s", "p50 ms", "p99 ms", "service CPU µs/req", "Redis CPU µs/req"],
    comparisons.flatMap((c) => [
      ...(["off", "on"] as const).map((limits) => [
        c.endpoint,
        limits,
        fmt(c[limits].requestsPerSecond),
        fmt(c[limits].latencyMs.p50, 2),
        fmt(c[limits].latencyMs.p99, 2),
        fmt(c[limits].serviceCpuUsPerRequest),
        fmt(c[limits].redisCpuUsPerRequest)
      ]),
      [
        c.endpoint,
        "on − off",
        `${signed(c.difference.requestsPerSecondPercent, 1)} %`,
        signed(c.difference.p50Ms, 2),
        signed(c.difference.p99Ms, 2),
        signed(c.difference.serviceCpuUsPerRequest, 0),
        signed(c.difference.redisCpuUsPerRequest, 0)
      ]
    ])
  )
  if (limited) {
    console.log()
    console.log(
      `limit reached (one address, ${READS_LIMIT} reads/min): ${fmt(limited.refused.perSecond)} 429/s, ` +
        `p50 ${fmt(limited.refused.latencyMs.p50, 2)} ms, p99 ${fmt(limited.refused.latencyMs.p99, 2)} ms; ` +
        `${fmt(limited.served.perSecond, 1)} served/s; service CPU ${fmt(limited.all.serviceCpuUsPerRequest)} µs/answer`
    )
  }

  const checks: Array<Check> = [
    {
      check: "limiter: every call answered, every call allowed",
      ok: limiter.every((r) => r.unavailable === 0 && r.allowed === r.calls),
      detail: limiter
        .map((r) => `${r.store}×${r.concurrency} ${r.keys}: ${r.allowed}/${r.calls} allowed, ${r.unavailable} failed`)
        .join("; ")
    },
    ...storeChecks,
    ...comparisons.flatMap((c) => c.checks),
    ...(limited?.checks ?? [])
  ]
  writeResults("rate-limits.json", {
    startedAt: startedAt.toISOString(),
    totalSeconds,
    machine: {
      cpus: cpus().length,
      node: process.version,
      postgres: pgVersion ?? null,
      redis: redisVersion,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg()
    },
    config: {
      limiterSeconds: LIMITER_SECONDS,
      distinctKeys: DISTINCT_KEYS,
      httpSeconds: SECONDS,
      warmUpSeconds: WARM_UP_SECONDS,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      events: EVENTS,
      customers: CUSTOMERS,
      limiter:
        "RateLimiter.consume in this process; distinct keys under a 1,200/min policy, the hot key under 1e9/min; latency in µs",
      service:
        "own process (src/main.ts, one worker), fresh database, REDIS_URL, TRUST_PROXY_HOPS=1, LOG_LEVEL=Warn; off: RATE_LIMITS=off; on: every limit 1,000,000/min; limited: reads 1,200/min, every client behind one address",
      cpu: "service CPU: the service process; Redis CPU: the whole Redis server (whatever else uses it)"
    },
    limiter,
    http: comparisons.map(({ checks: _, ...c }) => c),
    limited: limited === undefined ? null : (({ checks: _, ...l }) => l)(limited),
    checks,
    ok: checks.every((c) => c.ok)
  })
  console.log()
  const failed = checks.filter((c) => !c.ok)
  if (failed.length > 0) {
    console.error(`FAILED: ${failed.length} of ${checks.length} checks`)
    for (const f of failed) console.error(`  ✗ ${f.check} — ${f.detail}`)
    process.exitCode = 1
  } else
    console.log(`all ${checks.length} checks passed in ${fmt(totalSeconds)} s; wrote bench/results/rate-limits.json`)
}

await main().catch((error: unknown) => {
  console.error("bench:rate-limits failed:", error)
  process.exitCode = 1
})

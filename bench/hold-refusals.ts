/**
 * Hold-refusal benchmark: `npm run bench:holds` (PostgreSQL at DATABASE_URL or postgres://postgres@127.0.0.1:5432,
 * Redis at 127.0.0.1:6379); about a minute per service run.
 *
 * The cost of the request a flash sale is made of: a hold refused because the ticket type is sold out (96 of 100
 * attempts in bench:flash-sale). The service (dist/src/main.js, RATE_LIMITS=off as in bench:flash-sale, the sandbox
 * PSP beside it) on a fresh database, one published event with a general-admission type of capacity 1, already held;
 * then `--attempts` holds of one ticket from 64 keep-alive connections with 64 customers' tokens (after 2,000 to warm
 * up), every one answered 409 sold_out from the cache, without PostgreSQL. In the same rounds, the Fastify peer
 * (bench/baseline/server.ts) refuses the same attempts on its own tables.
 *
 * Measured per run: requests/s, p50/p99 latency, the server's CPU per request (its process tree: the service's
 * workers), its peak RSS (VmHWM, per process and in all), and for the service its RSS after start-up (idle). Runs
 * alternate between the variants and the peer within each round, so drift on a shared machine weighs on all alike;
 * compare CPU µs per request first, req/s only against the peer of the same round.
 *
 * With `--mode holds` (BENCH_MODE=holds) the type has capacity to spare and every attempt is granted instead: the
 * cost of the request that takes units (place_hold, the key's mark, the cached views' invalidation, the event in the
 * outbox and its relay), against the peer's one guarded statement.
 *
 * Options (argument or environment):
 *   --attempts / BENCH_ATTEMPTS (30000), --rounds / BENCH_ROUNDS (2), --workers / BENCH_WORKERS (1: the service's
 *   WORKERS), --peer / BENCH_PEER (on | off), --node-args / BENCH_SERVICE_NODE_ARGS (e.g. "--cpu-prof
 *   --cpu-prof-dir=/tmp/prof"), --keep-db / BENCH_KEEP_DB=1, and
 *   --variants / BENCH_VARIANTS: the service configurations to compare, `name:SETTINGS` separated by `;`, SETTINGS
 *   being `NAME=value` pairs separated by spaces, e.g. `lean:;generic:LEAN_HOLD_ROUTE=off`. `DIST=<dir>` runs the
 *   build in <dir> (a copy of dist/ under the repository, e.g. bench/results/tmp/dist-a) instead of dist/, to compare
 *   two versions of the code. Default: one variant, `service:` (as configured).
 *
 * Prints a table per run and the medians per variant; writes bench/results/hold-refusals.json.
 */
import { randomUUID } from "node:crypto"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { cpus } from "node:os"
import pg from "pg"
import {
  adminUrl,
  commandLine,
  customerTokens,
  databaseUrl,
  fmt,
  login,
  must,
  type Proc,
  register,
  serviceEnv,
  startNode,
  startPeer,
  startSandbox,
  tmpDir,
  waitReady,
  writeResults
} from "./harness.ts"
import { median, runLoad } from "./load.ts"
import { freePort, processTree, stop, treeCpuMs } from "./system.ts"

const args = commandLine(["attempts", "rounds", "workers", "peer", "node-args", "variants", "mode"])
const ATTEMPTS = args.integer("attempts", "BENCH_ATTEMPTS", "30000", 1_000, 10_000_000)
const ROUNDS = args.integer("rounds", "BENCH_ROUNDS", "2", 1, 50)
const WORKERS = args.integer("workers", "BENCH_WORKERS", "1", 1, 64)
const PEER = args.text("peer", "BENCH_PEER", "on") !== "off"
const NODE_ARGS = args
  .text("node-args", "BENCH_SERVICE_NODE_ARGS", "")
  .split(" ")
  .filter((a) => a !== "")
const KEEP_DB = args.keepDb
/** `refusals`: every attempt is refused sold out from the cache; `holds`: every attempt is granted (capacity to spare). */
const MODE = args.text("mode", "BENCH_MODE", "refusals") === "holds" ? "holds" : "refusals"
/** The ticket type's capacity: 1 (held at once) to refuse everything, or more than every attempt can take. */
const CAPACITY = MODE === "holds" ? 1_000_000 : 1
const CONCURRENCY = 64
const WARM_UP = 2_000
const REDIS_URL = "redis://127.0.0.1:6379"

interface Variant {
  readonly name: string
  readonly env: Record<string, string>
  readonly dist: string | undefined
}

const variants: ReadonlyArray<Variant> = args
  .text("variants", "BENCH_VARIANTS", "service:")
  .split(";")
  .map((spec) => spec.trim())
  .filter((spec) => spec !== "")
  .map((spec) => {
    const colon = spec.indexOf(":")
    const name = colon === -1 ? spec : spec.slice(0, colon)
    const pairs = (colon === -1 ? "" : spec.slice(colon + 1))
      .split(" ")
      .filter((p) => p.includes("="))
      .map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)] as const)
    const env = Object.fromEntries(pairs.filter(([k]) => k !== "DIST"))
    return { name, env, dist: pairs.find(([k]) => k === "DIST")?.[1] }
  })

interface Run {
  readonly round: number
  readonly name: string
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly cpuUsPerRequest: number
  /** VmHWM of each process of the server (primary first), MB. */
  readonly peakRssMb: ReadonlyArray<number>
  /** VmRSS of each process once set up, before the load, MB (the service only). */
  readonly idleRssMb: ReadonlyArray<number> | null
  readonly statuses: Record<string, number>
}

/** A memory line of /proc/<pid>/status of one process (not its children) in MB; NaN if it is gone. */
const vmOf = (pid: number, field: "VmHWM" | "VmRSS") => {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match ? Number(match[1]) / 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** The memory of each process of a server, the primary first. */
const rssOf = (pid: number, field: "VmHWM" | "VmRSS") => processTree(pid).map((p) => vmOf(p, field))

/** Clears VmHWM so that the peak belongs to the measured load (Linux ≥ 4.0). */
const resetPeak = (pid: number) => {
  for (const p of processTree(pid))
    try {
      writeFileSync(`/proc/${p}/clear_refs`, "5")
    } catch {}
}

const admin = new pg.Client({ connectionString: adminUrl.toString() })

/** A fresh database, dropped by the returned function (unless --keep-db). */
const freshDatabase = async (prefix: string) => {
  const name = `goticket_${prefix}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`
  await admin.query(`CREATE DATABASE ${name}`)
  return {
    name,
    url: databaseUrl(name),
    drop: async () => {
      if (KEEP_DB) console.log(`  kept database ${name}`)
      else await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  }
}

/** Load against `url` with the server's CPU and peak RSS around it. */
const measure = async (
  round: number,
  name: string,
  pid: number,
  url: string,
  tokens: ReadonlyArray<string>,
  body: string,
  idleRssMb: ReadonlyArray<number> | null
): Promise<Run> => {
  await runLoad({
    url,
    tokens,
    attempts: WARM_UP,
    concurrency: CONCURRENCY,
    capacity: CAPACITY,
    keyPrefix: `w-${randomUUID()}`,
    body: () => body
  })
  resetPeak(pid)
  const cpu0 = treeCpuMs(pid)
  const result = await runLoad({
    url,
    tokens,
    attempts: ATTEMPTS,
    concurrency: CONCURRENCY,
    capacity: CAPACITY,
    keyPrefix: `m-${randomUUID()}`,
    body: () => body
  })
  const cpu = treeCpuMs(pid) - cpu0
  const run: Run = {
    round,
    name,
    requestsPerSecond: result.requestsPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    cpuUsPerRequest: (cpu * 1000) / ATTEMPTS,
    peakRssMb: rssOf(pid, "VmHWM"),
    idleRssMb,
    statuses: result.statuses
  }
  const peak = run.peakRssMb.map((m) => fmt(m)).join(" + ")
  console.log(
    `  ${name}: ${fmt(run.requestsPerSecond)} req/s, p50 ${fmt(run.p50Ms, 1)} / p99 ${fmt(run.p99Ms, 1)} ms, ` +
      `${fmt(run.cpuUsPerRequest)} µs CPU/req, peak RSS ${peak} MB, answers ${JSON.stringify(run.statuses)}`
  )
  return run
}

const runService = async (round: number, variant: Variant, sandboxUrl: string): Promise<Run> => {
  const db = await freshDatabase("holds")
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  let service: Proc | undefined
  try {
    const script = variant.dist === undefined ? "src/main.ts" : `../${variant.dist}/src/main.ts`
    service = startNode(
      `holds-${variant.name}`,
      script,
      {
        ...serviceEnv(port, sandboxUrl),
        DATABASE_URL: db.url,
        DATABASE_POOL_MAX: "16",
        REDIS_URL,
        CUSTOMER_TICKET_LIMIT: "1000000",
        HOLD_TTL_SECONDS: "3600",
        WORKERS: String(WORKERS),
        ...variant.env
      },
      { nodeArgs: NODE_ARGS }
    )
    await waitReady(service, `${base}/health/ready`, { intervalMs: 200 })
    await register(base, "organizer@holds.bench", "organizer")
    const organizer = await login(base, "organizer@holds.bench")
    const tokens: Array<string> = []
    for (let i = 0; i < CONCURRENCY; i++) {
      await register(base, `customer-${i}@holds.bench`, "customer")
      tokens.push(await login(base, `customer-${i}@holds.bench`))
    }
    const { id } = await must<{ id: string }>("POST", `${base}/v1/events`, {
      token: organizer,
      body: {
        title: "Refusals",
        venue: { name: "Bench Arena", timezone: "Europe/Paris" },
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString()
      }
    })
    const type = await must<{ id: string }>("POST", `${base}/v1/events/${id}/ticket-types`, {
      token: organizer,
      body: { name: "General admission", priceMinor: 5_000, currency: "EUR", capacity: CAPACITY, maxPerOrder: 4 }
    })
    await must("POST", `${base}/v1/events/${id}/publish`, { token: organizer })
    const idle = rssOf(service.pid, "VmRSS")
    const body = JSON.stringify({ eventId: id, items: [{ ticketTypeId: type.id, quantity: 1 }] })
    return await measure(round, variant.name, service.pid, `${base}/v1/reservations`, tokens, body, idle)
  } finally {
    if (service) await stop(service)
    await db.drop()
  }
}

const runPeer = async (round: number): Promise<Run> => {
  const db = await freshDatabase("holds_peer")
  const client = new pg.Client({ connectionString: db.url })
  let peer: Proc | undefined
  try {
    await client.connect()
    await client.query(`
      CREATE TABLE baseline_ticket_types (
        id uuid PRIMARY KEY, capacity integer NOT NULL, held integer NOT NULL DEFAULT 0, sold integer NOT NULL DEFAULT 0,
        CHECK (held + sold <= capacity));
      CREATE TABLE baseline_holds (
        id bigserial PRIMARY KEY, ticket_type_id uuid NOT NULL, quantity integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp())`)
    const ticketTypeId = randomUUID()
    await client.query("INSERT INTO baseline_ticket_types (id, capacity) VALUES ($1, $2)", [ticketTypeId, CAPACITY])
    const tokens = await customerTokens(Array.from({ length: CONCURRENCY }, () => randomUUID()))
    const { base, proc } = await startPeer("holds-peer", {
      databaseUrl: db.url,
      poolMax: 16,
      redisPrefix: `${db.name}:`
    })
    peer = proc
    await waitReady(proc, `${base}/health/ready`, { intervalMs: 200 })
    const body = JSON.stringify({ eventId: randomUUID(), items: [{ ticketTypeId, quantity: 1 }] })
    return await measure(round, "peer (Fastify)", peer.pid, `${base}/v1/reservations`, tokens, body, null)
  } finally {
    if (peer) await stop(peer)
    await client.end().catch(() => {})
    await db.drop()
  }
}

const main = async () => {
  mkdirSync(tmpDir, { recursive: true })
  await admin.connect()
  const startedAt = new Date()
  const sandboxPort = await freePort()
  const sandbox = startSandbox(sandboxPort, "http://127.0.0.1:1", "holds-")
  const runs: Array<Run> = []
  try {
    await waitReady(sandbox, `http://127.0.0.1:${sandboxPort}/health`)
    console.log(
      `${ATTEMPTS} ${MODE === "holds" ? "granted" : "refused"} holds per run, ${CONCURRENCY} connections, service WORKERS=${WORKERS}, ${ROUNDS} rounds of: ${[
        ...variants.map((v) => v.name),
        ...(PEER ? ["peer"] : [])
      ].join(", ")}`
    )
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`)
      // Alternate the order from round to round.
      const order = round % 2 === 1 ? variants : [...variants].reverse()
      for (const variant of order) runs.push(await runService(round, variant, `http://127.0.0.1:${sandboxPort}`))
      if (PEER) runs.push(await runPeer(round))
    }
  } finally {
    await stop(sandbox)
    await admin.end().catch(() => {})
  }

  const names = [...variants.map((v) => v.name), ...(PEER ? ["peer (Fastify)"] : [])]
  const summary = names.map((name) => {
    const mine = runs.filter((r) => r.name === name)
    const peers = runs.filter((r) => r.name === "peer (Fastify)")
    const ratios = mine.flatMap((r) => {
      const peer = peers.find((p) => p.round === r.round)
      return peer === undefined ? [] : [r.requestsPerSecond / peer.requestsPerSecond]
    })
    return {
      name,
      runs: mine.length,
      requestsPerSecond: median(mine.map((r) => r.requestsPerSecond)),
      perPeer: ratios.length === 0 ? null : median(ratios),
      p50Ms: median(mine.map((r) => r.p50Ms)),
      p99Ms: median(mine.map((r) => r.p99Ms)),
      cpuUsPerRequest: median(mine.map((r) => r.cpuUsPerRequest)),
      peakRssMb: median(mine.map((r) => Math.max(...r.peakRssMb))),
      idleRssMb: mine[0]?.idleRssMb === null ? null : median(mine.map((r) => Math.max(...(r.idleRssMb ?? [])))),
      totalPeakRssMb: median(mine.map((r) => r.peakRssMb.reduce((a, b) => a + b, 0)))
    }
  })
  console.log()
  console.log("| run | req/s | ×peer | p50 / p99 ms | CPU µs/req | peak RSS MB (largest process / all) | idle RSS MB |")
  console.log("|---|---|---|---|---|---|---|")
  for (const s of summary)
    console.log(
      `| ${s.name} | ${fmt(s.requestsPerSecond)} | ${s.perPeer === null ? "—" : fmt(s.perPeer, 2)} | ${fmt(s.p50Ms, 1)} / ${fmt(s.p99Ms, 1)} | ${fmt(s.cpuUsPerRequest)} | ${fmt(s.peakRssMb)} / ${fmt(s.totalPeakRssMb)} | ${s.idleRssMb === null ? "—" : fmt(s.idleRssMb)} |`
    )
  writeResults("hold-refusals.json", {
    startedAt: startedAt.toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    config: {
      mode: MODE,
      attempts: ATTEMPTS,
      rounds: ROUNDS,
      workers: WORKERS,
      concurrency: CONCURRENCY,
      variants,
      nodeArgs: NODE_ARGS
    },
    runs,
    summary
  })
  const expected = MODE === "holds" ? "201" : "409"
  const bad = runs.filter((r) => Object.keys(r.statuses).some((s) => s !== expected))
  if (bad.length > 0) {
    console.error(`FAILED: ${bad.length} runs answered something else than ${expected}`)
    process.exitCode = 1
  }
}

await main().catch((error: unknown) => {
  console.error("bench:holds failed:", error)
  process.exitCode = 1
})

import { Agent, request } from "node:http"
import { performance } from "node:perf_hooks"

/** A hold the server granted: its units and, for seated holds, the seats it names. */
export interface Granted {
  readonly units: number
  readonly seatIds: ReadonlyArray<string>
}

export interface LoadOptions {
  /** Full URL of the hold endpoint, e.g. http://127.0.0.1:3000/v1/reservations */
  readonly url: string
  /** Bearer tokens, used round-robin: attempt i sends tokens[i % tokens.length]. */
  readonly tokens: ReadonlyArray<string>
  readonly attempts: number
  readonly concurrency: number
  /** Units on sale: the sell-out moment is when the units granted by 201 answers reach it. */
  readonly capacity: number
  /** Each attempt sends its own Idempotency-Key: `${keyPrefix}-${i}`. */
  readonly keyPrefix: string
  /** The JSON body of attempt i. */
  readonly body: (i: number) => string
  /** No answer within this long: the attempt counts as status 0. */
  readonly timeoutMs?: number
  /** Past this, no new attempt is sent (a safety net against a crawling server); the rest count as unsent. */
  readonly deadlineMs?: number
  /** Called every 15 s (BENCH_PROGRESS_MS) with a progress line. */
  readonly progress?: (line: string) => void
}

export interface LoadResult {
  readonly attempts: number
  /** Attempts actually sent: less than `attempts` only when the deadline cut the run short. */
  readonly sent: number
  readonly wallMs: number
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  /** HTTP status → the p99 of the answers with that status (where a sale's tail latency comes from). */
  readonly p99ByStatusMs: Record<string, number>
  /** HTTP status → count; 0 stands for a transport error or timeout (no answer). */
  readonly statuses: Record<string, number>
  /** `code` (or `_tag`) of the non-201 answers → count. */
  readonly codes: Record<string, number>
  readonly granted: ReadonlyArray<Granted>
  readonly unitsGranted: number
  /** From the first request to the answer that brought the units granted to capacity; null if never. */
  readonly sellOutMs: number | null
  /** The first few transport errors and unexpected answers, for the report. */
  readonly samples: ReadonlyArray<string>
}

/** How often a run prints its progress line: BENCH_PROGRESS_MS, 15 s by default (1000 for a run's timeline). */
const PROGRESS_MS = Number(process.env.BENCH_PROGRESS_MS ?? 15_000)

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

/** Nearest-rank percentile of an ascending array. */
export const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? 0)

/** The middle value (the mean of the two middle ones of an even count); NaN of none. */
export const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length === 0
    ? Number.NaN
    : s.length % 2 === 1
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/** A small seeded generator (mulberry32): the same seed gives the same quantities in every run. */
export const seededRandom = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Fires `attempts` POSTs from `concurrency` loops over one keep-alive agent (one socket per loop), each loop
 * sending its next request as soon as the previous one is answered. Records per-request latency and status.
 */
export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const { attempts, concurrency, capacity, tokens } = options
  const timeoutMs = options.timeoutMs ?? 30_000
  const deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const latencies = new Float64Array(attempts)
  const statuses: Record<string, number> = {}
  const codes: Record<string, number> = {}
  const granted: Array<Granted> = []
  const samples: Array<string> = []
  const sample = (text: string) => {
    if (samples.length < 10) samples.push(text)
  }
  let unitsGranted = 0
  let sellOutAt: number | null = null
  const latenciesByStatus = new Map<number, Array<number>>()
  let next = 0
  let answered = 0

  const t0 = performance.now()
  const record = (i: number, started: number, status: number, text: string) => {
    const latency = performance.now() - started
    latencies[answered++] = latency
    bump(statuses, String(status))
    const byStatus = latenciesByStatus.get(status)
    if (byStatus === undefined) latenciesByStatus.set(status, [latency])
    else byStatus.push(latency)
    if (status === 201) {
      const body = JSON.parse(text) as { tickets?: number; seats?: ReadonlyArray<{ seatId: string }> }
      const units = body.tickets ?? 0
      granted.push({ units, seatIds: (body.seats ?? []).map((s) => s.seatId) })
      unitsGranted += units
      if (sellOutAt === null && unitsGranted >= capacity) sellOutAt = performance.now()
      return
    }
    if (status === 0) return
    let code = "unparsed"
    try {
      const body = JSON.parse(text) as { code?: string; _tag?: string }
      code = body.code ?? body._tag ?? "none"
    } catch {}
    bump(codes, `${status} ${code}`)
    if (status !== 409) sample(`#${i}: ${status} ${text.slice(0, 300)}`)
  }

  const send = (i: number) =>
    new Promise<void>((resolve) => {
      const payload = options.body(i)
      const started = performance.now()
      let done = false
      const finish = (status: number, text: string, error?: Error) => {
        if (done) return
        done = true
        record(i, started, status, text)
        if (error) sample(`#${i}: ${error.message}`)
        resolve()
      }
      const req = request(
        options.url,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(payload),
            authorization: `Bearer ${tokens[i % tokens.length]}`,
            "idempotency-key": `${options.keyPrefix}-${i}`
          }
        },
        (res) => {
          let text = ""
          res.setEncoding("utf8")
          res.on("data", (chunk: string) => {
            text += chunk
          })
          res.on("end", () => finish(res.statusCode ?? 0, text))
          res.on("error", (error) => finish(0, "", error))
        }
      )
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
      req.on("error", (error) => finish(0, "", error))
      req.end(payload)
    })

  const loop = async () => {
    for (let i = next++; i < attempts && performance.now() - t0 < deadlineMs; i = next++) await send(i)
  }
  const ticker = setInterval(() => {
    const seconds = (performance.now() - t0) / 1000
    const counts = Object.entries(statuses)
      .map(([status, n]) => `${status}: ${n}`)
      .join(", ")
    options.progress?.(
      `${seconds.toFixed(0)} s: ${answered}/${attempts} answered (${counts}), ${unitsGranted} units granted`
    )
  }, PROGRESS_MS)
  await Promise.all(Array.from({ length: concurrency }, loop)).finally(() => clearInterval(ticker))
  const wallMs = performance.now() - t0
  agent.destroy()

  const sorted = latencies.subarray(0, answered).sort()
  return {
    attempts,
    sent: answered,
    wallMs,
    requestsPerSecond: answered / (wallMs / 1000),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? 0,
    p99ByStatusMs: Object.fromEntries(
      [...latenciesByStatus].map(([status, ms]) => [String(status), percentile(Float64Array.from(ms).sort(), 0.99)])
    ),
    statuses,
    codes,
    granted,
    unitsGranted,
    sellOutMs: sellOutAt === null ? null : sellOutAt - t0,
    samples
  }
}

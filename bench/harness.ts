// What the benchmarks share: paths, options, secrets, the child processes, the REST API client, statistics, results.
import { type ChildProcess, spawn } from "node:child_process"
import { createSecretKey, randomBytes, randomUUID } from "node:crypto"
import { createWriteStream, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { SignJWT } from "jose"
import { percentile } from "./load.ts"
import { freePort } from "./system.ts"

// ---------------------------------------------------------------------------------------------- paths

export const root = fileURLToPath(new URL("..", import.meta.url))
export const resultsDir = join(root, "bench/results")
/** The children's logs (and pgbench's): git ignores it. */
export const tmpDir = join(resultsDir, "tmp")

// ---------------------------------------------------------------------------------------------- options

export const integer = (name: string, text: string, min: number, max: number) => {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}`)
  return n
}

/**
 * The command line: `--<name> <value>` for each of `names`, and `--keep-db`; anything else is an error. An option's
 * value is its argument, else its environment variable, else its default.
 */
export const commandLine = <const Name extends string>(names: ReadonlyArray<Name>) => {
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(names.map((name) => [name, { type: "string" as const }])),
      "keep-db": { type: "boolean" }
    },
    allowPositionals: false
  })
  const argv = values as Record<string, string | boolean | undefined>
  const text = (name: Name, env: string, fallback: string) => {
    const arg = argv[name]
    return typeof arg === "string" ? arg : (process.env[env] ?? fallback)
  }
  return {
    text,
    integer: (name: Name, env: string, fallback: string, min: number, max: number) =>
      integer(name, text(name, env, fallback), min, max),
    /** --keep-db or BENCH_KEEP_DB=1: keep the benchmark's databases for inspection. */
    keepDb: argv["keep-db"] === true || process.env.BENCH_KEEP_DB === "1"
  }
}

// ---------------------------------------------------------------------------------------------- PostgreSQL

/** The server's `postgres` database (DATABASE_URL's server, or postgres://postgres@127.0.0.1:5432). */
export const adminUrl = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres")
adminUrl.pathname = "/postgres"

/** Database `name` on the admin URL's server. */
export const databaseUrl = (name: string) => {
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

// ---------------------------------------------------------------------------------------------- secrets

/** Fresh for every run: the service's JWT_SECRET and the sandbox PSP's API key and webhook secret. */
export const jwtSecret = randomBytes(48).toString("base64url")

/** The peer's tokens: the claims, issuer, audience and secret of the service's own access tokens, one per customer. */
export const customerTokens = (customerIds: ReadonlyArray<string>) => {
  const key = createSecretKey(Buffer.from(jwtSecret, "utf8"))
  return Promise.all(
    customerIds.map((id) =>
      new SignJWT({ typ: "customer", adm: false })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(id)
        .setIssuer("goticket")
        .setAudience("goticket-api")
        .setIssuedAt()
        .setExpirationTime("2h")
        .sign(key)
    )
  )
}

/**
 * The Fastify peer (bench/baseline/server.ts) on a free port, over `databaseUrl` (its tables created by the caller)
 * and the local Redis under its own key prefix; not yet ready (await `waitReady(proc, \`${base}/health/ready\`)`).
 * BENCH_PEER_NODE_ARGS: extra node arguments for it (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */
export const startPeer = async (
  name: string,
  options: { readonly databaseUrl: string; readonly poolMax: number; readonly redisPrefix: string }
) => {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const proc = startNode(
    name,
    "bench/baseline/server.ts",
    {
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: "redis://127.0.0.1:6379",
      JWT_SECRET: jwtSecret,
      POOL_MAX: String(options.poolMax),
      REDIS_PREFIX: options.redisPrefix
    },
    { nodeArgs: (process.env.BENCH_PEER_NODE_ARGS ?? "").split(" ").filter((a) => a.length > 0) }
  )
  return { base, proc }
}
export const providerKey = `sk_test_bench_${randomBytes(12).toString("hex")}`
export const webhookSecret = `whsec_bench_${randomBytes(12).toString("hex")}`

/** Every bench account's password. */
export const PASSWORD = "bench-password-1234"
/** The sandbox's success card. */
export const CARD = "4242424242424242"

// ---------------------------------------------------------------------------------------------- processes

export const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by
}

/** A node child process with its output in `tmpDir` (and the last 3,000 characters of it in memory). */
export interface Proc {
  readonly name: string
  readonly child: ChildProcess
  readonly pid: number
  /** performance.now() when it was spawned. */
  readonly spawnedAt: number
  readonly tail: () => string
  /** Log lines by level (JSON logs: `level`, `logLevel` on Effect 3), and the first few WARN/ERROR lines. */
  readonly logLevels: Record<string, number>
  readonly logSamples: Array<string>
}

/** What `npm run build` made of a TypeScript entry point: `src/main.ts` runs as `dist/src/main.js`. */
export const compiled = (script: string) => {
  const js = join("dist", script.replace(/\.ts$/, ".js"))
  if (!existsSync(join(root, js)))
    throw new Error(`${js} is missing: the bench:* scripts build it first (npm run build)`)
  return js
}

/**
 * The Node options production starts the service with: those of package.json's `start` script (`node <options>
 * dist/src/start.js`), so the benchmarks measure the same process (its heap bound included).
 */
export const productionNodeArgs: ReadonlyArray<string> = (() => {
  const start: string = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.start
  const words = start.split(/\s+/)
  return words.slice(1, words.indexOf("dist/src/start.js")).filter((w) => w.startsWith("--"))
})()

/**
 * `node [production options] [nodeArgs] dist/<script>.js` (the compiled entry point, as in production) from the
 * repository root, with
 * PATH, HOME and `env` only; its stdout and stderr go to `tmpDir`/<logPrefix><name>.stdout.log and .stderr.log.
 */
export const startNode = (
  name: string,
  script: string,
  env: Record<string, string>,
  options: { readonly logPrefix?: string; readonly nodeArgs?: ReadonlyArray<string> } = {}
): Proc => {
  const spawnedAt = performance.now()
  const child = spawn(process.execPath, [...productionNodeArgs, ...(options.nodeArgs ?? []), compiled(script)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let tail = ""
  const logLevels: Record<string, number> = {}
  const logSamples: Array<string> = []
  const logPrefix = options.logPrefix ?? ""
  for (const [stream, file] of [
    [child.stdout, `${logPrefix}${name}.stdout.log`],
    [child.stderr, `${logPrefix}${name}.stderr.log`]
  ] as const) {
    stream.pipe(createWriteStream(join(tmpDir, file)))
    let partial = ""
    stream.on("data", (chunk: Buffer) => {
      const text = chunk.toString()
      tail = (tail + text).slice(-3000)
      const lines = (partial + text).split("\n")
      partial = lines.pop() ?? ""
      for (const line of lines) {
        if (line.trim() === "") continue
        const level = /"(?:level|logLevel)":"(\w+)"/.exec(line)?.[1] ?? "unstructured"
        bump(logLevels, level)
        if (level !== "INFO" && level !== "DEBUG" && logSamples.length < 5) logSamples.push(line.slice(0, 400))
      }
    })
  }
  if (child.pid === undefined) throw new Error(`${name} did not start`)
  return { name, child, pid: child.pid, spawnedAt, tail: () => tail, logLevels, logSamples }
}

/**
 * Polls `url` every `intervalMs` (50) until it answers 200, for `timeoutMs` (120 s) at most; returns the ms since the
 * process was spawned. Throws with the process's last output if it exits first.
 */
export const waitReady = async (
  proc: Proc,
  url: string,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number } = {}
) => {
  const timeoutMs = options.timeoutMs ?? 120_000
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
      // 'exit' can come before the last output: wait for the streams to close.
      await Promise.race([new Promise((resolve) => proc.child.once("close", resolve)), sleep(2_000)])
      const how = `code ${proc.child.exitCode}, signal ${proc.child.signalCode}`
      throw new Error(`${proc.name} exited during start-up (${how}):\n${proc.tail()}`)
    }
    const status = await fetch(url, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.arrayBuffer().then(() => r.status),
      () => 0
    )
    if (status === 200) return performance.now() - proc.spawnedAt
    await sleep(options.intervalMs ?? 50)
  }
  throw new Error(`${proc.name} not ready after ${timeoutMs / 1000} s:\n${proc.tail()}`)
}

export const logSummary = (proc: Proc) => ({ levels: { ...proc.logLevels }, samples: [...proc.logSamples] })

/** The sandbox PSP (src/payment-sandbox.ts) on `port`, sending its webhooks to the service at `serviceBase`. */
export const startSandbox = (port: number, serviceBase: string, logPrefix: string) =>
  startNode(
    "sandbox",
    "src/payment-sandbox.ts",
    {
      SANDBOX_HOST: "127.0.0.1",
      SANDBOX_PORT: String(port),
      SANDBOX_WEBHOOK_URL: `${serviceBase}/v1/payments/webhook`,
      SANDBOX_API_KEY: providerKey,
      SANDBOX_WEBHOOK_SECRET: webhookSecret,
      LOG_LEVEL: "Warn"
    },
    { logPrefix }
  )

/** The service's environment on `port` with the sandbox at `sandboxUrl` as its PSP (add the storage to it). */
export const serviceEnv = (port: number, sandboxUrl: string): Record<string, string> => ({
  HOST: "127.0.0.1",
  PORT: String(port),
  JWT_SECRET: jwtSecret,
  SEED_DEMO: "false",
  SCRYPT_LOG2_N: "10",
  // Thousands of simulated buyers share one address here, so the per-address limits would measure themselves.
  RATE_LIMITS: "off",
  // Simulated buyers cannot read a confirmation mail: accounts log in as soon as they are registered.
  EMAIL_VERIFICATION: "off",
  LOG_LEVEL: "Warn",
  ACCESS_TOKEN_TTL_SECONDS: "86400",
  PAYMENT_PROVIDER_URL: sandboxUrl,
  PAYMENT_API_KEY: providerKey,
  PAYMENT_WEBHOOK_SECRET: webhookSecret,
  ...extraServiceEnv()
})

/** BENCH_SERVICE_ENV: more settings for the service, `NAME=value` separated by spaces (e.g. WORKFLOW_ENGINE=cluster). */
const extraServiceEnv = (): Record<string, string> =>
  Object.fromEntries(
    (process.env.BENCH_SERVICE_ENV ?? "")
      .split(" ")
      .filter((pair) => pair.includes("="))
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)])
  )

// ---------------------------------------------------------------------------------------------- HTTP

export interface Answer {
  readonly status: number // 0: transport error or timeout
  readonly body: unknown
  readonly text: string
}

export interface CallOptions {
  readonly token?: string | undefined
  readonly body?: unknown
  readonly idempotencyKey?: string | undefined
  /** 30 s unless given. */
  readonly timeoutMs?: number | undefined
}

/** A JSON request; never throws (status 0: transport error or timeout). */
export const http = async (method: string, url: string, options: CallOptions = {}): Promise<Answer> => {
  const headers: Record<string, string> = {}
  if (options.body !== undefined) headers["content-type"] = "application/json"
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey
  try {
    const response = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000)
    })
    const text = await response.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {}
    return { status: response.status, body, text }
  } catch (error) {
    return { status: 0, body: null, text: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  }
}

/** A call that must succeed (set-up): throws with the answer otherwise. */
export const must = async <A>(method: string, url: string, options: CallOptions = {}): Promise<A> => {
  const answer = await http(method, url, options)
  if (answer.status < 200 || answer.status > 299)
    throw new Error(`${method} ${url} answered ${answer.status}: ${answer.text.slice(0, 500)}`)
  return answer.body as A
}

/** `code` (or `_tag`) of an error answer. */
export const codeOf = (answer: Answer) => {
  if (answer.status === 0) return "transport"
  const body = answer.body as { code?: unknown; _tag?: unknown; error?: { code?: unknown } } | null
  const code = body?.code ?? body?.error?.code ?? body?._tag
  return typeof code === "string" ? code : "none"
}

/** Runs `f` over `items` with at most `limit` at a time. */
export const pool = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A, i: number) => Promise<B>) => {
  const out = new Array<B>(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await f(items[i] as A, i)
      }
    })
  )
  return out
}

// ---------------------------------------------------------------------------------------------- the REST API

/** A bench account (PASSWORD, name "Bench"): POST /v1/auth/register. */
export const register = (base: string, email: string, accountType: string) =>
  must<{ id: string }>("POST", `${base}/v1/auth/register`, {
    body: { email, password: PASSWORD, name: "Bench", accountType }
  })

/** A bench account's access token: POST /v1/auth/login. */
export const login = async (base: string, email: string) =>
  (await must<{ accessToken: string }>("POST", `${base}/v1/auth/login`, { body: { email, password: PASSWORD } }))
    .accessToken

/** The stamps (the caller's clock, ms) and the outcome of one purchase. */
export interface Purchase {
  orderId: string | null
  holdStart: number | null
  checkoutStart: number | null
  checkoutEnd: number | null
  payEnd: number | null
  /** The first step that failed; null while none did. */
  failure: string | null
}

/** A purchase not started yet. */
export const newPurchase = (): Purchase => ({
  orderId: null,
  holdStart: null,
  checkoutStart: null,
  checkoutEnd: null,
  payEnd: null,
  failure: null
})

/**
 * Hold → checkout → pay with the success card, stamping `rec` with `clock`. Stops at the first step that fails with
 * `rec.failure` set; `rec.payEnd` is set once the payment was tried, whatever its answer.
 */
export const purchase = async (
  base: string,
  token: string,
  item: { readonly eventId: string; readonly ticketTypeId: string; readonly quantity: number },
  rec: Purchase,
  clock: () => number
) => {
  rec.holdStart = clock()
  const hold = await http("POST", `${base}/v1/reservations`, {
    token,
    idempotencyKey: randomUUID(),
    body: { eventId: item.eventId, items: [{ ticketTypeId: item.ticketTypeId, quantity: item.quantity }] }
  })
  if (hold.status !== 201) {
    rec.failure = `hold ${hold.status} ${codeOf(hold)}`
    return
  }
  const reservationId = (hold.body as { id: string }).id

  rec.checkoutStart = clock()
  const checkout = await http("POST", `${base}/v1/reservations/${reservationId}/checkout`, {
    token,
    idempotencyKey: randomUUID()
  })
  rec.checkoutEnd = clock()
  if (checkout.status !== 202) {
    rec.failure = `checkout ${checkout.status} ${codeOf(checkout)}`
    return
  }
  const started = checkout.body as { orderId: string; payment: { confirmUrl: string } | null }
  rec.orderId = started.orderId
  if (started.payment === null) {
    rec.failure = "checkout without payment"
    return
  }

  const pay = await http("POST", started.payment.confirmUrl, { body: { card: CARD } })
  rec.payEnd = clock()
  if (pay.status !== 200) rec.failure = `pay ${pay.status} ${codeOf(pay)}`
}

// ---------------------------------------------------------------------------------------------- statistics

export const sortedOf = (values: ReadonlyArray<number>) => Float64Array.from(values).sort()

/** n, p50, p95, max and mean of `values` (nearest rank), with the minimum and the p99 where asked for. */
export const summary = (
  values: ReadonlyArray<number>,
  extra: { readonly min?: boolean; readonly p99?: boolean } = {}
) => {
  const sorted = sortedOf(values)
  const n = sorted.length
  const at = (p: number) => (n === 0 ? null : percentile(sorted, p))
  return {
    n,
    ...(extra.min ? { min: n === 0 ? null : (sorted[0] ?? null) } : {}),
    p50: at(0.5),
    p95: at(0.95),
    ...(extra.p99 ? { p99: at(0.99) } : {}),
    max: n === 0 ? null : (sorted[n - 1] ?? null),
    mean: n === 0 ? null : sorted.reduce((a, b) => a + b, 0) / n
  }
}

export const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b)
export const defined = <A>(xs: ReadonlyArray<A | null>): Array<A> => xs.filter((x): x is A => x !== null)

// ---------------------------------------------------------------------------------------------- results

export interface Check {
  readonly check: string
  readonly ok: boolean
  readonly detail: string
}

/** `n` with `digits` decimals and thousands separators; "—" when there is no number. */
export const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n)
    ? "—"
    : n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

/** bench/results/<file>: `report` as indented JSON, every fractional number rounded to 2 decimals. */
export const writeResults = (file: string, report: unknown) =>
  writeFileSync(
    join(resultsDir, file),
    `${JSON.stringify(
      report,
      (_, v: unknown) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v),
      2
    )}\n`
  )

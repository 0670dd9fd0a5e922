import { execFile } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import pg from "pg"
import { freePort, type Processes, repoRoot } from "./Processes.ts"
import { serverUrl } from "./TestDatabase.ts"

/*
 * The split deployment as processes on the real PostgreSQL and Redis, for suites that run REST flows against it:
 * a database of its own, the sandbox payment provider (its webhooks to the gateway), ROLE=booking with its RPC
 * listener, the gateway's service key made as an operator makes it, ROLE=gateway, and the worker.
 */

export const SPLIT_SECRETS = {
  jwt: "split-test-secret-split-test-secret-0123456789",
  paymentWebhook: "whsec_goticket_sandbox"
} as const

export interface SplitTopology {
  readonly gatewayBase: string
  readonly bookingRpc: { readonly url: string; readonly key: string }
  readonly database: { readonly admin: string; readonly name: string; readonly url: string }
}

const onServer = async (url: string, statement: string) => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** `npm run service-keys -- create …` as an operator runs it; the key it prints once. */
const createServiceKey = (env: Record<string, string>) =>
  new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ["scripts/service-keys.ts", "create", "gateway", "booking:write"],
      { cwd: repoRoot, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const key = stdout.split("\n").find((line) => line.startsWith("gtk_"))
        if (error || key === undefined) reject(new Error(`service-keys failed: ${error ?? ""} ${stdout} ${stderr}`))
        else resolve(key.trim())
      }
    )
  )

/**
 * Starts gateway + booking + worker (and the sandbox provider) under `procs`. `shared` adds settings for every role
 * (e.g. ADMIN_EMAIL), `booking` for the booking role only. Stop it with `stopSplitTopology`.
 */
export const startSplitTopology = async (
  procs: Processes,
  redisUrl: string,
  options: { readonly shared?: Record<string, string>; readonly booking?: Record<string, string> } = {}
): Promise<SplitTopology> => {
  const admin = serverUrl()
  const name = `goticket_split_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const url = new URL(admin)
  url.pathname = `/${name}`
  const database = { admin, name, url: url.toString() }
  await onServer(admin, `CREATE DATABASE ${name}`)
  try {
    return await startRoles(procs, redisUrl, database, options)
  } catch (error) {
    await stopSplitTopology(procs, { gatewayBase: "", bookingRpc: { url: "", key: "" }, database })
    throw error
  }
}

const startRoles = async (
  procs: Processes,
  redisUrl: string,
  database: SplitTopology["database"],
  options: { readonly shared?: Record<string, string>; readonly booking?: Record<string, string> }
): Promise<SplitTopology> => {
  const [sandboxPort, gatewayPort, bookingPort, rpcPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort()
  ])
  const gatewayBase = `http://127.0.0.1:${gatewayPort}`
  const sandboxBase = `http://127.0.0.1:${sandboxPort}`
  const sandbox = procs.spawn("sandbox", "src/payment-sandbox.ts", {
    SANDBOX_HOST: "127.0.0.1",
    SANDBOX_PORT: String(sandboxPort),
    // The provider calls the public edge, the gateway, which hands the webhook to the booking role.
    SANDBOX_WEBHOOK_URL: `${gatewayBase}/v1/payments/webhook`
  })
  const shared = {
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    HOST: "127.0.0.1",
    JWT_SECRET: SPLIT_SECRETS.jwt,
    SEED_DEMO: "false",
    SCRYPT_LOG2_N: "10",
    RATE_LIMITS: "off",
    EMAIL_VERIFICATION: "off",
    LOG_LEVEL: "Warn",
    PAYMENT_PROVIDER_URL: sandboxBase,
    PAYMENT_API_KEY: "sk_test_goticket",
    PAYMENT_WEBHOOK_SECRET: SPLIT_SECRETS.paymentWebhook,
    ...options.shared
  }
  const dataDir = () => mkdtempSync(join(tmpdir(), "goticket-split-"))
  await procs.waitReady(sandbox, `${sandboxBase}/health`, 30_000)
  const booking = procs.spawn("booking", "src/main.ts", {
    ...shared,
    ROLE: "booking",
    PORT: String(bookingPort),
    RPC_PORT: String(rpcPort),
    RPC_HOST: "127.0.0.1",
    GOTICKET_DATA_DIR: dataDir(),
    ...options.booking
  })
  await procs.waitReady(booking, `http://127.0.0.1:${bookingPort}/health/ready`, 60_000)
  const key = await createServiceKey({ DATABASE_URL: database.url, LOG_LEVEL: "Warn" })
  const gateway = procs.spawn("gateway", "src/main.ts", {
    ...shared,
    ROLE: "gateway",
    PORT: String(gatewayPort),
    BOOKING_RPC_URL: `http://127.0.0.1:${rpcPort}`,
    BOOKING_SERVICE_KEY: key,
    GOTICKET_DATA_DIR: dataDir()
  })
  procs.spawn("worker", "src/worker.ts", { ...shared, PORT: String(gatewayPort), GOTICKET_DATA_DIR: dataDir() })
  await procs.waitReady(gateway, `${gatewayBase}/health/ready`, 60_000)
  return { gatewayBase, bookingRpc: { url: `http://127.0.0.1:${rpcPort}`, key }, database }
}

/** Stops every process and drops the topology's database. */
export const stopSplitTopology = async (procs: Processes, topology: SplitTopology | undefined) => {
  await procs.killAll()
  if (topology)
    await onServer(topology.database.admin, `DROP DATABASE IF EXISTS ${topology.database.name} WITH (FORCE)`).catch(
      () => {}
    )
}

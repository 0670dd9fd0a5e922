import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort, Processes, type Spawned } from "./Processes.ts"
import { eventBody } from "./TestServer.ts"

/**
 * What the out-of-process tests (test/crash/) share: the service (`node src/main.ts`) and the sandbox payment
 * provider (`src/payment-sandbox.ts`) as processes of their own, plain HTTP calls to both, accounts and a sale, and
 * the per-order diagnostics printed when a check fails.
 */

export const PAID = "4242424242424242"
export const DECLINED = "4000000000000002"
/** Authorised after the sandbox's delay (SANDBOX_DELAY_MS), not at once. */
export const DELAYED = "4000000000003220"
export const SANDBOX_KEY = "sk_test_goticket"

export interface Reply {
  readonly status: number
  // biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
  readonly body: any
}

export const call = async (
  url: string,
  method: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}
): Promise<Reply> => {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(url, {
    method,
    headers,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = text === "" ? null : JSON.parse(text)
  } catch {}
  return { status: response.status, body }
}

export type CallOptions = Parameters<typeof call>[2]

export const expectStatus = (reply: Reply, status: number | ReadonlyArray<number>, what: string) => {
  const wanted = typeof status === "number" ? [status] : status
  if (!wanted.includes(reply.status))
    throw new Error(`${what}: expected ${wanted.join(" or ")}, got ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body
}

/** Value → how many times, as "a 3, b 1". */
export const counts = (values: ReadonlyArray<string>) =>
  Object.entries(
    values.reduce<Record<string, number>>((acc, v) => {
      acc[v] = (acc[v] ?? 0) + 1
      return acc
    }, {})
  )
    .map(([k, n]) => `${k} ${n}`)
    .join(", ")

export interface SandboxOptions {
  readonly delayMs: number
  readonly duplicateRate: number
  readonly reorder: boolean
}

/** The service and the sandbox as processes: start, kill, call. */
export class ServiceUnderFire {
  readonly procs = new Processes()
  sandboxBase = ""
  serviceBase = ""
  service: Spawned | undefined
  private serviceEnv: Record<string, string> = {}
  private accounts = 0
  /** The service's own files (its mails; the embedded database when there is no DATABASE_URL). */
  readonly dataDir = mkdtempSync(join(tmpdir(), "goticket-fire-"))

  /** Picks the ports, starts the sandbox (its webhooks aimed at the service) and the service over `databaseEnv`. */
  async start(databaseEnv: Record<string, string>, sandbox: SandboxOptions, env: Record<string, string> = {}) {
    const sandboxPort = await freePort()
    let servicePort = await freePort()
    while (servicePort === sandboxPort) servicePort = await freePort()
    this.sandboxBase = `http://127.0.0.1:${sandboxPort}`
    this.serviceBase = `http://127.0.0.1:${servicePort}`
    const sandboxProcess = this.procs.spawn("sandbox", "src/payment-sandbox.ts", {
      SANDBOX_HOST: "127.0.0.1",
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_WEBHOOK_URL: `${this.serviceBase}/v1/payments/webhook`,
      SANDBOX_DELAY_MS: String(sandbox.delayMs),
      SANDBOX_DUPLICATE_RATE: String(sandbox.duplicateRate),
      SANDBOX_REORDER: String(sandbox.reorder),
      LOG_LEVEL: "Info"
    })
    this.serviceEnv = {
      GOTICKET_DATA_DIR: this.dataDir,
      ...databaseEnv,
      HOST: "127.0.0.1",
      PORT: String(servicePort),
      JWT_SECRET: "crash-test-secret-crash-test-secret-0123456789",
      SEED_DEMO: "false",
      SCRYPT_LOG2_N: "10",
      // Every customer calls from 127.0.0.1: the per-address limits would stop the test, not the fault.
      RATE_LIMITS: "off",
      EMAIL_VERIFICATION: "off",
      LOG_LEVEL: process.env.CRASH_LOG_LEVEL ?? "Info",
      WORKFLOW_POLL_INTERVAL_MS: "200",
      CHECKOUT_PAYMENT_WINDOW_SECONDS: "300",
      PAYMENT_PROVIDER_URL: this.sandboxBase,
      PAYMENT_API_KEY: SANDBOX_KEY,
      PAYMENT_WEBHOOK_SECRET: "whsec_goticket_sandbox",
      ...env
    }
    await this.procs.waitReady(sandboxProcess, `${this.sandboxBase}/health`, 30_000)
    await this.startService()
  }

  /** Kills every process and removes the service's files (`keep`: leaves them, for a post-mortem). */
  async stop(keep = false) {
    await this.procs.killAll()
    if (!keep) rmSync(this.dataDir, { recursive: true, force: true })
  }

  /** Starts the service; answers how long it took to be ready. */
  async startService() {
    this.service = this.procs.spawn("service", "src/main.ts", this.serviceEnv)
    return this.procs.waitReady(this.service, `${this.serviceBase}/health/ready`, 45_000)
  }

  /** SIGKILLs the service; answers how long it took to be gone. */
  async killService() {
    const start = Date.now()
    if (this.service !== undefined) await this.procs.kill(this.service, "SIGKILL")
    return Date.now() - start
  }

  api(method: string, path: string, options: CallOptions = {}) {
    return call(`${this.serviceBase}${path}`, method, options)
  }

  /** A new account of that type, logged in: its access token. */
  async account(accountType: "customer" | "organizer") {
    const email = `${accountType}-${++this.accounts}-${crypto.randomUUID().slice(0, 8)}@example.com`
    const password = "correct-horse-battery"
    const body = { email, password, name: accountType, accountType }
    expectStatus(await this.api("POST", "/v1/auth/register", { body }), 201, "register")
    const login = expectStatus(await this.api("POST", "/v1/auth/login", { body: { email, password } }), 200, "login")
    return login.accessToken as string
  }

  /** A published event with one general-admission type: its id and the type's id. */
  async sale(
    organizer: string,
    ticketType: {
      priceMinor: number
      capacity: number
      maxPerOrder?: number
      attendeeNames?: "off" | "optional" | "required"
    }
  ) {
    const event = expectStatus(
      await this.api("POST", "/v1/events", { token: organizer, body: eventBody() }),
      201,
      "event"
    )
    const ga = expectStatus(
      await this.api("POST", `/v1/events/${event.id}/ticket-types`, {
        token: organizer,
        body: { name: "GA", currency: "EUR", maxPerOrder: 10, ...ticketType }
      }),
      201,
      "ticket type"
    )
    expectStatus(await this.api("POST", `/v1/events/${event.id}/publish`, { token: organizer }), 200, "publish")
    return { eventId: event.id as string, ticketTypeId: ga.id as string }
  }

  /** The sandbox's money counters: {capturedMinor, refundedMinor, intents, captures, refunds}. */
  async balance() {
    const reply = await call(`${this.sandboxBase}/v1/balance`, "GET", {
      headers: { authorization: `Bearer ${SANDBOX_KEY}` }
    })
    return expectStatus(reply, 200, "balance") as {
      capturedMinor: number
      refundedMinor: number
      intents: number
      captures: number
      refunds: number
    }
  }

  /** An intent as the provider has it (status, capturedMinor, refundedMinor…), or the failed reply. */
  async intent(intentId: string): Promise<Reply["body"]> {
    const reply = await call(`${this.sandboxBase}/v1/payment_intents/${intentId}`, "GET", {
      headers: { authorization: `Bearer ${SANDBOX_KEY}` }
    }).catch((error) => ({ status: 0, body: String(error) }))
    return reply.status === 200 ? reply.body : { status: `unreadable (${reply.status} ${JSON.stringify(reply.body)})` }
  }

  /** Per order: its card, status and tickets, and the provider's intent. */
  async diagnostics(
    checkouts: ReadonlyArray<{ readonly orderId: string; readonly intentId: string; readonly card: string }>,
    orders: ReadonlyMap<string, Reply["body"]>
  ) {
    const lines = await Promise.all(
      checkouts.map(async (c) => {
        const order = orders.get(c.orderId)
        const intent = await this.intent(c.intentId)
        return (
          `order ${c.orderId} card ${c.card}: ${order?.status} (${order?.cancelReason ?? "-"}), ` +
          `${order?.tickets?.length ?? "?"} tickets; intent ${c.intentId}: ${intent?.status} ` +
          `captured ${intent?.capturedMinor} refunded ${intent?.refundedMinor}`
        )
      })
    )
    return lines.join("\n")
  }
}

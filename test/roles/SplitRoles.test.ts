import { Effect, Exit, Scope } from "effect"
import pg from "pg"
import { afterAll, beforeAll, expect, it } from "vitest"
import { freePort, Processes, sleep } from "../support/Processes.ts"
import { promtool, promtoolFound } from "../support/Promtool.ts"
import { describeWithRabbitMq, isolatedTopology } from "../support/RabbitMq.ts"
import { dropQueuesWithPrefix } from "../support/RabbitMqCleanup.ts"
import { type SmtpSinkShape, startSmtpSink } from "../support/SmtpSink.ts"
import { databaseTarget, serverUrl } from "../support/TestDatabase.ts"
import { eventBody } from "../support/TestServer.ts"

/*
 * The two roles as separate processes, as a deployment runs them: the API with ROLE=api publishes nothing and mails
 * nothing itself; `npm run worker` (src/worker.ts) next to it relays the outbox and runs the consumers.
 */

const SANDBOX_KEY = "sk_test_goticket"
const procs = new Processes()
const scope = Effect.runSync(Scope.make())
const topology = isolatedTopology()
let sink: SmtpSinkShape
let env: Record<string, string> = {}
let base = ""
let database: { admin: string; name: string; url: string } | undefined
let probe: pg.Client | undefined

const call = async (method: string, path: string, options: { token?: string; body?: unknown } = {}) => {
  const headers: Record<string, string> = { "idempotency-key": crypto.randomUUID() }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    signal: AbortSignal.timeout(10_000),
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? null : JSON.parse(text) }
}

const account = async (accountType: "customer" | "organizer") => {
  const email = `${accountType}-${crypto.randomUUID().slice(0, 8)}@example.com`
  const password = "correct-horse-battery"
  expect(
    (await call("POST", "/v1/auth/register", { body: { email, password, name: accountType, accountType } })).status
  ).toBe(201)
  const login = await call("POST", "/v1/auth/login", { body: { email, password } })
  return { email, token: login.body.accessToken as string }
}

const unsent = async () =>
  Number((await probe?.query("SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL"))?.rows[0].n)

const onServer = async (url: string, statement: string) => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

const target = await Effect.runPromise(databaseTarget)

await describeWithRabbitMq("split roles: ROLE=api and npm run worker as separate processes", (amqpUrl) => {
  beforeAll(async () => {
    if (target !== "server") return
    sink = await Effect.runPromise(Scope.provide(scope)(startSmtpSink()))
    const [sandboxPort, apiPort] = [await freePort(), await freePort()]
    base = `http://127.0.0.1:${apiPort}`
    const sandboxBase = `http://127.0.0.1:${sandboxPort}`
    const admin = serverUrl()
    const name = `goticket_roles_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    const url = new URL(admin)
    url.pathname = `/${name}`
    database = { admin, name, url: url.toString() }
    await onServer(admin, `CREATE DATABASE ${name}`)
    probe = new pg.Client({ connectionString: database.url })
    await probe.connect()
    const sandbox = procs.spawn("sandbox", "src/payment-sandbox.ts", {
      SANDBOX_HOST: "127.0.0.1",
      SANDBOX_PORT: String(sandboxPort),
      SANDBOX_WEBHOOK_URL: `${base}/v1/payments/webhook`
    })
    env = {
      DATABASE_URL: database.url,
      AMQP_URL: amqpUrl,
      AMQP_EXCHANGE: topology.exchange,
      AMQP_QUEUE_PREFIX: topology.queuePrefix,
      SMTP_URL: sink.url,
      HOST: "127.0.0.1",
      PORT: String(apiPort),
      JWT_SECRET: "roles-test-secret-roles-test-secret-0123456789",
      SEED_DEMO: "false",
      SCRYPT_LOG2_N: "10",
      RATE_LIMITS: "off",
      EMAIL_VERIFICATION: "off",
      LOG_LEVEL: "Warn",
      PAYMENT_PROVIDER_URL: sandboxBase,
      PAYMENT_API_KEY: SANDBOX_KEY,
      PAYMENT_WEBHOOK_SECRET: "whsec_goticket_sandbox"
    }
    await procs.waitReady(sandbox, `${sandboxBase}/health`, 30_000)
    await procs.waitReady(procs.spawn("api", "src/main.ts", { ...env, ROLE: "api" }), `${base}/health/ready`, 45_000)
  }, 90_000)

  afterAll(async () => {
    await procs.killAll()
    await probe?.end().catch(() => undefined)
    if (database)
      await onServer(database.admin, `DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`).catch(() => {})
    await dropQueuesWithPrefix(amqpUrl, topology)
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }, 60_000)

  it.skipIf(target !== "server")(
    `the API alone sells and keeps the events in its outbox; the worker then mails the tickets and counts the sale${
      target === "server"
        ? ""
        : " [skipped: two processes need a PostgreSQL server; the embedded database is one process's]"
    }`,
    async () => {
      try {
        const organizer = await account("organizer")
        const event = (await call("POST", "/v1/events", { token: organizer.token, body: eventBody() })).body
        const ga = (
          await call("POST", `/v1/events/${event.id}/ticket-types`, {
            token: organizer.token,
            body: { name: "GA", priceMinor: 2500, currency: "EUR", capacity: 10, maxPerOrder: 5 }
          })
        ).body
        expect((await call("POST", `/v1/events/${event.id}/publish`, { token: organizer.token })).status).toBe(200)
        const buyer = await account("customer")
        const hold = await call("POST", "/v1/reservations", {
          token: buyer.token,
          body: { eventId: event.id, items: [{ ticketTypeId: ga.id, quantity: 2 }] }
        })
        expect(hold.status).toBe(201)
        const checkout = await call("POST", `/v1/reservations/${hold.body.id}/checkout`, { token: buyer.token })
        expect(checkout.status).toBe(202)
        const paid = await fetch(checkout.body.payment.confirmUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ card: "4242424242424242" })
        })
        expect(paid.status).toBe(200)
        let order = (await call("GET", `/v1/orders/${checkout.body.orderId}`, { token: buyer.token })).body
        for (let i = 0; i < 300 && order.status === "pending_payment"; i++) {
          await sleep(50)
          order = (await call("GET", `/v1/orders/${checkout.body.orderId}`, { token: buyer.token })).body
        }
        expect(order.status).toBe("confirmed")

        // The API process relays nothing: its events wait, nobody is mailed, nothing is counted.
        await sleep(1_500)
        expect(await unsent()).toBeGreaterThan(0)
        expect((await Effect.runPromise(sink.messages)).length).toBe(0)
        const before = await call("GET", `/v1/events/${event.id}/stats`, { token: organizer.token })
        expect(before.body.totals.sold).toBe(0)

        // The worker takes over: the outbox drains, the mail goes out, the sale is counted.
        const metricsPort = await freePort()
        procs.spawn("worker", "src/worker.ts", { ...env, WORKER_METRICS_PORT: String(metricsPort) })
        const mails = await Effect.runPromise(sink.awaitMessages(1, "30 seconds"))
        expect(mails[0]?.rcptTo).toEqual([buyer.email])
        let stats = before
        for (let i = 0; i < 200 && stats.body.totals.sold !== 2; i++) {
          await sleep(50)
          stats = await call("GET", `/v1/events/${event.id}/stats`, { token: organizer.token })
        }
        expect(stats.body.totals).toMatchObject({ sold: 2, grossMinor: 5000 })
        for (let i = 0; i < 100 && (await unsent()) > 0; i++) await sleep(50)
        expect(await unsent()).toBe(0)

        // The worker has no API, but Prometheus can scrape it: its consumers counted the sale's events.
        const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
        expect(scraped.status).toBe(200)
        const text = await scraped.text()
        expect(text).toMatch(/goticket_events_handled_total\{[^}]*consumer="notifications"[^}]*\} [1-9]/)
        if (promtoolFound) promtool(["check", "metrics"], text)
      } catch (error) {
        console.error(procs.logs(300))
        throw error
      }
    },
    90_000
  )
})

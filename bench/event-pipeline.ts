/**
 * Event pipeline benchmark: `npm run bench:events` (the `servers` configuration needs PostgreSQL at DATABASE_URL or
 * postgres://postgres@127.0.0.1:5432 and RabbitMQ at AMQP_URL or amqp://guest:guest@127.0.0.1:5672).
 *
 * How fast the domain events of a purchase reach their consumers. Like bench/checkout.ts it starts the sandbox PSP
 * as its own process (src/payment-sandbox.ts) and the service as one process (src/main.ts), in two configurations
 * one after the other:
 *
 *   embedded  nothing configured, as `npm start` runs: PGlite in a temporary GOTICKET_DATA_DIR, the in-process bus,
 *             mail written as .eml files under <data dir>/mail (watched with fs.watch, and listed every 10 ms);
 *   servers   DATABASE_URL on a fresh database of the local PostgreSQL (dropped afterwards), AMQP_URL with an exchange
 *             and queue prefix of its own (deleted afterwards), SMTP_URL at an SMTP server inside this process
 *             (`smtp-server`, as test/support/SmtpSink.ts) that timestamps each message when its DATA ends.
 *
 * Through the REST API: an organizer publishes one event with one GA ticket type per order (so that the organizer's
 * GET /v1/events/{id}/stats tells which order was counted), N customers (40) buy 1–2 tickets each, C at a time (4):
 * hold, check out, pay with the success card, poll GET /v1/orders/{id} every 10 ms until `confirmed`. Meanwhile the
 * organizer polls the stats every 10 ms. Per order it records when the customer saw `confirmed`, when the
 * confirmation mail to the buyer's address arrived, and when the stats first counted all of the order's tickets;
 * it reports p50/p95/max of confirmation → mail and confirmation → stats (also from the server's `confirmedAt`).
 * One order before the clock starts pays the service's start-up costs (first saga, first mail); it is reported
 * apart.
 *
 * Servers only: the outbox relay's publishing rate. 2,000 ReservationCreated events are written in one transaction
 * through `outbox_write` (the function the triggers call), then `SELECT count(*) FROM outbox WHERE sent_at IS NULL`
 * is sampled until it is 0 (relay: published to RabbitMQ with confirms and marked sent), and the organizer-webhooks
 * consumer's counters in /metrics (handled, skipped or duplicate) until they have grown by all of them (consumed).
 *
 * Writes bench/results/event-pipeline.json and prints a summary; exits non-zero when an order was not confirmed or
 * its mail or stats never came.
 *
 * Servers only, `sale`: a flash sale's backlog (see runSale below): SALE customers buy at once, then the report gives
 * how long the pipeline's backlog lasts after the last confirmation and the service's CPU per order and per event
 * (over the drain, and over the sale and its drain), its transactions per order, and its idle CPU.
 *
 * Options (argument or environment): --orders / BENCH_ORDERS (40), --concurrency / BENCH_CONCURRENCY (4),
 * --poll-ms / BENCH_POLL_MS (10), --configs / BENCH_CONFIGS ("embedded,servers,sale"), --burst / BENCH_OUTBOX_BURST
 * (2000; 0 skips it), --sale / BENCH_SALE_ORDERS (100; 0 skips it), --sale-buses / BENCH_SALE_BUSES ("in-process";
 * also "rabbitmq"), --sale-modes / BENCH_SALE_MODES ("together"; "split" see below), --statement-log /
 * BENCH_STATEMENT_LOG, --seed / BENCH_SEED, --keep-db / BENCH_KEEP_DB=1.
 */
import { execFileSync } from "node:child_process"
import {
  closeSync,
  type FSWatcher,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
  watch
} from "node:fs"
import { readFile } from "node:fs/promises"
import { createServer as createHttpServer } from "node:http"
import type { AddressInfo } from "node:net"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { setTimeout as sleep } from "node:timers/promises"
import * as amqp from "amqplib"
import pg from "pg"
import { SMTPServer } from "smtp-server"
import { queuesOf } from "../src/services/events/rabbitmq/Topology.ts"
import {
  adminUrl,
  bump,
  commandLine,
  databaseUrl,
  defined,
  diff,
  fmt,
  http,
  login,
  logSummary,
  must,
  newPurchase,
  type Proc,
  type Purchase,
  pool,
  purchase,
  register,
  serviceEnv,
  startNode,
  startSandbox,
  summary,
  tmpDir,
  waitReady,
  writeResults
} from "./harness.ts"
import { seededRandom } from "./load.ts"
import { cpuMs, freePort, stop } from "./system.ts"

// ---------------------------------------------------------------------------------------------- options

const args = commandLine([
  "orders",
  "concurrency",
  "poll-ms",
  "configs",
  "burst",
  "seed",
  "sale",
  "sale-buses",
  "sale-modes",
  "statement-log"
])

type ConfigName = "embedded" | "servers" | "sale"
/** The sale's bus: the in-process one (no AMQP_URL, as bench:checkout runs) or RabbitMQ. */
type SaleBus = "in-process" | "rabbitmq"
/**
 * split: an API process (ROLE=api) takes the sale while a worker process (src/worker.ts) waits stopped (SIGSTOP),
 * then drains the backlog alone: what the pipeline costs, measured apart. together: one process (ROLE=all, the
 * default) takes the sale and runs the pipeline meanwhile: how long the backlog lasts after the sale.
 * Caution, split: the saga engine runs in every process, the stopped worker's included, and orders it would drive
 * wait for it (measured: 18 of 200 confirmed during the sale, the rest once it went on), so the sale itself is not
 * representative; its drain figures still are the pipeline's alone.
 */
type SaleMode = "split" | "together"
const ORDERS = args.integer("orders", "BENCH_ORDERS", "40", 1, 10_000)
const CONCURRENCY = args.integer("concurrency", "BENCH_CONCURRENCY", "4", 1, 256)
const POLL_MS = args.integer("poll-ms", "BENCH_POLL_MS", "10", 1, 10_000)
const CONFIGS = args
  .text("configs", "BENCH_CONFIGS", "embedded,servers,sale")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s.length > 0)
  .map((s): ConfigName => {
    if (s !== "embedded" && s !== "servers" && s !== "sale") throw new Error(`configs: unknown configuration ${s}`)
    return s
  })
const BURST = args.integer("burst", "BENCH_OUTBOX_BURST", "2000", 0, 1_000_000)
const SEED = args.integer("seed", "BENCH_SEED", "20261126", 0, 2 ** 31)
const KEEP_DB = args.keepDb
/** The sale: this many customers at once (0 skips it). */
const SALE = args.integer("sale", "BENCH_SALE_ORDERS", "100", 0, 10_000)
const SALE_BUSES = args
  .text("sale-buses", "BENCH_SALE_BUSES", "in-process")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s.length > 0)
  .map((s): SaleBus => {
    if (s !== "in-process" && s !== "rabbitmq") throw new Error(`sale-buses: unknown bus ${s}`)
    return s
  })
const SALE_MODES = args
  .text("sale-modes", "BENCH_SALE_MODES", "together")
  .split(",")
  .map((s) => s.trim())
  .filter((s) => s.length > 0)
  .map((s): SaleMode => {
    if (s !== "split" && s !== "together") throw new Error(`sale-modes: unknown mode ${s}`)
    return s
  })
/** PostgreSQL's log file (readable here): the sale's database logs every statement and the bench counts them. */
const STATEMENT_LOG = args.text("statement-log", "BENCH_STATEMENT_LOG", "") || null
/** BENCH_WORKER_NODE_ARGS: node arguments of the sale's worker process (e.g. --cpu-prof --cpu-prof-dir=/tmp/x). */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "")

const TARGET_MS = 1_000 // "a purchase produces the confirmation mail and updates the stats within a second"
const ORDER_TIMEOUT_MS = 60_000
const READY_TIMEOUT_MS = 180_000 // the sandbox's and the service's start-up
const ARRIVAL_TIMEOUT_MS = 30_000
const BURST_TIMEOUT_MS = 120_000
const BURST_SAMPLE_MS = 10
const PRICE_MINOR = 2_500
const CURRENCY = "EUR"
const MAX_PER_ORDER = 2
const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672"
/** The service's consumers and their retry delays (CONSUMER_RETRY_BASE_MS default 1000: ×1, ×5, ×25, ×125). */
const CONSUMERS = ["notifications", "sales-stats", "organizer-webhooks"]
const RETRY_DELAYS = [1_000, 5_000, 25_000, 125_000]

const stamp = Date.now()

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with the server's timestamps (same machine). */
const now = () => performance.timeOrigin + performance.now()

// ---------------------------------------------------------------------------------------------- mail

/** Where the bench sees the service's mail arrive: the first arrival per recipient address, and its subject. */
interface MailWatch {
  /** Recipient address (lower case) → arrival (now()) and subject of the first mail to it. */
  readonly arrivals: Map<string, { at: number; subject: string }>
  readonly received: () => number
  readonly close: () => Promise<void>
  /** For the servers configuration: the SMTP_URL to give the service. */
  readonly url: string | null
}

const subjectOf = (raw: string) => /^Subject: (.*)$/im.exec(raw)?.[1]?.trim() ?? ""
const recipientsOf = (raw: string) => {
  const header = /^To: (.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1] ?? ""
  return [...header.matchAll(/[^\s<>,"]+@[^\s<>,"]+/g)].map((m) => m[0].toLowerCase())
}

/** An SMTP server in this process that takes every message (no AUTH, no STARTTLS), stamped when its DATA ends. */
const startSmtpSink = async (): Promise<MailWatch> => {
  const arrivals = new Map<string, { at: number; subject: string }>()
  let received = 0
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS", "AUTH"],
    authOptional: true,
    logger: false,
    closeTimeout: 100,
    onData: (stream, session, callback) => {
      const chunks: Array<Buffer> = []
      stream.on("data", (chunk: Buffer) => chunks.push(chunk))
      stream.on("error", (error) => callback(error))
      stream.on("end", () => {
        const at = now()
        received++
        const subject = subjectOf(Buffer.concat(chunks).toString("utf8"))
        for (const rcpt of session.envelope.rcptTo) {
          const address = rcpt.address.toLowerCase()
          if (!arrivals.has(address)) arrivals.set(address, { at, subject })
        }
        callback()
      })
    }
  })
  server.on("error", () => {})
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve((server.server.address() as AddressInfo).port))
  })
  return {
    arrivals,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    url: `smtp://127.0.0.1:${port}`
  }
}

/**
 * The file mailer's directory: an .eml file appears by rename once written and flushed (MailerFile), which fs.watch
 * reports at once; a listing every POLL_MS catches anything the watcher missed. Arrival = when the bench saw it.
 */
const watchMailDirectory = (directory: string): MailWatch => {
  mkdirSync(directory, { recursive: true })
  const arrivals = new Map<string, { at: number; subject: string }>()
  const seen = new Set<string>()
  let received = 0
  const found = (name: string, at: number) => {
    if (!name.endsWith(".eml") || name.startsWith(".") || seen.has(name)) return
    seen.add(name)
    received++
    void readFile(join(directory, name), "utf8").then(
      (raw) => {
        const subject = subjectOf(raw)
        for (const address of recipientsOf(raw)) if (!arrivals.has(address)) arrivals.set(address, { at, subject })
      },
      () => seen.delete(name)
    )
  }
  const watcher: FSWatcher = watch(directory, (_event, name) => {
    if (typeof name === "string") found(name, now())
  })
  watcher.on("error", () => {})
  let open = true
  const listing = (async () => {
    while (open) {
      const at = now()
      for (const name of readdirSync(directory)) found(name, at)
      await sleep(POLL_MS)
    }
  })()
  return {
    arrivals,
    received: () => received,
    close: async () => {
      open = false
      watcher.close()
      await listing
    },
    url: null
  }
}

// ---------------------------------------------------------------------------------------------- the sale

interface Customer {
  readonly id: string
  readonly email: string
  readonly token: string
}

interface Sale {
  readonly eventId: string
  readonly organizerToken: string
  /** Ticket type i is bought by order i only (the last one by the warm-up order). */
  readonly ticketTypeIds: ReadonlyArray<string>
  readonly customers: ReadonlyArray<Customer>
}

/** Through the REST API: an organizer, a published event with `orders` GA ticket types, `orders` customers. */
const setUpSale = async (base: string, label: string, orders: number): Promise<Sale> => {
  const organizerEmail = `organizer-${label}-${stamp}@bench.goticket.dev`
  await register(base, organizerEmail, "organizer")
  const organizerToken = await login(base, organizerEmail)
  const startsAt = new Date(Date.now() + 30 * 86_400_000).toISOString()
  const event = await must<{ id: string }>("POST", `${base}/v1/events`, {
    token: organizerToken,
    body: {
      title: `Event pipeline bench (${label})`,
      venue: { name: "Bench Hall", timezone: "Europe/Paris" },
      startsAt
    }
  })
  const ticketTypeIds: Array<string> = []
  for (let i = 0; i < orders; i++) {
    const type = await must<{ id: string }>("POST", `${base}/v1/events/${event.id}/ticket-types`, {
      token: organizerToken,
      body: {
        name: `GA ${i + 1}`,
        priceMinor: PRICE_MINOR,
        currency: CURRENCY,
        capacity: MAX_PER_ORDER,
        maxPerOrder: MAX_PER_ORDER
      }
    })
    ticketTypeIds.push(type.id)
  }
  await must("POST", `${base}/v1/events/${event.id}/publish`, { token: organizerToken })
  const customers = await pool(
    Array.from({ length: orders }, (_, i) => `customer-${label}-${stamp}-${i}@bench.goticket.dev`),
    4,
    async (email): Promise<Customer> => {
      const { id } = await register(base, email, "customer")
      return { id, email, token: await login(base, email) }
    }
  )
  return { eventId: event.id, organizerToken, ticketTypeIds, customers }
}

/** The organizer's view: polls the stats every POLL_MS and stamps when each ticket type first reaches its target. */
const watchStats = (base: string, sale: Sale) => {
  /** Ticket type → tickets the order bought (set before its hold). */
  const expected = new Map<string, number>()
  const countedAt = new Map<string, number>()
  const requestMs: Array<number> = []
  let errors = 0
  let open = true
  const loop = (async () => {
    while (open) {
      const t = now()
      const answer = await http("GET", `${base}/v1/events/${sale.eventId}/stats`, { token: sale.organizerToken })
      const at = now()
      requestMs.push(at - t)
      if (answer.status === 200) {
        const body = answer.body as { ticketTypes: ReadonlyArray<{ ticketTypeId: string; sold: number }> }
        for (const line of body.ticketTypes) {
          const want = expected.get(line.ticketTypeId)
          if (want !== undefined && !countedAt.has(line.ticketTypeId) && line.sold >= want)
            countedAt.set(line.ticketTypeId, at)
        }
      } else errors++
      await sleep(POLL_MS)
    }
  })()
  return {
    expected,
    countedAt,
    requestMs,
    errors: () => errors,
    close: async () => {
      open = false
      await loop
    }
  }
}

// ---------------------------------------------------------------------------------------------- one order

/** now() stamps (ms). */
interface OrderRecord extends Purchase {
  readonly index: number
  readonly email: string
  readonly ticketTypeId: string
  readonly quantity: number
  confirmedSeen: number | null
  /** The server's confirmedAt (from GET /v1/orders/{id}), as epoch ms. */
  serverConfirmedAt: number | null
  mailAt: number | null
  mailSubject: string | null
  statsAt: number | null
  polls: number
}

const newRecord = (sale: Sale, index: number, quantity: number): OrderRecord => ({
  ...newPurchase(),
  index,
  email: (sale.customers[index] as Customer).email.toLowerCase(),
  ticketTypeId: sale.ticketTypeIds[index] as string,
  quantity,
  confirmedSeen: null,
  serverConfirmedAt: null,
  mailAt: null,
  mailSubject: null,
  statsAt: null,
  polls: 0
})

/** Hold → checkout → pay with the success card → poll the order every POLL_MS until it is no longer pending. */
const placeOrder = async (base: string, sale: Sale, rec: OrderRecord): Promise<OrderRecord> => {
  const token = (sale.customers[rec.index] as Customer).token
  const item = { eventId: sale.eventId, ticketTypeId: rec.ticketTypeId, quantity: rec.quantity }
  await purchase(base, token, item, rec, now)
  if (rec.failure !== null || rec.payEnd === null) return rec
  const deadline = rec.payEnd + ORDER_TIMEOUT_MS
  for (;;) {
    const answer = await http("GET", `${base}/v1/orders/${rec.orderId}`, { token })
    const at = now()
    rec.polls++
    if (answer.status === 200) {
      const order = answer.body as { status: string; confirmedAt: string | null; cancelReason: string | null }
      if (order.status === "confirmed") {
        rec.confirmedSeen = at
        rec.serverConfirmedAt = order.confirmedAt === null ? null : Date.parse(order.confirmedAt)
        return rec
      }
      if (order.status !== "pending_payment") {
        rec.failure = `order ${order.status}: ${order.cancelReason ?? "?"}`
        return rec
      }
    }
    if (at >= deadline) {
      rec.failure = `not confirmed after ${ORDER_TIMEOUT_MS / 1000} s`
      return rec
    }
    await sleep(POLL_MS)
  }
}

/** Copies what the watchers saw onto the records. */
const collect = (records: ReadonlyArray<OrderRecord>, mail: MailWatch, stats: { countedAt: Map<string, number> }) => {
  for (const r of records) {
    const arrival = mail.arrivals.get(r.email)
    if (arrival !== undefined) {
      r.mailAt = arrival.at
      r.mailSubject = arrival.subject
    }
    r.statsAt = stats.countedAt.get(r.ticketTypeId) ?? null
  }
}

/** Waits until every confirmed order has its mail and its stats (or ARRIVAL_TIMEOUT_MS). */
const awaitArrivals = async (
  records: ReadonlyArray<OrderRecord>,
  mail: MailWatch,
  stats: { countedAt: Map<string, number> }
) => {
  const deadline = Date.now() + ARRIVAL_TIMEOUT_MS
  for (;;) {
    collect(records, mail, stats)
    const missing = records.filter((r) => r.confirmedSeen !== null && (r.mailAt === null || r.statsAt === null))
    if (missing.length === 0 || Date.now() >= deadline) return missing.length
    await sleep(50)
  }
}

// ---------------------------------------------------------------------------------------------- statistics

const stats = (values: ReadonlyArray<number>) => summary(values, { min: true })
type Stats = ReturnType<typeof stats>

const latencies = (records: ReadonlyArray<OrderRecord>) => ({
  confirmedToMailMs: stats(defined(records.map((r) => diff(r.mailAt, r.confirmedSeen)))),
  confirmedToStatsMs: stats(defined(records.map((r) => diff(r.statsAt, r.confirmedSeen)))),
  /** Both: when the later of the two arrived. */
  confirmedToBothMs: stats(
    defined(
      records.map((r) =>
        r.mailAt === null || r.statsAt === null ? null : diff(Math.max(r.mailAt, r.statsAt), r.confirmedSeen)
      )
    )
  ),
  serverConfirmedToMailMs: stats(defined(records.map((r) => diff(r.mailAt, r.serverConfirmedAt)))),
  serverConfirmedToStatsMs: stats(defined(records.map((r) => diff(r.statsAt, r.serverConfirmedAt)))),
  paidToConfirmedSeenMs: stats(defined(records.map((r) => diff(r.confirmedSeen, r.payEnd)))),
  holdToConfirmedSeenMs: stats(defined(records.map((r) => diff(r.confirmedSeen, r.holdStart))))
})

// ---------------------------------------------------------------------------------------------- RabbitMQ

interface Topology {
  readonly exchange: string
  readonly queuePrefix: string
}

/** Deletes the run's exchange and every queue with its prefix (as rabbitmqctl lists them, plus the known names). */
const deleteTopology = async (topology: Topology) => {
  const names = new Set<string>()
  for (const consumer of CONSUMERS)
    for (const queue of queuesOf(topology.queuePrefix, { consumer, retryDelays: RETRY_DELAYS })) names.add(queue)
  try {
    execFileSync("rabbitmqctl", ["list_queues", "name", "--quiet", "--no-table-headers"], {
      encoding: "utf8",
      timeout: 20_000,
      stdio: ["ignore", "pipe", "ignore"]
    })
      .split("\n")
      .map((line) => line.trim())
      .filter((name) => name.startsWith(`${topology.queuePrefix}.`))
      .forEach((name) => names.add(name))
  } catch {
    // rabbitmqctl unavailable: the known names only.
  }
  const connection = await amqp.connect(AMQP_URL, { timeout: 3_000 })
  connection.on("error", () => {})
  try {
    const channel = await connection.createChannel()
    channel.on("error", () => {})
    for (const queue of names) await channel.deleteQueue(queue)
    await channel.deleteExchange(topology.exchange)
    await channel.close()
  } finally {
    await connection.close().catch(() => {})
  }
  return [...names]
}

const rabbitMqVersion = async () => {
  const connection = await amqp.connect(AMQP_URL, { timeout: 3_000 })
  connection.on("error", () => {})
  try {
    const properties = (connection as unknown as { connection?: { serverProperties?: Record<string, unknown> } })
      .connection?.serverProperties
    return typeof properties?.version === "string" ? properties.version : null
  } finally {
    await connection.close().catch(() => {})
  }
}

// ---------------------------------------------------------------------------------------------- the outbox burst

/**
 * `count` ReservationCreated events written at once through outbox_write (what the reservations trigger calls), for
 * reservations that do not exist (random aggregate ids, so every relay slot gets some) of a real customer and event;
 * only the organizer-webhooks consumer takes them (the organizer has no endpoint: it skips them, or, when some
 * organizer's endpoint listens to ReservationCreated, records them in its inbox): its /metrics counters tell.
 * Times from the commit until the relay has marked them all sent, and until the consumer has handled them all.
 */
/** What the organizer-webhooks consumer has taken so far (handled, skipped, duplicates), from the service's /metrics. */
const webhookConsumerTook = async (base: string): Promise<number> => {
  const text = await (await fetch(`${base}/metrics`)).text()
  let n = 0
  for (const match of text.matchAll(/^goticket_events_(?:handled|skipped|duplicate)_total\{([^}]*)\} (\d+)$/gm))
    if ((match[1] ?? "").includes('consumer="organizer-webhooks"')) n += Number(match[2])
  return n
}

const outboxBurst = async (db: pg.Client, base: string, sale: Sale, count: number) => {
  const took0 = await webhookConsumerTook(base)
  const [start] = (await db.query<{ p: string }>("SELECT coalesce(max(position), 0)::text AS p FROM outbox")).rows
  const customer = (sale.customers[0] as Customer).id
  await db.query("BEGIN")
  await db.query(
    `SELECT outbox_write('ReservationCreated', 'reservation', r.id,
       jsonb_build_object('reservationId', r.id, 'customerId', $1::uuid, 'eventId', $2::uuid, 'tickets', 1,
                          'totalMinor', ${PRICE_MINOR}, 'currency', '${CURRENCY}',
                          'expiresAt', now() + interval '10 minutes'))
     FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $3::int)) r`,
    [customer, sale.eventId, count]
  )
  await db.query("COMMIT")
  const committed = now()
  const after = start?.p ?? "0"
  let relayedAt: number | null = null
  let consumedAt: number | null = null
  const samples: Array<{ ms: number; unsent: number; handled: number }> = []
  while (now() - committed < BURST_TIMEOUT_MS && (relayedAt === null || consumedAt === null)) {
    const [row] = (
      await db.query<{ unsent: number }>("SELECT count(*)::int AS unsent FROM outbox WHERE sent_at IS NULL")
    ).rows
    const handled = (await webhookConsumerTook(base)) - took0
    const at = now()
    samples.push({ ms: at - committed, unsent: row?.unsent ?? -1, handled })
    if (relayedAt === null && row?.unsent === 0) relayedAt = at
    if (consumedAt === null && handled >= count) consumedAt = at
    await sleep(BURST_SAMPLE_MS)
  }
  // The relay's own view: when the last of them was marked sent (server clock).
  const [sent] = (
    await db.query<{ first: Date | null; last: Date | null; n: number }>(
      `SELECT min(sent_at) AS first, max(sent_at) AS last, count(sent_at)::int AS n FROM outbox WHERE position > $1::bigint`,
      [after]
    )
  ).rows
  const relayMs = diff(relayedAt, committed)
  const consumeMs = diff(consumedAt, committed)
  const firstSentToLastSentMs = sent?.first && sent.last ? sent.last.getTime() - sent.first.getTime() : null
  return {
    events: count,
    relayDrainedMs: relayMs,
    relayEventsPerSecond: relayMs === null ? null : count / (relayMs / 1000),
    /** From the first to the last sent_at of the burst (the relay's own timestamps): publishing alone. */
    relayFirstToLastSentMs: firstSentToLastSentMs,
    relayEventsPerSecondBySentAt:
      firstSentToLastSentMs === null || firstSentToLastSentMs <= 0 ? null : count / (firstSentToLastSentMs / 1000),
    consumerHandledMs: consumeMs,
    consumerEventsPerSecond: consumeMs === null ? null : count / (consumeMs / 1000),
    sentCount: sent?.n ?? 0,
    samples: samples.filter((_, i) => i % 5 === 0 || i === samples.length - 1)
  }
}

// ---------------------------------------------------------------------------------------------- one configuration

interface Shared {
  readonly admin: pg.Client | null
  readonly sandboxUrl: string
  readonly servicePort: number
  readonly base: string
}

const runConfiguration = async (name: ConfigName, shared: Shared) => {
  const dataDir = mkdtempSync(join(tmpdir(), `goticket-bench-events-${name}-`))
  const cleanups: Array<() => Promise<unknown>> = [async () => rmSync(dataDir, { recursive: true, force: true })]
  let service: Proc | undefined
  let mail: MailWatch | undefined
  let db: pg.Client | undefined
  const topology: Topology = {
    exchange: `goticket-bench.${stamp.toString(36)}.events`,
    queuePrefix: `goticket-bench.${stamp.toString(36)}`
  }
  const database = `goticket_bench_events_${stamp}`
  let deletedQueues: Array<string> = []
  try {
    const env = { ...serviceEnv(shared.servicePort, shared.sandboxUrl), GOTICKET_DATA_DIR: dataDir }
    if (name === "servers") {
      if (shared.admin === null) throw new Error("the servers configuration needs PostgreSQL")
      await shared.admin.query(`CREATE DATABASE ${database}`)
      cleanups.push(async () => {
        if (KEEP_DB) console.log(`kept database ${database}`)
        else await shared.admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
      })
      cleanups.push(async () => {
        deletedQueues = await deleteTopology(topology)
      })
      mail = await startSmtpSink()
      Object.assign(env, {
        DATABASE_URL: databaseUrl(database),
        AMQP_URL,
        AMQP_EXCHANGE: topology.exchange,
        AMQP_QUEUE_PREFIX: topology.queuePrefix,
        SMTP_URL: mail.url ?? ""
      })
    } else mail = watchMailDirectory(join(dataDir, "mail"))

    service = startNode(`service-${name}`, "src/main.ts", env, { logPrefix: "event-pipeline-" })
    const readyMs = await waitReady(service, `${shared.base}/health/ready`, { timeoutMs: READY_TIMEOUT_MS })
    console.log(`${name}: service ready in ${fmt(readyMs / 1000, 1)} s (pid ${service.pid})`)
    if (name === "servers") {
      db = new pg.Client({ connectionString: databaseUrl(database) })
      await db.connect()
    }

    const t = now()
    const sale = await setUpSale(shared.base, name, ORDERS + 1)
    const setUpSeconds = (now() - t) / 1000
    console.log(
      `${name}: event with ${ORDERS + 1} ticket types and ${ORDERS + 1} customers in ${fmt(setUpSeconds, 1)} s`
    )

    const statsWatch = watchStats(shared.base, sale)
    // The warm-up order (the last customer and ticket type): the first saga and the first mail of this process.
    const warmUp = newRecord(sale, ORDERS, 1)
    statsWatch.expected.set(warmUp.ticketTypeId, warmUp.quantity)
    await placeOrder(shared.base, sale, warmUp)
    await awaitArrivals([warmUp], mail, statsWatch)
    console.log(
      `${name}: warm-up order ${warmUp.failure ?? "confirmed"}; confirmed → mail ${fmt(diff(warmUp.mailAt, warmUp.confirmedSeen), 0)} ms, ` +
        `→ stats ${fmt(diff(warmUp.statsAt, warmUp.confirmedSeen), 0)} ms`
    )
    await sleep(1_000)

    const random = seededRandom(SEED)
    const records = Array.from({ length: ORDERS }, (_, i) =>
      newRecord(sale, i, 1 + Math.floor(random() * MAX_PER_ORDER))
    )
    for (const r of records) statsWatch.expected.set(r.ticketTypeId, r.quantity)
    const cpu0 = cpuMs(service.pid)
    const t0 = now()
    console.log(`${name}: ${ORDERS} orders, ${CONCURRENCY} customers at a time, polling every ${POLL_MS} ms…`)
    await pool(records, CONCURRENCY, (r) => placeOrder(shared.base, sale, r))
    const ordersDone = now()
    const missing = await awaitArrivals(records, mail, statsWatch)
    const t1 = now()
    const serviceCpuMs = cpuMs(service.pid) - cpu0
    await statsWatch.close()
    const mailsReceived = mail.received()

    const confirmed = records.filter((r) => r.confirmedSeen !== null)
    const failures: Record<string, number> = {}
    for (const r of records) if (r.failure !== null) bump(failures, r.failure)
    const subjects: Record<string, number> = {}
    for (const r of records) if (r.mailSubject !== null) bump(subjects, r.mailSubject.replace(/ for .*/, " for …"))
    const lat = latencies(confirmed)
    const withinTarget = confirmed.filter(
      (r) =>
        r.mailAt !== null &&
        r.statsAt !== null &&
        r.mailAt - (r.confirmedSeen as number) < TARGET_MS &&
        r.statsAt - (r.confirmedSeen as number) < TARGET_MS
    ).length
    console.log(
      `${name}: ${confirmed.length}/${ORDERS} confirmed in ${fmt((ordersDone - t0) / 1000, 1)} s; ${missing} without mail or stats; ` +
        `${withinTarget}/${confirmed.length} with both within ${TARGET_MS} ms`
    )

    let burst: Awaited<ReturnType<typeof outboxBurst>> | null = null
    if (name === "servers" && db !== undefined && BURST > 0) {
      console.log(`${name}: outbox burst of ${BURST} events…`)
      burst = await outboxBurst(db, shared.base, sale, BURST)
      console.log(
        `${name}: relay drained ${BURST} events in ${fmt(burst.relayDrainedMs, 0)} ms (${fmt(burst.relayEventsPerSecond, 0)}/s); ` +
          `consumer handled them in ${fmt(burst.consumerHandledMs, 0)} ms (${fmt(burst.consumerEventsPerSecond, 0)}/s)`
      )
    }

    const report = {
      configuration: name,
      description:
        name === "embedded"
          ? "nothing configured: PGlite (temporary GOTICKET_DATA_DIR), in-process bus, mail as .eml files"
          : `PostgreSQL database ${database}, RabbitMQ ${AMQP_URL.replace(/\/\/[^@/]*@/, "//")} (exchange ${topology.exchange}, queues ${topology.queuePrefix}.*), SMTP sink in the bench`,
      serviceReadyMs: readyMs,
      setUpSeconds,
      warmUp: {
        failure: warmUp.failure,
        paidToConfirmedSeenMs: diff(warmUp.confirmedSeen, warmUp.payEnd),
        confirmedToMailMs: diff(warmUp.mailAt, warmUp.confirmedSeen),
        confirmedToStatsMs: diff(warmUp.statsAt, warmUp.confirmedSeen)
      },
      orders: ORDERS,
      concurrency: CONCURRENCY,
      ticketsBought: confirmed.reduce((n, r) => n + r.quantity, 0),
      confirmed: confirmed.length,
      failures,
      withoutMail: confirmed.filter((r) => r.mailAt === null).length,
      withoutStats: confirmed.filter((r) => r.statsAt === null).length,
      withinTargetBoth: withinTarget,
      mailsReceived,
      mailSubjects: subjects,
      ordersSeconds: (ordersDone - t0) / 1000,
      ordersPerSecond: confirmed.length / ((ordersDone - t0) / 1000),
      latency: lat,
      orderPollsPerOrder: records.reduce((n, r) => n + r.polls, 0) / ORDERS,
      statsPolls: statsWatch.requestMs.length,
      statsPollRequestMs: stats(statsWatch.requestMs),
      statsPollErrors: statsWatch.errors(),
      serviceCpu: { ms: serviceCpuMs, cores: serviceCpuMs / (t1 - t0) },
      outboxBurst: burst,
      serviceLog: logSummary(service),
      perOrder: records.map((r) => ({
        order: r.orderId,
        quantity: r.quantity,
        failure: r.failure,
        paidToConfirmedSeenMs: diff(r.confirmedSeen, r.payEnd),
        confirmedToMailMs: diff(r.mailAt, r.confirmedSeen),
        confirmedToStatsMs: diff(r.statsAt, r.confirmedSeen),
        serverConfirmedToMailMs: diff(r.mailAt, r.serverConfirmedAt),
        serverConfirmedToStatsMs: diff(r.statsAt, r.serverConfirmedAt)
      })),
      ok:
        confirmed.length === ORDERS &&
        missing === 0 &&
        (burst === null || (burst.relayDrainedMs !== null && burst.consumerHandledMs !== null))
    }
    return report
  } finally {
    if (service) await stop(service)
    await mail?.close().catch(() => {})
    await db?.end().catch(() => {})
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => console.warn(`${name}: cleanup failed: ${String(error)}`))
    if (name === "servers")
      console.log(`${name}: dropped database ${database}; deleted ${deletedQueues.length} queues and the exchange`)
  }
}

// ---------------------------------------------------------------------------------------------- the sale

/**
 * A flash sale's backlog. SALE customers (200) buy 1–2 tickets of one GA ticket type all at once (hold, checkout,
 * pay, then wait with the long-poll until settled); the organizer has one webhook endpoint (a sink in the bench)
 * for OrderConfirmed. "Drained" is: the outbox has no unsent event, every order's confirmation mail arrived (SMTP sink),
 * the projection counts every ticket (event_sales), and every OrderConfirmed has its webhook delivery queued.
 *
 * split: the worker is started before the sale, stopped with SIGSTOP once idle, and continued after the last
 * confirmation; its CPU from SIGCONT to drained is the pipeline's cost for the sale's events (relay, consumers,
 * webhook deliveries, plus the worker's idle timers over those seconds, reported apart). With BENCH_STATEMENT_LOG
 * (the PostgreSQL server's log file, readable by the bench) the sale's database logs its statements
 * (`log_statement = all`, that database only) and the worker's are counted: statements per event.
 * together: the sale and the pipeline share the one process; the report gives the drain after the last
 * confirmation and the CPU per order over the sale and its drain.
 */

interface SaleSetUp {
  readonly eventId: string
  readonly ticketTypeId: string
  readonly organizerToken: string
  readonly customers: ReadonlyArray<Customer>
}

const setUpFlashSale = async (base: string, label: string, customers: number, webhookUrl: string) => {
  const organizerEmail = `organizer-${label}-${stamp}@bench.goticket.dev`
  await register(base, organizerEmail, "organizer")
  const organizerToken = await login(base, organizerEmail)
  const event = await must<{ id: string }>("POST", `${base}/v1/events`, {
    token: organizerToken,
    body: {
      title: `Event pipeline sale (${label})`,
      venue: { name: "Bench Hall", timezone: "Europe/Paris" },
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString()
    }
  })
  const type = await must<{ id: string }>("POST", `${base}/v1/events/${event.id}/ticket-types`, {
    token: organizerToken,
    body: {
      name: "GA",
      priceMinor: PRICE_MINOR,
      currency: CURRENCY,
      capacity: customers * MAX_PER_ORDER + 10,
      maxPerOrder: MAX_PER_ORDER
    }
  })
  await must("POST", `${base}/v1/events/${event.id}/publish`, { token: organizerToken })
  await must("POST", `${base}/v1/organizer/webhooks`, {
    token: organizerToken,
    body: { url: webhookUrl, eventTypes: ["OrderConfirmed"] }
  })
  const list = await pool(
    Array.from({ length: customers }, (_, i) => `customer-${label}-${stamp}-${i}@bench.goticket.dev`),
    4,
    async (email): Promise<Customer> => {
      const { id } = await register(base, email, "customer")
      return { id, email, token: await login(base, email) }
    }
  )
  return { eventId: event.id, ticketTypeId: type.id, organizerToken, customers: list } satisfies SaleSetUp
}

/** An HTTP server that answers every POST 204 and counts them: the organizer's webhook endpoint. */
const startWebhookSink = async () => {
  let received = 0
  const server = createHttpServer((request, response) => {
    request.resume()
    request.on("end", () => {
      received++
      response.writeHead(204).end()
    })
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))
  })
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** Hold, checkout, pay, then the long-poll until the order settles; the time it was seen confirmed (or null). */
const buyAndWait = async (base: string, sale: SaleSetUp, customer: Customer, quantity: number) => {
  const rec = newPurchase()
  await purchase(base, customer.token, { eventId: sale.eventId, ticketTypeId: sale.ticketTypeId, quantity }, rec, now)
  if (rec.failure !== null || rec.orderId === null) return { confirmedAt: null, failure: rec.failure, quantity }
  const deadline = now() + ORDER_TIMEOUT_MS
  while (now() < deadline) {
    const answer = await http("GET", `${base}/v1/orders/${rec.orderId}?waitFor=settled&timeoutMs=25000`, {
      token: customer.token,
      timeoutMs: 60_000
    })
    if (answer.status === 200) {
      const order = answer.body as { status: string; cancelReason: string | null }
      if (order.status === "confirmed") return { confirmedAt: now(), failure: null, quantity }
      if (order.status !== "pending_payment")
        return { confirmedAt: null, failure: `order ${order.status}: ${order.cancelReason ?? "?"}`, quantity }
    } else await sleep(100)
  }
  return { confirmedAt: null, failure: "not settled in time", quantity }
}

/** What the pipeline has done so far for the sale, read from its database. */
const pipelineState = async (db: pg.Client, eventId: string) => {
  const [row] = (
    await db.query<{ unsent: number; sold: number; hooks: number; mailed: number }>(
      `SELECT (SELECT count(*)::int FROM outbox WHERE sent_at IS NULL) AS unsent,
              (SELECT coalesce(sum(sold), 0)::int FROM event_sales WHERE event_id = $1) AS sold,
              (SELECT count(*)::int FROM webhook_deliveries WHERE event_type = 'OrderConfirmed') AS hooks,
              (SELECT count(*)::int FROM inbox WHERE consumer = 'notifications') AS mailed`,
      [eventId]
    )
  ).rows
  return row ?? { unsent: -1, sold: -1, hooks: -1, mailed: -1 }
}

/** The local TCP ports of a process's sockets (its fds' socket inodes, looked up in /proc/net/tcp and tcp6). */
const localPortsOf = (pid: number): Array<number> => {
  const inodes = new Set<string>()
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`)
        if (link.startsWith("socket:[")) inodes.add(link.slice(8, -1))
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return []
  }
  const ports: Array<number> = []
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = ""
    try {
      text = readFileSync(table, "utf8")
    } catch {
      continue
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length > 9 && inodes.has(fields[9] ?? ""))
        ports.push(Number.parseInt(fields[1]?.split(":")[1] ?? "", 16))
    }
  }
  return ports
}

/** The database's backends serving the process `pid` (matched by its sockets' ports), by backend pid. */
const backendsOf = async (db: pg.Client, pid: number) =>
  (
    await db.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND client_port = ANY ($1::int[])",
      [localPortsOf(pid)]
    )
  ).rows.map((r) => r.pid)

/** Statements PostgreSQL logged (log_statement = all) from `offset` on, by the backends in `pids`. */
const loggedStatements = (file: string, offset: number, database: string, pids: ReadonlySet<number>) => {
  const size = statSync(file).size
  const handle = openSync(file, "r")
  try {
    const buffer = Buffer.alloc(Math.max(0, size - offset))
    readSync(handle, buffer, 0, buffer.length, offset)
    let n = 0
    const kinds: Record<string, number> = {}
    for (const match of buffer
      .toString("utf8")
      .matchAll(/^\S+ \S+ \S+ \[(\d+)\] \S*@(\S+) LOG: {2}(?:statement|execute [^:]*): (\S+)/gm)) {
      if (match[2] !== database || !pids.has(Number(match[1]))) continue
      n++
      bump(kinds, (match[3] ?? "?").toUpperCase())
    }
    return { n, kinds }
  } finally {
    closeSync(handle)
  }
}

const logSize = (file: string | null) => (file === null ? 0 : statSync(file).size)

/** Waits until the process has used no CPU for `quietMs` (its start-up is over). */
const untilIdle = async (pid: number, quietMs = 1_500, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  let last = cpuMs(pid)
  let since = Date.now()
  while (Date.now() < deadline) {
    await sleep(250)
    const cpu = cpuMs(pid)
    if (cpu - last > 20) {
      last = cpu
      since = Date.now()
    } else if (Date.now() - since >= quietMs) return
  }
}

const runSale = async (bus: SaleBus, mode: SaleMode, shared: Shared) => {
  const label = `sale-${bus}-${mode}`
  const database = `goticket_bench_sale_${stamp}_${bus.replace("-", "_")}_${mode}`
  const topology: Topology = {
    exchange: `goticket-bench.${stamp.toString(36)}.${bus}.${mode}.events`,
    queuePrefix: `goticket-bench.${stamp.toString(36)}.${bus}.${mode}`
  }
  const dataDir = mkdtempSync(join(tmpdir(), `goticket-bench-${label}-`))
  const procs: Array<Proc> = []
  let db: pg.Client | undefined
  const mail = await startSmtpSink()
  const hooks = await startWebhookSink()
  try {
    if (shared.admin === null) throw new Error("the sale needs PostgreSQL")
    await shared.admin.query(`CREATE DATABASE ${database}`)
    if (STATEMENT_LOG !== null) await shared.admin.query(`ALTER DATABASE ${database} SET log_statement = 'all'`)
    const url = databaseUrl(database)
    const env: Record<string, string> = {
      ...serviceEnv(shared.servicePort, shared.sandboxUrl),
      GOTICKET_DATA_DIR: dataDir,
      SMTP_URL: mail.url ?? "",
      ...(bus === "rabbitmq"
        ? { AMQP_URL, AMQP_EXCHANGE: topology.exchange, AMQP_QUEUE_PREFIX: topology.queuePrefix }
        : {})
    }
    const service = startNode(
      `${label}-service`,
      "src/main.ts",
      {
        ...env,
        DATABASE_URL: url,
        ...(mode === "split" ? { ROLE: "api" } : {})
      },
      { logPrefix: "event-pipeline-" }
    )
    procs.push(service)
    await waitReady(service, `${shared.base}/health/ready`, { timeoutMs: READY_TIMEOUT_MS })
    db = new pg.Client({ connectionString: url })
    await db.connect()

    let worker: Proc | undefined
    if (mode === "split") {
      // A long heartbeat: the broker must not drop the connections of a worker stopped for the whole sale.
      const workerBus = bus === "rabbitmq" ? { AMQP_URL: `${AMQP_URL}?heartbeat=600` } : {}
      worker = startNode(
        `${label}-worker`,
        "src/worker.ts",
        { ...env, ...workerBus, DATABASE_URL: url },
        { logPrefix: "event-pipeline-", nodeArgs: WORKER_NODE_ARGS }
      )
      procs.push(worker)
      await untilIdle(worker.pid)
      process.kill(worker.pid, "SIGSTOP")
    }

    const sale = await setUpFlashSale(shared.base, label, SALE, hooks.url)
    const random = seededRandom(SEED)
    const quantities = sale.customers.map(() => 1 + Math.floor(random() * MAX_PER_ORDER))
    const tickets = quantities.reduce((a, b) => a + b, 0)
    console.log(`${label}: ${SALE} customers buy ${tickets} tickets at once…`)
    const serviceCpu0 = cpuMs(service.pid)
    const t0 = now()
    const results = await Promise.all(
      sale.customers.map((customer, i) => buyAndWait(shared.base, sale, customer, quantities[i] ?? 1))
    )
    const confirmed = results.filter((r) => r.confirmedAt !== null)
    const lastConfirmed = Math.max(...confirmed.map((r) => r.confirmedAt as number))
    const saleSeconds = (lastConfirmed - t0) / 1000
    const failures: Record<string, number> = {}
    for (const r of results) if (r.failure !== null) bump(failures, r.failure)
    const soldTickets = confirmed.reduce((n, r) => n + r.quantity, 0)
    const [counted] = (
      await db.query<{ events: number; unsent: number }>(
        "SELECT count(*)::int AS events, count(*) FILTER (WHERE sent_at IS NULL)::int AS unsent FROM outbox"
      )
    ).rows
    const atLastConfirmation = await pipelineState(db, sale.eventId)

    // The drain: from the last confirmation (together) or from SIGCONT (split).
    const pids = new Set<number>()
    const logOffset = logSize(STATEMENT_LOG)
    const xacts = async () =>
      Number(
        (
          await db?.query<{ n: string }>(
            "SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()"
          )
        )?.rows[0]?.n ?? Number.NaN
      )
    const xacts0 = await xacts()
    const drainer = worker ?? service
    const cpu0 = cpuMs(drainer.pid)
    const drainStart = now()
    if (worker !== undefined) process.kill(worker.pid, "SIGCONT")
    let state = atLastConfirmation
    let drainedAt: number | null = null
    let samples = 0
    while (now() - drainStart < BURST_TIMEOUT_MS) {
      state = await pipelineState(db, sale.eventId)
      if (samples++ % 10 === 0) for (const pid of await backendsOf(db, drainer.pid)) pids.add(pid)
      if (
        state.unsent === 0 &&
        state.sold >= soldTickets &&
        state.hooks >= confirmed.length &&
        mail.received() >= confirmed.length
      ) {
        drainedAt = now()
        break
      }
      await sleep(20)
    }
    for (const pid of await backendsOf(db, drainer.pid)) pids.add(pid)
    const drainCpuMs = cpuMs(drainer.pid) - cpu0
    const drainMs = drainedAt === null ? null : drainedAt - drainStart
    const serviceCpuMs = cpuMs(service.pid) - serviceCpu0
    await sleep(1_100) // PostgreSQL's statistics
    const drainXacts = (await xacts()) - xacts0
    const statements =
      STATEMENT_LOG === null || mode !== "split" ? null : loggedStatements(STATEMENT_LOG, logOffset, database, pids)
    // The drainer idle: what its timers (relay polling, expiry, saga engine, webhook worker) cost per second.
    const idleMs = 5_000
    const idleCpu0 = cpuMs(drainer.pid)
    const idleLog = logSize(STATEMENT_LOG)
    await sleep(idleMs)
    const idleCpuMs = cpuMs(drainer.pid) - idleCpu0
    const idleStatements =
      STATEMENT_LOG === null || mode !== "split" ? null : loggedStatements(STATEMENT_LOG, idleLog, database, pids)
    const events = counted?.events ?? 0
    const report = {
      bus,
      mode,
      customers: SALE,
      confirmed: confirmed.length,
      failures,
      tickets: soldTickets,
      outboxEvents: events,
      saleSeconds,
      unsentAtLastConfirmation: atLastConfirmation.unsent,
      atLastConfirmation,
      drained: drainedAt !== null,
      /** split: SIGCONT → drained; together: last confirmation → drained. */
      drainMs,
      finalState: state,
      mailsReceived: mail.received(),
      webhookPostsReceived: hooks.received(),
      drainerCpuMs: drainCpuMs,
      drainerCpuMsPerOrder: drainCpuMs / Math.max(1, confirmed.length),
      drainerCpuMsPerEvent: drainCpuMs / Math.max(1, events),
      /** together: the service's CPU from the first hold to drained, per order. */
      serviceCpuMsPerOrder: mode === "together" ? serviceCpuMs / Math.max(1, confirmed.length) : null,
      drainTransactions: drainXacts,
      drainTransactionsPerOrder: drainXacts / Math.max(1, confirmed.length),
      statements:
        statements === null
          ? null
          : {
              total: statements.n,
              perOrder: statements.n / Math.max(1, confirmed.length),
              perEvent: statements.n / Math.max(1, events),
              kinds: statements.kinds
            },
      idle: {
        cpuPercentOfCore: (idleCpuMs / idleMs) * 100,
        statementsPerSecond: idleStatements === null ? null : idleStatements.n / (idleMs / 1000)
      },
      serviceLog: logSummary(service),
      workerLog: worker === undefined ? null : logSummary(worker)
    }
    console.log(
      `${label}: ${confirmed.length}/${SALE} confirmed in ${fmt(saleSeconds, 1)} s; ${events} events, ` +
        `${atLastConfirmation.unsent} unsent at the last confirmation; drained ${drainedAt === null ? "NOT" : `in ${fmt(drainMs, 0)} ms`}; ` +
        `${mode === "split" ? "worker" : "service"} CPU over the drain ${fmt(report.drainerCpuMsPerOrder, 2)} ms per order ` +
        `(${fmt(report.drainerCpuMsPerEvent, 2)} per event)` +
        (report.serviceCpuMsPerOrder === null
          ? ""
          : `; service CPU ${fmt(report.serviceCpuMsPerOrder, 1)} ms per order, sale and drain`) +
        `; ${fmt(report.drainTransactionsPerOrder, 2)} transactions per order` +
        (report.statements === null
          ? ""
          : `, ${fmt(report.statements.perOrder, 2)} statements per order (${fmt(report.statements.perEvent, 2)} per event)`) +
        `; idle ${fmt(report.idle.cpuPercentOfCore, 1)} % of a core` +
        (report.idle.statementsPerSecond === null ? "" : `, ${fmt(report.idle.statementsPerSecond, 1)} statements/s`)
    )
    return report
  } finally {
    for (const proc of procs.reverse()) {
      try {
        process.kill(proc.pid, "SIGCONT")
      } catch {
        // gone already
      }
      await stop(proc)
    }
    await db?.end().catch(() => {})
    await mail.close().catch(() => {})
    await hooks.close().catch(() => {})
    if (KEEP_DB) console.log(`kept database ${database}`)
    else await shared.admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {})
    if (bus === "rabbitmq") await deleteTopology(topology).catch(() => {})
    rmSync(dataDir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------- report

const printStats = (label: string, s: Stats) =>
  console.log(
    `  ${label.padEnd(36)} p50 ${fmt(s.p50, 0).padStart(6)}  p95 ${fmt(s.p95, 0).padStart(6)}  max ${fmt(s.max, 0).padStart(6)} ms  (min ${fmt(s.min, 0)}, n=${s.n})`
  )

// ---------------------------------------------------------------------------------------------- main

const main = async () => {
  mkdirSync(tmpDir, { recursive: true })
  const startedAt = new Date()
  const t0 = now()
  const needsServers = CONFIGS.includes("servers") || (CONFIGS.includes("sale") && SALE > 0)
  const admin = needsServers ? new pg.Client({ connectionString: adminUrl.toString() }) : null
  await admin?.connect()
  const pgVersion = admin
    ? (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v
    : null
  const rabbitmq = needsServers ? await rabbitMqVersion() : null
  const servicePort = await freePort()
  const sandboxPort = await freePort()
  const shared: Shared = {
    admin,
    sandboxUrl: `http://127.0.0.1:${sandboxPort}`,
    servicePort,
    base: `http://127.0.0.1:${servicePort}`
  }
  const reports: Array<Awaited<ReturnType<typeof runConfiguration>>> = []
  const sales: Array<Awaited<ReturnType<typeof runSale>>> = []
  let sandbox: Proc | undefined
  try {
    sandbox = startSandbox(sandboxPort, shared.base, "event-pipeline-")
    await waitReady(sandbox, `${shared.sandboxUrl}/health`, { timeoutMs: READY_TIMEOUT_MS })
    console.log(
      `sandbox at ${shared.sandboxUrl}; service at ${shared.base}; ${ORDERS} orders, ${CONCURRENCY} at a time, poll ${POLL_MS} ms; configurations ${CONFIGS.join(", ")}`
    )
    for (const name of CONFIGS)
      if (name !== "sale") reports.push(await runConfiguration(name, shared))
      else if (SALE > 0)
        for (const bus of SALE_BUSES) for (const mode of SALE_MODES) sales.push(await runSale(bus, mode, shared))
  } finally {
    if (sandbox) await stop(sandbox)
    await admin?.end().catch(() => {})
  }
  const totalSeconds = (now() - t0) / 1000

  console.log()
  for (const r of reports) {
    console.log(
      `${r.configuration.toUpperCase()} (${r.description}): ${r.confirmed}/${r.orders} confirmed, ${r.ticketsBought} tickets, ` +
        `${r.withinTargetBoth}/${r.confirmed} orders with mail and stats within ${TARGET_MS} ms of the confirmation`
    )
    printStats("confirmed seen → mail arrived", r.latency.confirmedToMailMs)
    printStats("confirmed seen → stats counted", r.latency.confirmedToStatsMs)
    printStats("confirmed seen → both", r.latency.confirmedToBothMs)
    printStats("server confirmedAt → mail", r.latency.serverConfirmedToMailMs)
    printStats("server confirmedAt → stats", r.latency.serverConfirmedToStatsMs)
    printStats("paid → confirmed seen", r.latency.paidToConfirmedSeenMs)
    console.log(
      `  warm-up order: confirmed → mail ${fmt(r.warmUp.confirmedToMailMs, 0)} ms, → stats ${fmt(r.warmUp.confirmedToStatsMs, 0)} ms; ` +
        `service CPU ${fmt(r.serviceCpu.cores * 100, 0)} % of a core; stats poll p50 ${fmt(r.statsPollRequestMs.p50, 1)} ms; ` +
        `log ${JSON.stringify(r.serviceLog.levels)}`
    )
    if (r.outboxBurst)
      console.log(
        `  outbox burst: ${r.outboxBurst.events} events relayed in ${fmt(r.outboxBurst.relayDrainedMs, 0)} ms ` +
          `(${fmt(r.outboxBurst.relayEventsPerSecond, 0)} events/s; by sent_at ${fmt(r.outboxBurst.relayEventsPerSecondBySentAt, 0)}/s), ` +
          `consumed in ${fmt(r.outboxBurst.consumerHandledMs, 0)} ms (${fmt(r.outboxBurst.consumerEventsPerSecond, 0)} events/s)`
      )
    if (Object.keys(r.failures).length > 0) console.log(`  failures: ${JSON.stringify(r.failures)}`)
  }
  const verdicts = reports.map((r) => ({
    configuration: r.configuration,
    maxConfirmedToMailMs: r.latency.confirmedToMailMs.max,
    maxConfirmedToStatsMs: r.latency.confirmedToStatsMs.max,
    meetsTarget:
      r.ok &&
      (r.latency.confirmedToMailMs.max ?? Number.POSITIVE_INFINITY) < TARGET_MS &&
      (r.latency.confirmedToStatsMs.max ?? Number.POSITIVE_INFINITY) < TARGET_MS
  }))
  console.log()
  for (const v of verdicts)
    console.log(
      `target (mail and stats within ${TARGET_MS} ms of the confirmation, every order): ${v.configuration} ${v.meetsTarget ? "MET" : "NOT MET"} ` +
        `(worst: mail ${fmt(v.maxConfirmedToMailMs, 0)} ms, stats ${fmt(v.maxConfirmedToStatsMs, 0)} ms)`
    )
  for (const r of sales)
    console.log(
      `SALE ${r.bus} ${r.mode}: ${r.confirmed}/${r.customers} orders, ${r.tickets} tickets, ${r.outboxEvents} events in ` +
        `${fmt(r.saleSeconds, 1)} s; backlog drained ${r.drained ? `in ${fmt(r.drainMs, 0)} ms` : "NOT"} ` +
        `(${r.mode === "split" ? "worker continued" : "after the last confirmation"}); pipeline CPU ` +
        `${fmt(r.drainerCpuMsPerOrder, 2)} ms per order` +
        (r.serviceCpuMsPerOrder === null ? "" : `, service ${fmt(r.serviceCpuMsPerOrder, 1)} ms per order in all`) +
        (r.statements === null ? "" : `; ${fmt(r.statements.perOrder, 2)} statements per order`) +
        `; idle ${fmt(r.idle.cpuPercentOfCore, 1)} % of a core`
    )
  console.log(`total run ${fmt(totalSeconds, 0)} s`)

  writeResults("event-pipeline.json", {
    startedAt: startedAt.toISOString(),
    totalSeconds,
    machine: { cpus: cpus().length, node: process.version, postgres: pgVersion ?? null, rabbitmq },
    config: {
      orders: ORDERS,
      concurrency: CONCURRENCY,
      pollMs: POLL_MS,
      configurations: CONFIGS,
      outboxBurst: BURST,
      sale: { customers: SALE, buses: SALE_BUSES, modes: SALE_MODES, statementLog: STATEMENT_LOG },
      seed: SEED,
      maxPerOrder: MAX_PER_ORDER,
      targetMs: TARGET_MS,
      service:
        "own process (src/main.ts), SCRYPT_LOG2_N=10, LOG_LEVEL=Warn, SEED_DEMO=false, events/consumer settings at their defaults",
      sandbox: "own process, default SANDBOX_* except port, webhook URL and keys",
      measuredFrom:
        "confirmedSeen: the customer's poll (every pollMs) that first answered `confirmed`; mail: SMTP DATA end (servers) or the .eml file seen (embedded); stats: the organizer's poll (every pollMs) that first showed all the order's tickets sold"
    },
    configurations: reports,
    sales,
    verdicts,
    ok: reports.every((r) => r.ok) && sales.every((r) => r.drained && r.confirmed === r.customers)
  })
  console.log("wrote bench/results/event-pipeline.json")
  if (!reports.every((r) => r.ok) || !sales.every((r) => r.drained && r.confirmed === r.customers)) {
    console.error("FAILED: an order was not confirmed, or its mail or stats never came, or a backlog did not drain")
    process.exitCode = 1
  }
}

await main().catch((error: unknown) => {
  console.error("bench:events failed:", error)
  process.exitCode = 1
})

import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Redacted } from "effect"
import { Reactivity } from "effect/reactivity"
import pg from "pg"
import { afterAll, beforeAll, expect, it } from "vitest"
import { describeWithOwnPostgres, OwnPostgres } from "../support/OwnPostgres.ts"
import { sleep } from "../support/Processes.ts"
import { DECLINED, DELAYED, PAID, type Reply, ServiceUnderFire } from "../support/ServiceUnderFire.ts"
import { inventoryMismatches } from "../support/SumCheck.ts"

/**
 * A database restart costs a paying customer nothing. The service (its own process, DATABASE_URL at a PostgreSQL
 * this test starts on its own data directory and port) and the sandbox provider run while buyers hold, check out
 * and pay, in three waves, each hit by a database fault while its sagas are in flight:
 *   1. `pg_ctl stop -m fast`, ~2 s down, start (sessions ended cleanly by the server);
 *   2. `pg_ctl stop -m immediate`, 10 s down, start (the server killed: crash recovery, connections cut);
 *   3. every connection of the service's pool terminated, then `stop -m immediate` for DB_RESTART_LONG_OUTAGE_MS
 *      (30 s; 0 leaves this wave's outage out).
 * The service is never restarted. Buyers retry a failed request as a client would (same Idempotency-Key). Once the
 * database is back, within SETTLE_MS: every order is settled, no paid order is cancelled, no confirmed order is
 * refunded, the provider captured once per confirmed order and holds exactly the valid tickets' price, every
 * cancelled order's intent is voided or was never authorised, the inventory counters are exact, and the
 * reconciliation checked every order. Requests during the outages answered promptly with a JSON error.
 */

const PRICE = 2500
const PER_ORDER = 2
const CARDS = [PAID, PAID, DELAYED, PAID, DECLINED]
/** After the database is last back, every order settles within this. */
const SETTLE_MS = 90_000
/**
 * A request during an outage answers within this (an error is fine, a hang is not): a checkout caught by the outage
 * between its own statements and its saga's start may spend a few seconds on each before it answers.
 */
const PROMPT_MS = 8_000
/** Once the database takes connections again, the API answers a customer's read within this. */
const RECOVER_MS = 10_000
const LONG_OUTAGE_MS = Number(process.env.DB_RESTART_LONG_OUTAGE_MS ?? 30_000)
/** A wave's buyers start this far apart: some are paying, some checking out, some holding when the fault hits. */
const STAGGER_MS = 150

interface Buyer {
  readonly wave: number
  readonly card: string
  readonly token: string
  readonly holdKey: string
  orderId?: string
  intentId?: string
}

interface Attempt {
  readonly what: string
  readonly status: number
  readonly ms: number
  readonly body: unknown
}

let world: ServiceUnderFire
let db: OwnPostgres | undefined
let probeClient: pg.Client | undefined
let failed = false
const attempts: Array<Attempt> = []

/** One statement on the test's database, through a connection opened (again) as needed. */
const probe = async (statement: string) => {
  if (db === undefined) throw new Error("no database")
  for (let attempt = 0; ; attempt++) {
    try {
      if (probeClient === undefined) {
        const client = new pg.Client({ connectionString: db.url("goticket"), connectionTimeoutMillis: 3_000 })
        client.on("error", () => undefined)
        await client.connect()
        probeClient = client
      }
      return await probeClient.query(statement)
    } catch (error) {
      await probeClient?.end().catch(() => undefined)
      probeClient = undefined
      if (attempt >= 20) throw error
      await sleep(500)
    }
  }
}

/** A call the buyer's client makes, retried on 5xx and network failures (as a client would), each attempt noted. */
const persistently = async (what: string, request: () => Promise<Reply>, deadline: number): Promise<Reply> => {
  for (;;) {
    const start = Date.now()
    const reply = await request().catch((error): Reply => ({ status: 0, body: String(error) }))
    attempts.push({ what, status: reply.status, ms: Date.now() - start, body: reply.body })
    if (reply.status !== 0 && reply.status < 500) return reply
    if (Date.now() > deadline) return reply
    await sleep(300)
  }
}

/** Hold, check out, pay: the buyer's whole purchase, each call retried through the outage. */
const buy = async (buyer: Buyer, eventId: string, ticketTypeId: string) => {
  const deadline = Date.now() + 120_000
  const hold = await persistently(
    "hold",
    () =>
      world.api("POST", "/v1/reservations", {
        token: buyer.token,
        headers: { "idempotency-key": buyer.holdKey },
        body: { eventId, items: [{ ticketTypeId, quantity: PER_ORDER }] },
        timeoutMs: 30_000
      }),
    deadline
  )
  if (hold.status !== 201 && hold.status !== 200) throw new Error(`hold: ${hold.status} ${JSON.stringify(hold.body)}`)
  const checkout = await persistently(
    "checkout",
    () => world.api("POST", `/v1/reservations/${hold.body.id}/checkout`, { token: buyer.token, timeoutMs: 30_000 }),
    deadline
  )
  if (checkout.status !== 202 && checkout.status !== 200)
    throw new Error(`checkout: ${checkout.status} ${JSON.stringify(checkout.body)}`)
  buyer.orderId = checkout.body.orderId
  buyer.intentId = checkout.body.payment.intentId
  // The provider is not down: the customer pays once.
  const confirm = await fetch(checkout.body.payment.confirmUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ card: buyer.card }),
    signal: AbortSignal.timeout(10_000)
  })
  await confirm.text()
  if (confirm.status >= 500 || (buyer.card !== DECLINED && confirm.status !== 200))
    throw new Error(`paying with ${buyer.card}: ${confirm.status}`)
}

/** While `during` runs, a customer reads their orders every 250 ms: each answer is noted with its time. */
const probing = async <A>(token: string, during: () => Promise<A>): Promise<A> => {
  let done = false
  const loop = (async () => {
    while (!done) {
      const start = Date.now()
      const reply = await world
        .api("GET", "/v1/orders?limit=1", { token, timeoutMs: 30_000 })
        .catch((error): Reply => ({ status: 0, body: String(error) }))
      attempts.push({ what: "probe", status: reply.status, ms: Date.now() - start, body: reply.body })
      await sleep(250)
    }
  })()
  try {
    return await during()
  } finally {
    done = true
    await loop
  }
}

/** How long after now a customer's read of their orders is answered again (the API is back). */
const untilAnswered = async (token: string): Promise<number> => {
  const start = Date.now()
  for (;;) {
    const reply = await world
      .api("GET", "/v1/orders?limit=1", { token, timeoutMs: 30_000 })
      .catch((error): Reply => ({ status: 0, body: String(error) }))
    if (reply.status === 200 || Date.now() - start > 60_000) return Date.now() - start
    await sleep(100)
  }
}

/** Ends every session of the service (its whole pool, and its LISTEN), as a failover or a proxy restart would. */
const dropServiceConnections = async () =>
  (
    await probe(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
        WHERE application_name = 'goticket' AND pid <> pg_backend_pid()`
    )
  ).rows[0].n as number

interface Wave {
  readonly name: string
  readonly buyers: number
  readonly hit: (db: OwnPostgres) => Promise<string>
}

const WAVES: ReadonlyArray<Wave> = [
  {
    name: "stop -m fast, ~2 s down",
    buyers: 14,
    hit: async (db) => {
      await db.stop("fast")
      await sleep(1_500)
      await db.start()
      return "restarted"
    }
  },
  {
    name: "stop -m immediate, 10 s down",
    buyers: 13,
    hit: async (db) => {
      await db.outage("immediate", 10_000)
      return "restarted after crash recovery"
    }
  },
  {
    name: `every pool connection terminated, then ${LONG_OUTAGE_MS > 0 ? `stop -m immediate, ${LONG_OUTAGE_MS / 1000} s down` : "no outage"}`,
    buyers: 13,
    hit: async (db) => {
      const dropped = await dropServiceConnections()
      await sleep(1_000)
      if (LONG_OUTAGE_MS > 0) await db.outage("immediate", LONG_OUTAGE_MS)
      return `${dropped} sessions terminated`
    }
  }
]

describeWithOwnPostgres("checkout survives PostgreSQL restarts", () => {
  beforeAll(async () => {
    world = new ServiceUnderFire()
    db = await OwnPostgres.create()
    const admin = new pg.Client({ connectionString: db.url() })
    await admin.connect()
    await admin.query("CREATE DATABASE goticket")
    await admin.end()
    await world.start(
      { DATABASE_URL: db.url("goticket") },
      { delayMs: 3_000, duplicateRate: 0.2, reorder: true },
      { PAYMENT_RECONCILIATION_INTERVAL_MS: "5000", PAYMENT_RECONCILIATION_DELAY_MS: "10000" }
    )
    console.log(`database restart test: own PostgreSQL ${db.url("goticket")}, data in ${db.dataDir}`)
  }, 120_000)

  afterAll(async () => {
    await world?.stop()
    if (failed || process.env.CRASH_PRINT_LOGS === "true") {
      console.error(world.procs.logs(3_000))
      console.error(`======== PostgreSQL server log ========\n${db?.log().slice(-20_000)}`)
    }
    await probeClient?.end().catch(() => undefined)
    db?.destroy()
  }, 60_000)

  it("settles every order, charging exactly the tickets, with the service never restarted", async () => {
    const server = db
    if (server === undefined) throw new Error("no database")
    const t0 = Date.now()
    const timings: Array<string> = []
    const mark = (what: string) => timings.push(`${what} at ${((Date.now() - t0) / 1000).toFixed(2)}s`)
    try {
      const servicePid = world.service?.pid
      const organizer = await world.account("organizer")
      const { eventId, ticketTypeId } = await world.sale(organizer, { priceMinor: PRICE, capacity: 200 })
      const total = WAVES.reduce((n, w) => n + w.buyers, 0)
      const tokens = await Promise.all(Array.from({ length: total }, () => world.account("customer")))
      const buyers: Array<Buyer> = []
      for (const [w, wave] of WAVES.entries())
        for (let i = 0; i < wave.buyers; i++)
          buyers.push({
            wave: w,
            card: CARDS[buyers.length % CARDS.length] as string,
            token: tokens[buyers.length] as string,
            holdKey: crypto.randomUUID()
          })
      mark(`${total} buyers registered`)

      let lastBack = Date.now()
      const recoveries: Array<number> = []
      for (const [w, wave] of WAVES.entries()) {
        const mine = buyers.filter((b) => b.wave === w)
        const capturedBefore = (await world.balance()).captures
        const purchases = mine.map((b, i) => sleep(i * STAGGER_MS).then(() => buy(b, eventId, ticketTypeId)))
        // The fault hits while sagas run: once the provider has captured for two of this wave's orders (a saga is
        // between its steps: some capture, others claim units or issue tickets), plus a random moment.
        const triggerBy = Date.now() + 4_000
        while ((await world.balance()).captures < capturedBefore + 2 && Date.now() < triggerBy) await sleep(20)
        await sleep(Math.floor(Math.random() * 80))
        mark(`wave ${w + 1}: ${wave.name} (${(await world.balance()).captures - capturedBefore} captured in this wave)`)
        const outcome = await probing(organizer, () => wave.hit(server))
        lastBack = Date.now()
        const recovered = await untilAnswered(organizer)
        recoveries.push(recovered)
        mark(`wave ${w + 1}: database back (${outcome}); the API answered again after ${recovered} ms`)
        await Promise.all(purchases)
        mark(`wave ${w + 1}: every buyer checked out and paid`)
      }

      // Every order settles, within a bound, without restarting anything.
      const orders = new Map<string, Reply["body"]>()
      let pending: Array<Buyer> = buyers
      while (pending.length > 0 && Date.now() < lastBack + SETTLE_MS) {
        await Promise.all(
          pending.map(async (b) => {
            const reply = await world
              .api("GET", `/v1/orders/${b.orderId}`, { token: b.token })
              .catch((error): Reply => ({ status: 0, body: String(error) }))
            if (reply.status === 200) orders.set(b.orderId as string, reply.body)
          })
        )
        pending = buyers.filter(
          (b) => orders.get(b.orderId as string)?.status === "pending_payment" || !orders.has(b.orderId as string)
        )
        if (pending.length > 0) await sleep(500)
      }
      mark(pending.length === 0 ? "every order settled" : `${pending.length} orders still pending`)
      const problems: Array<string> = pending.map(
        (b) => `order ${b.orderId} (card ${b.card}) not settled ${SETTLE_MS / 1000} s after the database was back`
      )

      // Each order as its card says, and its money at the provider as its status says.
      let validTickets = 0
      let validMinor = 0
      let confirmed = 0
      const intents = new Map<string, Reply["body"]>()
      await Promise.all(
        buyers.map(async (b) => intents.set(b.orderId as string, await world.intent(b.intentId as string)))
      )
      for (const b of buyers) {
        const order = orders.get(b.orderId as string) ?? { status: "never read", tickets: [] }
        const intent = intents.get(b.orderId as string)
        const valid = (order.tickets as Array<{ status: string; priceMinor: number }>).filter(
          (t) => t.status === "valid"
        )
        validTickets += valid.length
        validMinor += valid.reduce((sum, t) => sum + t.priceMinor, 0)
        const what = `order ${b.orderId} (wave ${b.wave + 1}, card ${b.card}): ${order.status} (${order.cancelReason ?? "-"}), intent ${intent?.status} captured ${intent?.capturedMinor} refunded ${intent?.refundedMinor}`
        if (order.status === "confirmed") {
          confirmed++
          if (valid.length !== PER_ORDER) problems.push(`${what}: ${valid.length} valid tickets`)
          if (intent?.status !== "succeeded" || intent.refundedMinor !== 0)
            problems.push(`${what}: confirmed but not paid in full`)
        }
        if (b.card !== DECLINED && order.status !== "confirmed") problems.push(`${what}: a paid order not confirmed`)
        if (b.card === DECLINED && order.status !== "cancelled")
          problems.push(`${what}: a declined order not cancelled`)
        if (order.status === "cancelled" && intent?.status !== "canceled" && intent?.status !== "failed")
          problems.push(`${what}: cancelled, but its intent was neither voided nor declined`)
      }
      const money = await world.balance()
      if (money.capturedMinor - money.refundedMinor !== validMinor)
        problems.push(
          `the provider holds ${money.capturedMinor - money.refundedMinor}, the valid tickets are worth ${validMinor}`
        )
      if (money.captures !== confirmed) problems.push(`${money.captures} captures for ${confirmed} confirmed orders`)
      if (money.intents !== total) problems.push(`${money.intents} intents for ${total} orders`)

      // The inventory's counters equal what they count; nothing is held any more.
      const books = await Effect.runPromise(
        inventoryMismatches([eventId]).pipe(
          Effect.provide(
            PgClient.layer({ url: Redacted.make(server.url("goticket")), connectTimeout: Duration.seconds(5) })
          ),
          Effect.provide(Reactivity.layer),
          Effect.scoped
        )
      )
      for (const row of books) problems.push(`inventory books: ${JSON.stringify(row)}`)
      const units = (await probe(`SELECT held, sold FROM ticket_types WHERE id = '${ticketTypeId}'`)).rows[0]
      if (units.held !== 0 || units.sold !== validTickets)
        problems.push(`ticket type held ${units.held}, sold ${units.sold}, but ${validTickets} valid tickets`)

      // The service rode it out: never restarted, every request answered promptly, failures as JSON errors.
      if (world.service?.pid !== servicePid || world.service?.hasExited() !== false)
        problems.push("the service process exited")
      for (const [w, ms] of recoveries.entries())
        if (ms > RECOVER_MS) problems.push(`wave ${w + 1}: the API answered again only ${ms} ms after the database`)
      const slow = attempts.filter((a) => a.ms > PROMPT_MS || a.status === 0)
      for (const a of slow.slice(0, 10))
        problems.push(`${a.what} took ${a.ms} ms (${a.status} ${JSON.stringify(a.body)})`)
      const errors = attempts.filter((a) => a.status >= 500)
      const unclear = errors.filter(
        (a) =>
          typeof (a.body as { message?: unknown })?.message !== "string" ||
          typeof (a.body as { _tag?: unknown })?._tag !== "string"
      )
      for (const a of unclear.slice(0, 5))
        problems.push(`${a.what} answered ${a.status} without a JSON error: ${JSON.stringify(a.body)}`)
      if (errors.length === 0) problems.push("no request failed: the outages were not seen by any client")
      const warnings = world.procs.grep("service", /"level":"(WARN|ERROR)"/).filter((line) => /database/i.test(line))
      if (warnings.length === 0) problems.push("the service's log says nothing about the database being unavailable")
      mark("checked")

      // The reconciliation checks every settled order once, and finds nothing left to repair.
      let reconciliation = ""
      const reconcileBy = Date.now() + 45_000
      for (;;) {
        const rows = await probe(
          `SELECT coalesce(payment_reconciliation, 'not yet') AS outcome, count(*)::int AS n FROM orders GROUP BY 1 ORDER BY 1`
        ).catch((error) => ({ rows: [{ outcome: String(error), n: -1 }] }))
        reconciliation = rows.rows.map((r) => `${r.outcome} ${r.n}`).join(", ")
        if (!rows.rows.some((r) => r.outcome === "not yet" || r.n < 0) || Date.now() > reconcileBy) break
        await sleep(1_000)
      }
      mark("reconciled")
      if (!/^consistent \d+$/.test(reconciliation)) problems.push(`reconciliation: ${reconciliation}`)

      const outages = attempts.filter((a) => a.what === "probe")
      const summary = [
        ...timings,
        `final: ${confirmed} confirmed of ${total}; ${validTickets} valid tickets worth ${validMinor}`,
        `provider: ${JSON.stringify(money)}`,
        `ticket type: held ${units.held}, sold ${units.sold}`,
        `requests: ${attempts.length} (${errors.length} failed: ${[...new Set(errors.map((a) => a.status))].join(", ")}), slowest ${Math.max(...attempts.map((a) => a.ms))} ms; probes ${outages.length}, ${outages.filter((a) => a.status !== 200).length} failed`,
        `reconciliation: ${reconciliation}`,
        `service log lines about the database at warning level or above: ${warnings.length}`
      ].join("\n")
      console.log(`database restart summary:\n${summary}`)
      const detail = problems.length === 0 ? "" : await world.diagnostics(buyers as never, orders)
      expect(problems, `${summary}\n${detail}`).toEqual([])
    } catch (error) {
      failed = true
      throw error
    }
  }, 240_000)
})

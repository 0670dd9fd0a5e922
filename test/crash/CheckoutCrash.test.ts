import { Effect } from "effect"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { sleep } from "../support/Processes.ts"
import {
  call,
  counts,
  DECLINED,
  DELAYED,
  expectStatus,
  PAID,
  type Reply,
  ServiceUnderFire
} from "../support/ServiceUnderFire.ts"
import { databaseTarget, serverUrl } from "../support/TestDatabase.ts"

/**
 * Crash recovery of the checkout saga, end to end and out of process: the sandbox PSP runs as its own process (so
 * payments, captures and pending webhooks outlive the service), the service is SIGKILLed right after the customers
 * paid (webhooks in flight, sagas between steps), restarted, killed again a moment into its recovery, restarted.
 * Once every order has settled: each paid order is confirmed with its tickets, each declined one cancelled without,
 * and the money at the provider matches the tickets exactly (nothing charged twice, nothing charged for nothing).
 * The ticket type requires attendee names: each paid order's tickets carry the names given at checkout, though the
 * service died between the checkout and the issue of the tickets.
 */

const PRICE = 2500
const CAPACITY = 30
const PER_ORDER = 2
/** One card per customer: most pay at once, two after the sandbox's delay, two are declined. */
const CARDS = [PAID, PAID, DELAYED, PAID, DECLINED, PAID, PAID, DELAYED, PAID, DECLINED]
const SETTLE_MS = 60_000
/** How many times the service is SIGKILLed (2; CRASH_KILLS=0 is a control run without any crash). */
const KILLS = Number(process.env.CRASH_KILLS ?? 2)

const world = new ServiceUnderFire()
let database: { readonly admin: string; readonly name: string } | undefined
let failed = false

const withDatabase = (url: string, name: string) => {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

const onServer = async (url: string, statement: string) => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  await client.connect()
  try {
    return await client.query(statement)
  } finally {
    await client.end()
  }
}

/** The test database, read from here (server only): one connection, opened once it exists. */
let probeClient: pg.Client | undefined
const probe = async (statement: string) => {
  if (probeClient === undefined) throw new Error("no database to probe")
  return probeClient.query(statement)
}

beforeAll(async () => {
  const target = await Effect.runPromise(databaseTarget)
  let databaseEnv: Record<string, string> = {}
  if (target === "server") {
    const name = `goticket_crash_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    database = { admin: serverUrl(), name }
    await onServer(database.admin, `CREATE DATABASE ${name}`)
    databaseEnv = { DATABASE_URL: withDatabase(database.admin, name) }
    probeClient = new pg.Client({ connectionString: databaseEnv.DATABASE_URL, connectionTimeoutMillis: 3_000 })
    await probeClient.connect()
  }
  await world.start(databaseEnv, { delayMs: 1500, duplicateRate: 0.3, reorder: true })
  console.log(`crash test: database ${target}, sandbox ${world.sandboxBase}, service ${world.serviceBase}`)
}, 90_000)

afterAll(async () => {
  // CRASH_KEEP_DATA=true keeps a failed run's database for a post-mortem (its name or directory is printed).
  const keep = failed && process.env.CRASH_KEEP_DATA === "true"
  if (failed || process.env.CRASH_PRINT_LOGS === "true") console.error(world.procs.logs(5_000))
  await world.stop(keep)
  await probeClient?.end().catch(() => undefined)
  if (database !== undefined) {
    const { admin, name } = database
    if (keep) console.error(`kept the database: ${withDatabase(admin, name)}`)
    else
      await onServer(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error) =>
        console.error(`could not drop ${name}: ${error}`)
      )
  } else if (keep) console.error(`kept the embedded database: ${world.dataDir}/pgdata`)
}, 30_000)

/** Left pending_payment (an order not read yet is not settled). */
const settled = (order: Reply["body"] | undefined) => order !== undefined && order.status !== "pending_payment"

interface Checkout {
  readonly customer: string
  readonly orderId: string
  readonly intentId: string
  readonly confirmUrl: string
  readonly card: string
  readonly attendees: ReadonlyArray<string>
}

describe("checkout survives SIGKILL of the service", () => {
  it("settles every order exactly once after two crashes mid-saga", async () => {
    const t0 = Date.now()
    const timings: Array<string> = []
    const mark = (what: string) => timings.push(`${what} at ${((Date.now() - t0) / 1000).toFixed(2)}s`)
    try {
      // The sale.
      const organizer = await world.account("organizer")
      const sale = await world.sale(organizer, { priceMinor: PRICE, capacity: CAPACITY, attendeeNames: "required" })
      const event = { id: sale.eventId }
      const ga = { id: sale.ticketTypeId }

      // Every customer holds two and checks out.
      const checkouts: Array<Checkout> = await Promise.all(
        CARDS.map(async (card, i) => {
          const customer = await world.account("customer")
          const attendees = Array.from({ length: PER_ORDER }, (_, n) => `Guest ${i}-${n + 1}`)
          const hold = expectStatus(
            await world.api("POST", "/v1/reservations", {
              token: customer,
              headers: { "idempotency-key": crypto.randomUUID() },
              body: { eventId: event.id, items: [{ ticketTypeId: ga.id, quantity: PER_ORDER }] }
            }),
            201,
            "hold"
          )
          const checkout = expectStatus(
            await world.api("POST", `/v1/reservations/${hold.id}/checkout`, { token: customer, body: { attendees } }),
            202,
            "checkout"
          )
          return {
            customer,
            orderId: checkout.orderId as string,
            intentId: checkout.payment.intentId as string,
            confirmUrl: checkout.payment.confirmUrl as string,
            card,
            attendees
          }
        })
      )
      mark(`${checkouts.length} checkouts opened`)

      // Everybody pays at once; the service dies as soon as the provider has answered the last of them.
      const paid = await Promise.all(
        checkouts.map((c) => call(c.confirmUrl, "POST", { body: { card: c.card } }).then((r) => [c.card, r] as const))
      )
      for (const [card, reply] of paid)
        if (reply.status >= 500 || (card !== DECLINED && reply.status !== 200))
          throw new Error(`paying with ${card}: ${reply.status} ${JSON.stringify(reply.body)}`)
      mark("payments submitted")
      let atFirstCrash = "no crash (CRASH_KILLS=0)"
      let atSecondCrash = "no second crash"
      if (KILLS >= 1) {
        mark(`service SIGKILLed (gone after ${await world.killService()} ms)`)
        atFirstCrash = await crashState(checkouts)
        const capturesBefore = (await world.balance()).captures as number
        mark(`restarted (ready after ${await world.startService()} ms)`)
        if (KILLS >= 2) {
          // The second crash comes in the middle of the recovery, once redelivered webhooks woke the sagas: as soon
          // as an order's units are claimed but its tickets not issued yet (read from the database when we can), or
          // the provider performed a capture, plus a random moment, so as to land before, during or after the capture.
          const trigger = async (): Promise<string | undefined> => {
            if ((await world.balance()).captures > capturesBefore) return "the first capture"
            if (database === undefined) return undefined
            const claimed = await probe(
              `SELECT count(*)::int AS n FROM orders WHERE status = 'pending_payment' AND units_claimed`
            )
            return claimed.rows[0].n > 0 ? "the first claim of units" : undefined
          }
          const triggerDeadline = Date.now() + 20_000
          let triggered: string | undefined
          while (triggered === undefined && Date.now() < triggerDeadline) {
            triggered = await trigger()
            if (triggered === undefined) await sleep(10)
          }
          const delay = Math.floor(Math.random() * 150)
          await sleep(delay)
          const gone = await world.killService()
          mark(
            `SIGKILLed again ${triggered === undefined ? "(neither a claim nor a capture within 20 s)" : `${delay} ms after ${triggered}`} ` +
              `(gone after ${gone} ms)`
          )
          atSecondCrash = await crashState(checkouts)
          mark(`restarted (ready after ${await world.startService()} ms)`)
        }
      }

      // Every order leaves pending_payment, within a bound. Every answer must be a 200: an order that is there
      // one moment and "not found" the next is noted (and fails the test at the end, with everything else).
      const orders = new Map<string, Reply["body"]>()
      const oddAnswers: Array<string> = []
      const deadline = Date.now() + SETTLE_MS
      let stuck: Array<Checkout> = []
      for (;;) {
        await Promise.all(
          checkouts.map(async (c) => {
            const reply = await world
              .api("GET", `/v1/orders/${c.orderId}`, { token: c.customer })
              .catch((error): Reply => ({ status: 0, body: String(error) }))
            if (reply.status === 200) orders.set(c.orderId, reply.body)
            else oddAnswers.push(`GET /v1/orders/${c.orderId}: ${reply.status} ${JSON.stringify(reply.body)}`)
          })
        )
        stuck = checkouts.filter((c) => !settled(orders.get(c.orderId)))
        if (stuck.length === 0 || Date.now() > deadline) break
        await sleep(250)
      }
      mark(stuck.length === 0 ? "every order settled" : `gave up waiting: ${stuck.length} orders still pending`)

      // Each order as its card says.
      const problems: Array<string> = [
        ...stuck.map((c) => `order ${c.orderId} (card ${c.card}) still pending_payment after ${SETTLE_MS} ms`),
        ...oddAnswers.slice(0, 10)
      ]
      let validTickets = 0
      let validTicketMinor = 0
      let confirmed = 0
      for (const c of checkouts) {
        const order = orders.get(c.orderId) ?? { status: "never read", tickets: [] }
        const valid = (order.tickets as Array<{ status: string; priceMinor: number }>).filter(
          (t) => t.status === "valid"
        )
        validTickets += valid.length
        validTicketMinor += valid.reduce((sum, t) => sum + t.priceMinor, 0)
        if (order.status === "confirmed") confirmed++
        if (c.card === DECLINED) {
          if (order.status !== "cancelled" || order.tickets.length !== 0)
            problems.push(
              `declined order ${c.orderId}: ${order.status} (${order.cancelReason}), ${order.tickets.length} tickets`
            )
        } else if (order.status !== "confirmed" || order.tickets.length !== PER_ORDER || valid.length !== PER_ORDER) {
          problems.push(
            `paid order ${c.orderId} (card ${c.card}): ${order.status} (${order.cancelReason}), ` +
              `${valid.length}/${order.tickets.length} valid tickets`
          )
        } else {
          const names = (order.tickets as Array<{ attendeeName: string | null }>).map((t) => t.attendeeName)
          if (JSON.stringify(names) !== JSON.stringify(c.attendees))
            problems.push(`paid order ${c.orderId}: tickets named ${JSON.stringify(names)}, given ${c.attendees}`)
        }
      }

      // The money at the provider matches the tickets: captured once per confirmed order, never twice.
      const money = await world.balance()
      if (money.capturedMinor - money.refundedMinor !== validTicketMinor)
        problems.push(
          `provider holds ${money.capturedMinor} - ${money.refundedMinor} = ${money.capturedMinor - money.refundedMinor}, ` +
            `the valid tickets are worth ${validTicketMinor}`
        )
      if (money.captures !== confirmed)
        problems.push(`${money.captures} captures at the provider for ${confirmed} confirmed orders`)
      if (money.intents !== checkouts.length)
        problems.push(`${money.intents} intents at the provider for ${checkouts.length} orders`)

      // Inventory: what is no longer available is exactly what was sold (no hold left behind).
      let inventory = ""
      for (let attempt = 0; ; attempt++) {
        const detail = expectStatus(await world.api("GET", `/v1/events/${event.id}`), 200, "event detail")
        const type = (detail.ticketTypes as Array<{ id: string; capacity: number; available: number }>).find(
          (t) => t.id === ga.id
        )
        inventory = `capacity ${type?.capacity}, available ${type?.available}`
        if (type !== undefined && type.capacity - type.available === validTickets) break
        if (attempt === 20) {
          problems.push(`GA ${inventory}, but ${validTickets} valid tickets`)
          break
        }
        await sleep(300) // the public view is cached for a few seconds
      }
      if (database !== undefined) {
        const rows = await probe(`SELECT held, sold FROM ticket_types WHERE id = '${ga.id}'`)
        const { held, sold } = rows.rows[0] as { held: number; sold: number }
        inventory += `; in the database held ${held}, sold ${sold}`
        if (sold !== validTickets || held !== 0)
          problems.push(`ticket_types row: held ${held}, sold ${sold}, but ${validTickets} valid tickets`)
      }
      mark("checked")

      const summary = [
        ...timings,
        `orders at the first crash: ${atFirstCrash}`,
        `orders at the second crash: ${atSecondCrash}`,
        `final: ${confirmed} confirmed, ${checkouts.length - confirmed} not; ${validTickets} valid tickets worth ${validTicketMinor}`,
        `provider balance: ${JSON.stringify(money)}`,
        `inventory: ${inventory}`,
        `service log lines at warning level or above: ${world.procs.grep("service", /"level":"(WARN|ERROR|FATAL)"/).length}`
      ].join("\n")
      console.log(`crash test summary:\n${summary}`)
      const detail = problems.length === 0 ? "" : await world.diagnostics(checkouts, orders)
      expect(problems, `${summary}\n${detail}`).toEqual([])
    } catch (error) {
      failed = true
      throw error
    }
  }, 120_000)
})

/**
 * What a crash interrupted: the orders by status as the database has them (when we can read it from here) and the
 * intents by status at the provider (`requires_capture` on a pending order: authorised, capture not done yet;
 * `succeeded` on a pending order: captured, tickets not issued yet).
 */
const crashState = async (checkouts: ReadonlyArray<Checkout>) => {
  const intents = await Promise.all(checkouts.map(async (c) => String((await world.intent(c.intentId))?.status)))
  let orders = "not readable (embedded database)"
  if (database !== undefined) {
    const ids = checkouts.map((c) => `'${c.orderId}'`).join(",")
    const rows = await probe(`SELECT status, units_claimed FROM orders WHERE id IN (${ids})`)
    orders = counts(rows.rows.map((r) => `${r.status}${r.units_claimed ? "+claimed" : ""}`))
  }
  return `orders: ${orders}; intents: ${counts(intents)}`
}

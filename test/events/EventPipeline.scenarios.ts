import { expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { makeWebhookReceiver } from "../../src/services/payments/testing/WebhookReceiver.ts"
import type { Mailbox } from "../support/Mailbox.ts"
import { type Api, PAID, purchase } from "../support/Purchase.ts"
import { publishedSale } from "../support/Sale.ts"

/** Polls the organizer's sales stats until `done` holds; dies after `timeoutMs`. */
export const statsUntil = (
  api: Api,
  token: string,
  eventId: string,
  // biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON
  done: (stats: any) => boolean,
  timeoutMs: number
) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const reply = yield* api.call("GET", `/v1/events/${eventId}/stats`, { token })
      expect(reply.status).toBe(200)
      if (done(reply.body)) return reply.body
      if (Date.now() > deadline)
        return yield* Effect.die(new Error(`stats not updated within ${timeoutMs} ms: ${JSON.stringify(reply.body)}`))
      yield* Effect.sleep("20 millis")
    }
  })

/**
 * A purchase mails its confirmation (with every ticket's code) and shows in the organizer's stats; a partial refund
 * mails a notice and shows as refunded. (How fast is the benchmark's business: `npm run bench:events`.)
 */
export const purchaseMailsAndCounts = (api: Api, mailbox: Mailbox) =>
  Effect.gen(function* () {
    const sale = yield* publishedSale(api, { capacity: 10 })
    const buyer = yield* api.account("customer")
    const before = (yield* mailbox.all).length
    const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID)
    expect(order.status).toBe("confirmed")

    const mails = yield* mailbox.atLeast(before + 1, 10_000)
    const stats = yield* statsUntil(api, sale.organizer.token, sale.eventId, (s) => s.totals.sold === 2, 10_000)
    const confirmation = mails.find((m) => m.includes(order.id) || m.includes(buyer.email))
    expect(confirmation).toBeDefined()
    expect(confirmation).toContain(`To: ${buyer.email}`)
    for (const ticket of order.tickets as ReadonlyArray<{ id: string }>) {
      const view = yield* api.call("GET", `/v1/tickets/${ticket.id}`, { token: buyer.token })
      // Codes are long: the quoted-printable body may fold them, so compare without soft line breaks.
      expect(confirmation?.replace(/=\r?\n/g, "")).toContain(view.body.code)
    }
    expect(stats.totals).toMatchObject({ sold: 2, refunded: 0, grossMinor: 5000, revenueMinor: 5000 })
    expect(stats.ticketTypes).toEqual([
      expect.objectContaining({ ticketTypeId: sale.gaId, name: "GA", sold: 2, revenueMinor: 5000 })
    ])
    // The stats are the organizer's: a customer is refused, an unknown event is not found.
    expect((yield* api.call("GET", `/v1/events/${sale.eventId}/stats`, { token: buyer.token })).status).toBe(403)
    const unknown = yield* api.call("GET", `/v1/events/${crypto.randomUUID()}/stats`, { token: sale.organizer.token })
    expect(unknown.status).toBe(404)

    const refund = yield* api.call("POST", `/v1/orders/${order.id}/refund`, {
      token: buyer.token,
      body: { ticketIds: [order.tickets[0].id] }
    })
    expect(refund.status).toBe(202)
    const refunded = yield* statsUntil(api, sale.organizer.token, sale.eventId, (s) => s.totals.refunded === 1, 5_000)
    expect(refunded.totals).toMatchObject({ sold: 2, refunded: 1, refundedMinor: 2500, revenueMinor: 2500 })
    const withNotice = yield* mailbox.atLeast(before + 2, 5_000)
    expect(withNotice.filter((m) => m.includes(`To: ${buyer.email}`)).length).toBe(2)
    return { sale, order, buyer }
  })

/** Redelivered events dropped by the consumers' inboxes so far, as /metrics reports them. */
/** Deliveries the consumers had no second effect for: duplicates their inbox dropped, and events they skipped. */
const duplicatesDropped = (api: Api) =>
  Effect.map(api.call("GET", "/metrics"), (reply) =>
    [...String(reply.body).matchAll(/^goticket_events_(?:duplicate|skipped)_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0
    )
  )

/**
 * A duplicate delivery has one effect: the purchase's events are sent again (their outbox rows marked unsent, as
 * after a relay that crashed before recording its send), they are delivered again, and nothing changes.
 */
export const redeliveryChangesNothing = (api: Api, mailbox: Mailbox) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const sale = yield* publishedSale(api, { capacity: 10 })
    const buyer = yield* api.account("customer")
    const earlier = (yield* mailbox.all).length
    const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 3, PAID)
    yield* statsUntil(api, sale.organizer.token, sale.eventId, (s) => s.totals.sold === 3, 5_000)
    const mailsBefore = yield* mailbox.atLeast(earlier + 1, 5_000)
    const events = yield* sql<{ id: string }>`
      SELECT id FROM outbox
      WHERE aggregate_id = ${order.id} OR (type = 'TicketIssued' AND payload->>'orderId' = ${order.id})`
    expect(events.length).toBe(4) // OrderConfirmed and three TicketIssued
    const ids = events.map((e) => e.id)
    // Handled: OrderConfirmed by notifications, each TicketIssued by sales-stats (organizer-webhooks sees all four
    // too, and skips them with no inbox row when no endpoint listens).
    const handled = Effect.map(
      sql<{ n: number }>`SELECT count(*)::int AS n FROM inbox
        WHERE event_id IN ${sql.in(ids)} AND consumer <> 'organizer-webhooks'`,
      ([row]) => row?.n ?? 0
    )
    for (let i = 0; i < 500 && (yield* handled) < 4; i++) yield* Effect.sleep("20 millis")
    expect(yield* handled).toBe(4)

    const duplicatesBefore = yield* duplicatesDropped(api)
    yield* sql`UPDATE outbox SET sent_at = NULL WHERE id IN ${sql.in(ids)}`
    // Wait until the relay has sent them again and the consumers had time to see them.
    for (let i = 0; i < 500; i++) {
      const [left] = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM outbox WHERE id IN ${sql.in(ids)} AND sent_at IS NULL`
      if (left?.n === 0) break
      yield* Effect.sleep("20 millis")
    }
    for (let i = 0; i < 500 && (yield* duplicatesDropped(api)) < duplicatesBefore + 8; i++)
      yield* Effect.sleep("20 millis")
    // Each consumer got its events again, and its inbox dropped them (or it skipped them again).
    expect((yield* duplicatesDropped(api)) - duplicatesBefore).toBe(8)
    const stats = yield* statsUntil(api, sale.organizer.token, sale.eventId, () => true, 1_000)
    expect(stats.totals).toMatchObject({ sold: 3, grossMinor: 7500 })
    expect((yield* mailbox.all).length).toBe(mailsBefore.length)
    expect(yield* handled).toBe(4)
  })

/** An organizer's webhook receives the purchase's OrderConfirmed envelope, with the request's trace in it. */
export const webhookFollowsPurchase = (api: Api) =>
  Effect.scoped(
    Effect.gen(function* () {
      const receiver = yield* makeWebhookReceiver()
      const sale = yield* publishedSale(api, { capacity: 10 })
      const registered = yield* api.call("POST", "/v1/organizer/webhooks", {
        token: sale.organizer.token,
        body: { url: receiver.url, eventTypes: ["OrderConfirmed", "TicketIssued"] }
      })
      expect(registered.status).toBe(201)
      const buyer = yield* api.account("customer")
      const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID)
      const confirmed = yield* receiver.acknowledged((d) => d.payload.includes('"type":"OrderConfirmed"'))
      const envelope = JSON.parse(confirmed.payload)
      expect(envelope).toMatchObject({
        type: "OrderConfirmed",
        version: 1,
        aggregateType: "order",
        aggregateId: order.id,
        payload: { orderId: order.id, eventId: sale.eventId, totalMinor: 5000, tickets: 2 }
      })
      expect(envelope.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      yield* receiver.waitFor((all) => {
        const issued = all.filter((d) => d.status < 300 && d.payload.includes('"type":"TicketIssued"'))
        return issued.length >= 2 ? Option.some(issued) : Option.none()
      })
    })
  )

/** `/metrics` serves the Prometheus text format with the outbox lag. */
export const metricsShowOutboxLag = (api: Api) =>
  Effect.gen(function* () {
    const reply = yield* api.call("GET", "/metrics")
    expect(reply.status).toBe(200)
    expect(reply.headers.get("content-type")).toContain("text/plain")
    expect(String(reply.body)).toMatch(/^# TYPE goticket_outbox_lag_seconds gauge$/m)
    expect(String(reply.body)).toMatch(/^goticket_outbox_lag_seconds \d+(\.\d+)?(e-?\d+)?$/m)
    expect(String(reply.body)).toMatch(/^goticket_outbox_pending \d+$/m)
  })

export const ADMIN = { email: "ops@example.com", password: "correct-horse-battery-admin" }

/**
 * A poison event (its payload does not match its schema) is retried, then lands in the consumers' dead letters;
 * an admin lists them through the API and replays one (it fails again and comes back).
 */
export const poisonGoesToDeadLetters = (api: Api) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const login = yield* api.call("POST", "/v1/auth/login", { body: ADMIN })
    const token = login.body.accessToken as string
    const [poison] = yield* sql<{ id: string }>`
      INSERT INTO outbox (type, aggregate_type, aggregate_id, payload, slot)
      VALUES ('TicketIssued', 'ticket', gen_random_uuid(), '{"ticketId": "not a ticket"}', 0) RETURNING id`
    const deadLetters = (consumer: string) =>
      Effect.map(api.call("GET", `/v1/admin/dead-letters/${consumer}`, { token }), (reply) => {
        expect(reply.status).toBe(200)
        return reply.body as ReadonlyArray<{ eventId: string; attempts: number; lastError: string }>
      })
    const deadOnce = (consumer: string) =>
      Effect.gen(function* () {
        for (let i = 0; i < 500; i++) {
          const found = (yield* deadLetters(consumer)).find((d) => d.eventId === poison?.id)
          if (found) return found
          yield* Effect.sleep("20 millis")
        }
        return yield* Effect.die(new Error(`the poison event never reached ${consumer}'s dead letters`))
      })
    const dead = yield* deadOnce("sales-stats")
    expect(dead.attempts).toBe(2)
    expect(dead.lastError).toContain("UnreadableEvent")

    const customer = yield* api.account("customer")
    const forbidden = yield* api.call("GET", "/v1/admin/dead-letters/sales-stats", { token: customer.token })
    expect(forbidden.status).toBe(403)
    const unknown = yield* api.call("GET", "/v1/admin/dead-letters/nobody", { token })
    expect(unknown.status).toBe(400)

    const replay = yield* api.call("POST", "/v1/admin/dead-letters/sales-stats/replay", {
      token,
      body: { eventIds: [poison?.id] }
    })
    expect(replay.status).toBe(200)
    expect(replay.body).toEqual({ replayed: 1 })
    expect((yield* deadLetters("sales-stats")).some((d) => d.eventId === poison?.id)).toBe(false)
    // Still poison: it is tried again and comes back.
    expect((yield* deadOnce("sales-stats")).attempts).toBe(2)
  })

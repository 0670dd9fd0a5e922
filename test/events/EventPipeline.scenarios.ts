import { SqlClient } from "@effect/sql"
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import type { Mailbox } from "../support/Mailbox.ts"
import { type Api, PAID, purchase } from "../support/Purchase.ts"
import { publishedSale } from "../support/Sale.ts"

/** Polls the organizer's sales stats until `done` holds; dies after `timeoutMs`. */
export const statsUntil = (
  api: Api,
  token: string,
  eventId: string,
  done: (stats: { totals: Record<string, number> }) => boolean,
  timeoutMs: number
) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const reply = yield* api.call("GET", `/v1/events/${eventId}/stats`, { token })
      expect(reply.status).toBe(200)
      if (done(reply.body)) return reply.body
      if (Date.now() > deadline)
        return yield* Effect.dieMessage(`stats not updated within ${timeoutMs} ms: ${JSON.stringify(reply.body)}`)
      yield* Effect.sleep("20 millis")
    }
  })

/**
 * A purchase mails its confirmation (with every ticket's code) and shows in the organizer's stats within a second
 * of the order's confirmation; a partial refund mails a notice and shows as refunded.
 */
export const purchaseMailsAndCounts = (api: Api, mailbox: Mailbox) =>
  Effect.gen(function* () {
    const sale = yield* publishedSale(api, { capacity: 10 })
    const buyer = yield* api.account("customer")
    const before = (yield* mailbox.all).length
    const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID)
    expect(order.status).toBe("confirmed")
    const confirmedAt = Date.now()

    const mails = yield* mailbox.atLeast(before + 1, 1_000)
    const stats = yield* statsUntil(api, sale.organizer.token, sale.eventId, (s) => s.totals.sold === 2, 1_000)
    const elapsed = Date.now() - confirmedAt
    expect(elapsed).toBeLessThan(1_000)
    const confirmation = mails.find((m) => m.includes(order.id) || m.includes(buyer.email))
    expect(confirmation).toBeDefined()
    expect(confirmation).toContain(`To: ${buyer.email}`)
    for (const ticket of order.tickets as ReadonlyArray<{ id: string }>) {
      const view = yield* api.call("GET", `/v1/tickets/${ticket.id}`, { token: buyer.token })
      // Codes are long: the quoted-printable body may fold them, so compare without soft line breaks.
      expect(confirmation?.replace(/=\r?\n/g, "")).toContain(view.body.code)
    }
    expect(stats.totals).toMatchObject({ sold: 2, refunded: 0, grossMinor: 5000, revenueMinor: 5000 })

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
    const handledBefore = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM inbox`

    const resent = yield* sql<{ id: string }>`
      UPDATE outbox SET sent_at = NULL
      WHERE aggregate_id = ${order.id} OR (type = 'TicketIssued' AND payload->>'orderId' = ${order.id})
      RETURNING id`
    expect(resent.length).toBe(4) // OrderConfirmed and three TicketIssued
    // Wait until the relay has sent them again and the consumers had time to see them.
    for (let i = 0; i < 100; i++) {
      const [left] = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM outbox WHERE id IN ${sql.in(resent.map((r) => r.id))} AND sent_at IS NULL`
      if (left?.n === 0) break
      yield* Effect.sleep("20 millis")
    }
    yield* Effect.sleep("500 millis")
    const stats = yield* statsUntil(api, sale.organizer.token, sale.eventId, () => true, 1_000)
    expect(stats.totals).toMatchObject({ sold: 3, grossMinor: 7500 })
    expect((yield* mailbox.all).length).toBe(mailsBefore.length)
    const handledAfter = yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM inbox`
    expect(handledAfter[0]?.n).toBe(handledBefore[0]?.n)
  })

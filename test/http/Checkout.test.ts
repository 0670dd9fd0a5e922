import { describe, expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import { InProcessSandbox } from "../../src/services/payments/PaymentGatewayLive.ts"
import { DECLINED, PAID, purchase } from "../support/Purchase.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/** Money kept by the provider = price of valid tickets; units sold = valid tickets. */
const sumCheck = (eventId: string) =>
  Effect.gen(function* () {
    const sandbox = Option.getOrThrow(yield* InProcessSandbox)
    const sql = yield* SqlClient.SqlClient
    const [tickets] = yield* sql<{ value: number; count: number }>`
      SELECT coalesce(sum(price_minor), 0)::int AS value, count(*)::int AS count FROM tickets WHERE status = 'valid'`
    const [sold] = yield* sql<{ sold: number }>`
      SELECT coalesce(sum(sold), 0)::int AS sold FROM ticket_types WHERE event_id = ${eventId}`
    const [eventTickets] = yield* sql<{ count: number }>`
      SELECT count(*)::int AS count FROM tickets WHERE status = 'valid' AND event_id = ${eventId}`
    // Settled refunds are asynchronous: wait for the provider to have returned what the database voided.
    for (let i = 0; i < 600; i++) {
      const balance = yield* sandbox.balance
      if (balance.capturedMinor - balance.refundedMinor === tickets?.value) break
      yield* Effect.sleep("50 millis")
    }
    const balance = yield* sandbox.balance
    expect(balance.capturedMinor - balance.refundedMinor).toBe(tickets?.value)
    expect(sold?.sold).toBe(eventTickets?.count)
  })

describe("checkout over REST, on PostgreSQL with the sandbox provider over HTTP", () => {
  layer(TestServerLive({ CHECKOUT_PAYMENT_WINDOW_SECONDS: "30" }), { excludeTestServices: true })("", (it) => {
    it.effect(
      "buys tickets: pay, confirmed with tickets, QR code, check-in once, partial refund",
      () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 10 })
          const buyer = yield* api.account("customer")
          const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 3, PAID)
          expect(order.status).toBe("confirmed")
          expect(order.tickets).toHaveLength(3)
          expect(order.totalMinor).toBe(7500)

          const listed = yield* api.call("GET", "/v1/orders", { token: buyer.token })
          expect(listed.body.items.map((o: { id: string }) => o.id)).toContain(order.id)
          const stranger = yield* api.account("customer")
          expect((yield* api.call("GET", `/v1/orders/${order.id}`, { token: stranger.token })).status).toBe(404)
          expect((yield* api.call("GET", `/v1/orders/${order.id}`, { token: sale.organizer.token })).status).toBe(200)

          const ticket = yield* api.call("GET", `/v1/tickets/${order.tickets[0].id}`, { token: buyer.token })
          expect(ticket.body.code).toMatch(/^GT1\./)
          const qr = yield* api.call("GET", ticket.body.qrUrl, { token: buyer.token })
          expect(qr.status).toBe(200)
          expect(qr.headers.get("content-type")).toContain("image/svg+xml")
          expect(String(qr.body)).toContain("<svg")
          expect((yield* api.call("GET", ticket.body.qrUrl, { token: stranger.token })).status).toBe(404)

          const scan = (code: string) =>
            api.call("POST", "/v1/check-ins", { token: sale.organizer.token, body: { eventId: sale.eventId, code } })
          expect((yield* scan(ticket.body.code)).status).toBe(200)
          const second = yield* scan(ticket.body.code)
          expect(second.status).toBe(409)
          expect(second.body.firstCheckedInAt).toBeDefined()
          const forged = yield* scan(`${ticket.body.code.slice(0, -3)}abc`)
          expect(forged.status).toBe(422)
          expect(forged.body.code).toBe("forged_code")
          const byCustomer = yield* api.call("POST", "/v1/check-ins", {
            token: buyer.token,
            body: { eventId: sale.eventId, code: ticket.body.code }
          })
          expect(byCustomer.status).toBe(403)

          // The checked-in ticket is not refundable by the customer; the two others are, one at a time.
          const usedRefund = yield* api.call("POST", `/v1/orders/${order.id}/refund`, {
            token: buyer.token,
            body: { ticketIds: [order.tickets[0].id] }
          })
          expect(usedRefund.status).toBe(409)
          expect(usedRefund.body.code).toBe("ticket_not_refundable")
          const refund = yield* api.call("POST", `/v1/orders/${order.id}/refund`, {
            token: buyer.token,
            headers: { "idempotency-key": "refund-one" },
            body: { ticketIds: [order.tickets[1].id] }
          })
          expect(refund.status).toBe(202)
          expect(refund.body.amountMinor).toBe(2500)
          const replay = yield* api.call("POST", `/v1/orders/${order.id}/refund`, {
            token: buyer.token,
            headers: { "idempotency-key": "refund-one" },
            body: { ticketIds: [order.tickets[1].id] }
          })
          expect(replay.body.id).toBe(refund.body.id)
          const after = yield* api.call("GET", `/v1/orders/${order.id}`, { token: buyer.token })
          expect(after.body.status).toBe("partially_refunded")
          expect(after.body.refundedMinor).toBe(2500)
          const voided = yield* scan(
            (yield* api.call("GET", `/v1/tickets/${order.tickets[1].id}`, { token: buyer.token })).body.code
          )
          expect(voided.status).toBe(422)
          expect(voided.body.code).toBe("ticket_voided")
          yield* sumCheck(sale.eventId)
        }),
      60_000
    )

    it.effect("the buyer's order carries its tickets' codes, ready to scan; the organizer's view of it does not", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 10 })
        const buyer = yield* api.account("customer")
        const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID)
        expect(order.status).toBe("confirmed")
        const mine = yield* api.call("GET", `/v1/orders/${order.id}`, { token: buyer.token })
        const codes = mine.body.tickets.map((t: { code: string | null }) => t.code)
        expect(codes).toHaveLength(2)
        for (const code of codes) expect(code).toMatch(/^GT1\./)
        // The same codes as each ticket's own page, and in the order list too.
        const first = yield* api.call("GET", `/v1/tickets/${mine.body.tickets[0].id}`, { token: buyer.token })
        expect(first.body.code).toBe(codes[0])
        const listed = yield* api.call("GET", "/v1/orders", { token: buyer.token })
        const inList = listed.body.items.find((o: { id: string }) => o.id === order.id)
        expect(inList.tickets.map((t: { code: string | null }) => t.code)).toEqual(codes)
        // The door admits the code straight from the order.
        const scan = yield* api.call("POST", "/v1/check-ins", {
          token: sale.organizer.token,
          body: { eventId: sale.eventId, code: codes[1] }
        })
        expect(scan.status).toBe(200)
        expect(scan.body.id).toBe(mine.body.tickets[1].id)
        const organizers = yield* api.call("GET", `/v1/orders/${order.id}`, { token: sale.organizer.token })
        expect(organizers.status).toBe(200)
        expect(organizers.body.tickets.map((t: { code: string | null }) => t.code)).toEqual([null, null])
      })
    )

    it.effect("a declined card cancels the order and gives the tickets back", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 2 })
        const buyer = yield* api.account("customer")
        const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, DECLINED)
        expect(order).toMatchObject({ status: "cancelled", cancelReason: "payment_declined", tickets: [] })
        const again = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 2))
        expect(again.status).toBe(201)
        yield* sumCheck(sale.eventId)
      })
    )

    it.effect("follows the event's own refund policy, which its organizer sets", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 5 })
        const buyer = yield* api.account("customer")
        const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID)
        // No customer refunds in the last year before the show: this one is refused.
        const strict = yield* api.call("PATCH", `/v1/events/${sale.eventId}`, {
          token: sale.organizer.token,
          body: { refundCutoffHours: 8760 }
        })
        expect(strict.status).toBe(200)
        expect(strict.body.refundCutoffHours).toBe(8760)
        const refused = yield* api.call("POST", `/v1/orders/${order.id}/refund`, { token: buyer.token, body: {} })
        expect(refused.status).toBe(409)
        expect(refused.body.code).toBe("refund_window_closed")
        const invalid = yield* api.call("PATCH", `/v1/events/${sale.eventId}`, {
          token: sale.organizer.token,
          body: { refundCutoffHours: -1 }
        })
        expect(invalid.status).toBe(400)
        // Back to the platform default (24 hours): the show is weeks away, so the customer may refund.
        yield* api.call("PATCH", `/v1/events/${sale.eventId}`, {
          token: sale.organizer.token,
          body: { refundCutoffHours: null }
        })
        const refunded = yield* api.call("POST", `/v1/orders/${order.id}/refund`, { token: buyer.token, body: {} })
        expect(refunded.status).toBe(202)
        expect(refunded.body.amountMinor).toBe(5000)
        yield* sumCheck(sale.eventId)
      })
    )

    it.effect("concurrent scans of one ticket admit it exactly once", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 5 })
        const buyer = yield* api.account("customer")
        const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 1, PAID)
        const { code } = (yield* api.call("GET", `/v1/tickets/${order.tickets[0].id}`, { token: buyer.token })).body
        const scans = yield* Effect.forEach(
          Array.from({ length: 20 }),
          () =>
            api.call("POST", "/v1/check-ins", {
              token: sale.organizer.token,
              body: { eventId: sale.eventId, code }
            }),
          { concurrency: "unbounded" }
        )
        expect(scans.filter((s) => s.status === 200)).toHaveLength(1)
        expect(scans.filter((s) => s.status === 409)).toHaveLength(19)
      })
    )

    it.effect("cancelling the event refunds every paid order", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 10 })
        const buyers = yield* Effect.all([api.account("customer"), api.account("customer")])
        const orders = yield* Effect.forEach(buyers, (b) => purchase(api, b.token, sale.eventId, sale.gaId, 2, PAID), {
          concurrency: 2
        })
        expect(orders.map((o) => o.status)).toEqual(["confirmed", "confirmed"])
        const cancelled = yield* api.call("POST", `/v1/events/${sale.eventId}/cancel`, { token: sale.organizer.token })
        expect(cancelled.status).toBe(200)
        for (const [i, buyer] of buyers.entries()) {
          let status = ""
          for (let n = 0; n < 200 && status !== "refunded"; n++) {
            status = (yield* api.call("GET", `/v1/orders/${orders[i].id}`, { token: buyer.token })).body.status
            if (status !== "refunded") yield* Effect.sleep("50 millis")
          }
          expect(status).toBe("refunded")
        }
        yield* sumCheck(sale.eventId)
      })
    )

    it.effect("refuses a checkout of someone else's hold, and forged or stale webhooks", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 5 })
        const [owner, thief] = yield* Effect.all([api.account("customer"), api.account("customer")])
        const held = yield* hold(api, owner.token, holdBody(sale.eventId, sale.gaId, 1))
        const stolen = yield* api.call("POST", `/v1/reservations/${held.body.id}/checkout`, { token: thief.token })
        expect(stolen.status).toBe(409)
        expect(stolen.body.code).toBe("hold_not_active")

        const body = JSON.stringify({ id: "evt_forged", type: "payment_intent.authorized", data: {} })
        const unsigned = yield* api.call("POST", "/v1/payments/webhook", { rawBody: body })
        expect(unsigned.status).toBe(400)
        expect(unsigned.body.reason).toBe("missing_signature")
        const forged = yield* api.call("POST", "/v1/payments/webhook", {
          rawBody: body,
          headers: { "sandbox-signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` }
        })
        expect(forged.status).toBe(400)
        expect(forged.body.reason).toBe("bad_signature")
        const stale = yield* api.call("POST", "/v1/payments/webhook", {
          rawBody: body,
          headers: { "sandbox-signature": `t=${Math.floor(Date.now() / 1000) - 3600},v1=${"0".repeat(64)}` }
        })
        expect(stale.status).toBe(400)
      })
    )
  })
})

import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { PAID, purchase, settledOrder } from "../support/Purchase.ts"
import { publishedSale } from "../support/Sale.ts"
import { publishedEvent } from "../support/SecurityWorld.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

describe("an event's orders managed by its organizer over HTTP", () => {
  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("organizer orders", (it) => {
    it.effect("the organizer reads an order of the event and cancels it with a write key; a read key may not", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 20 })
        const buyer = yield* api.account("customer")
        const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID)
        expect(order.status).toBe("confirmed")
        const other = yield* publishedEvent(api, sale.organizer, "Another night")
        const keyOf = (access: string, events?: Array<string>) =>
          Effect.map(
            api.call("POST", "/v1/organizer/api-keys", {
              token: sale.organizer.token,
              body: { name: access, access, ...(events ? { events } : {}) }
            }),
            (r) => r.body.secret as string
          )
        const reader = yield* keyOf("read")
        const writer = yield* keyOf("write", [sale.eventId])
        const path = `/v1/events/${sale.eventId}/orders/${order.id}`

        const read = yield* api.call("GET", path, { token: reader })
        expect(read.status).toBe(200)
        expect(read.body).toMatchObject({ id: order.id, status: "confirmed" })
        expect(read.body.tickets.map((t: { code: unknown }) => t.code)).toEqual([null, null])
        // Through another event of the same organizer, the order is not found.
        const elsewhere = yield* api.call("GET", `/v1/events/${other.eventId}/orders/${order.id}`, {
          token: sale.organizer.token
        })
        expect(elsewhere.status).toBe(404)
        expect(elsewhere.body._tag).toBe("OrderNotFound")
        // The buyer is not the event's organizer.
        expect((yield* api.call("GET", path, { token: buyer.token })).status).toBe(403)

        const refused = yield* api.call("POST", `${path}/refund`, { token: reader, body: {} })
        expect(refused.status).toBe(403)
        expect((yield* api.call("GET", `/v1/orders/${order.id}`, { token: buyer.token })).body.status).toBe("confirmed")

        const refunded = yield* api.call("POST", `${path}/refund`, { token: writer, body: {} })
        expect(refunded.status).toBe(202)
        expect(refunded.body).toMatchObject({ orderId: order.id, amountMinor: order.totalMinor })
        const after = yield* api.call("GET", `/v1/orders/${order.id}`, { token: buyer.token })
        expect(after.body.tickets.map((t: { status: string }) => t.status)).toEqual(["voided", "voided"])
        const again = yield* api.call("POST", `${path}/refund`, { token: writer, body: {} })
        expect(again.status).toBe(409)

        // The trail names the key, with the event.
        const trail = yield* api.call("GET", `/v1/events/${sale.eventId}/audit?action=order.refund_requested`, {
          token: sale.organizer.token
        })
        expect(trail.body.items[0]).toMatchObject({ actorRole: "organizer", resourceId: order.id })
        expect(trail.body.items[0].actorId).not.toBe(sale.organizer.id)
        yield* settledOrder(api, buyer.token, order.id)
      })
    )
  })
})

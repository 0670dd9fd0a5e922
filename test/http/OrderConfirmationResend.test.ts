import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { directoryMailbox } from "../support/Mailbox.ts"
import { DECLINED, PAID, purchase } from "../support/Purchase.ts"
import { publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

// The test server has no SMTP_URL: the mails are .eml files in GOTICKET_DATA_DIR/mail.
const dataDir = mkdtempSync(join(tmpdir(), "goticket-resend-"))
const mailbox = directoryMailbox(join(dataDir, "mail"))
/** The mails about one order (each names it: "Order: <id>"). */
const mailsAbout = (orderId: string) => Effect.map(mailbox.all, (all) => all.filter((m) => m.includes(orderId)))

describe("an order's confirmation mail sent again over HTTP", () => {
  layer(
    TestServerLive({
      GOTICKET_DATA_DIR: dataDir,
      RATE_LIMITS: "on",
      RATE_LIMIT_AUTH_PER_MINUTE: "1000",
      CONFIRMATION_RESENDS_PER_HOUR: "2"
    }),
    { timeout: "120 seconds", excludeTestServices: true }
  )("resend", (it) => {
    it.effect("the organizer and the buyer send it again, twice an hour at most; only a paid order has one", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 20 })
        const buyer = yield* api.account("customer")
        const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 2, PAID)
        const declined = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 1, DECLINED)
        expect(declined.status).toBe("cancelled")
        // The confirmation the purchase itself sent, once it is there.
        for (let i = 0; (yield* mailsAbout(order.id)).length === 0; i++) {
          expect(i).toBeLessThan(1_500)
          yield* Effect.sleep("20 millis")
        }
        expect(yield* mailsAbout(order.id)).toHaveLength(1)
        const organizerPath = `/v1/events/${sale.eventId}/orders/${order.id}/confirmation`
        const token = sale.organizer.token

        // Strangers first: nothing is sent, no quota spent.
        const reader = (yield* api.call("POST", "/v1/organizer/api-keys", {
          token,
          body: { name: "read", access: "read" }
        })).body.secret as string
        expect((yield* api.call("POST", organizerPath, { token: reader })).status).toBe(403)
        const stranger = yield* api.account("customer")
        expect((yield* api.call("POST", organizerPath, { token: stranger.token })).status).toBe(403)
        expect((yield* api.call("POST", `/v1/orders/${order.id}/confirmation`, { token: stranger.token })).status).toBe(
          404
        )
        // An unpaid order has no confirmation: 409, and the quota is left whole.
        const unpaid = yield* api.call("POST", `/v1/events/${sale.eventId}/orders/${declined.id}/confirmation`, {
          token
        })
        expect(unpaid.status).toBe(409)
        expect(unpaid.body).toMatchObject({ _tag: "ConfirmationUnavailable", status: "cancelled" })

        const byOrganizer = yield* api.call("POST", organizerPath, { token })
        expect(byOrganizer.status).toBe(200)
        expect(byOrganizer.body.orderId).toBe(order.id)
        expect(byOrganizer.body.sentTo).toMatch(/^c\*+@example\.com$/)
        expect(byOrganizer.body.sentTo).not.toBe(buyer.email)
        const byBuyer = yield* api.call("POST", `/v1/orders/${order.id}/confirmation`, { token: buyer.token })
        expect(byBuyer.status).toBe(200)
        expect(byBuyer.body.messageId).not.toBe(byOrganizer.body.messageId)
        const mails = yield* mailsAbout(order.id)
        expect(mails).toHaveLength(3)
        expect(mails.filter((m) => m.includes(byBuyer.body.messageId))).toHaveLength(1)
        expect(mails.filter((m) => m.includes(byOrganizer.body.messageId))).toHaveLength(1)
        expect(mails.every((m) => m.toLowerCase().includes(buyer.email.toLowerCase()))).toBe(true)

        // The order's quota (2 an hour) is spent, whoever asks.
        const third = yield* api.call("POST", organizerPath, { token })
        expect(third.status).toBe(429)
        expect(third.body._tag).toBe("RateLimited")
        expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0)
        expect(yield* mailsAbout(order.id)).toHaveLength(3)

        // Audited, with who asked.
        const trail = yield* api.call("GET", `/v1/events/${sale.eventId}/audit?action=order.confirmation_resent`, {
          token
        })
        expect(trail.body.items.map((i: { actorId: string }) => i.actorId).sort()).toEqual(
          [sale.organizer.id, buyer.id].sort()
        )
      })
    )
  })
})

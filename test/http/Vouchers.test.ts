import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { DECLINED, PAID, payAt, settledOrder } from "../support/Purchase.ts"
import { hold, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

const CODE = /^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{12}$/

const voucherHold = (eventId: string, ticketTypeId: string, quantity: number, voucherCode: string) => ({
  eventId,
  items: [{ ticketTypeId, quantity }],
  voucherCode
})

describe("vouchers over REST", () => {
  layer(TestServerLive({ CUSTOMER_TICKET_LIMIT: "1000" }), { timeout: "180 seconds", excludeTestServices: true })(
    "organizers' vouchers and customers' holds",
    (it) => {
      it.effect("an organizer creates 1,000 random codes in one call, lists them and exports them as CSV", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 100 })
          const path = `/v1/events/${sale.eventId}/vouchers`
          const created = yield* api.call("POST", path, {
            token: sale.organizer.token,
            body: { kind: "percent", value: 20, count: 1000, maxRedemptions: 2 }
          })
          expect(created.status).toBe(201)
          expect(created.body.count).toBe(1000)
          const codes: Array<string> = created.body.vouchers.map((v: { code: string }) => v.code)
          expect(new Set(codes).size).toBe(1000)
          expect(codes.every((c) => CODE.test(c))).toBe(true)

          const listed = yield* api.call("GET", path, { token: sale.organizer.token })
          expect(listed.status).toBe(200)
          expect(listed.body).toHaveLength(1000)
          expect(listed.body[0]).toMatchObject({ kind: "percent", value: 20, maxRedemptions: 2, redeemed: 0 })

          const csv = yield* api.call("GET", `${path}.csv`, { token: sale.organizer.token })
          expect(csv.status).toBe(200)
          expect(csv.headers.get("content-type")).toMatch(/^text\/csv/)
          const lines = String(csv.body).trimEnd().split("\r\n")
          expect(lines[0]).toBe("code,kind,value,ticketTypeIds,validFrom,validUntil,maxRedemptions,redeemed,createdAt")
          expect(lines).toHaveLength(1001)
          expect(new Set(lines.slice(1).map((l) => l.split(",")[0]))).toEqual(new Set(codes))
        })
      )

      it.effect("only the event's organizer (or an admin) manages its vouchers", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 10 })
          const customer = yield* api.account("customer")
          const stranger = yield* api.account("organizer")
          const path = `/v1/events/${sale.eventId}/vouchers`
          const body = { kind: "fixed", value: 500 }
          for (const token of [customer.token, stranger.token]) {
            expect((yield* api.call("POST", path, { token, body })).status).toBe(403)
            expect((yield* api.call("GET", path, { token })).status).toBe(403)
            expect((yield* api.call("GET", `${path}.csv`, { token })).status).toBe(403)
          }
          expect((yield* api.call("GET", path, {})).status).toBe(401)
          expect((yield* api.call("GET", path, { token: sale.organizer.token })).body).toEqual([])
        })
      )

      it.effect("refuses vouchers the rules do not allow with a sentence, creating nothing", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 10 })
          const path = `/v1/events/${sale.eventId}/vouchers`
          const token = sale.organizer.token
          const refused = (body: unknown) => api.call("POST", path, { token, body })
          const percent = yield* refused({ kind: "percent", value: 120 })
          expect(percent.status).toBe(422)
          expect(percent.body).toMatchObject({ _tag: "InvalidVoucher", code: "invalid_voucher" })
          expect(percent.body.message).toMatch(/from 1 to 100/)
          const window = yield* refused({
            kind: "fixed",
            value: 100,
            validFrom: "2030-01-02T00:00:00Z",
            validUntil: "2030-01-01T00:00:00Z"
          })
          expect(window.status).toBe(422)
          expect(window.body.message).toMatch(/validUntil must be after validFrom/)
          const otherType = yield* refused({ kind: "fixed", value: 100, ticketTypeIds: [crypto.randomUUID()] })
          expect(otherType.status).toBe(422)
          const tooMany = yield* refused({ kind: "fixed", value: 100, count: 5001 })
          expect(tooMany.status).toBe(400)
          expect(tooMany.body.issues[0].path).toEqual(["count"])
          const chosen = yield* refused({ kind: "fixed", value: 100, code: "spring-sale-2030" })
          expect(chosen.status).toBe(201)
          expect(chosen.body.vouchers[0].code).toBe("SPRINGSALE2030")
          const again = yield* refused({ kind: "percent", value: 5, code: "SPRING-SALE-2030" })
          expect(again.status).toBe(422)
          expect(again.body.message).toMatch(/already/)
          expect((yield* api.call("GET", path, { token })).body).toHaveLength(1)
        })
      )

      it.effect("a hold with a code pays the discounted price through checkout; a declined payment gives it back", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 50 })
          const buyer = yield* api.account("customer")
          const path = `/v1/events/${sale.eventId}/vouchers`
          const created = yield* api.call("POST", path, {
            token: sale.organizer.token,
            body: { kind: "fixed", value: 1000, code: "FRIENDS-2030-A", maxRedemptions: 1 }
          })
          expect(created.status).toBe(201)

          // 2 × 25.00 − 10.00, as the customer typed it
          const held = yield* hold(api, buyer.token, voucherHold(sale.eventId, sale.gaId, 2, "friends-2030-a"))
          expect(held.status).toBe(201)
          expect(held.body.totalMinor).toBe(4000)
          const usedUp = yield* hold(api, buyer.token, voucherHold(sale.eventId, sale.gaId, 1, "FRIENDS2030A"))
          expect(usedUp.status).toBe(409)
          expect(usedUp.body).toMatchObject({ _tag: "VoucherUsedUp", code: "voucher_used_up" })
          expect((yield* api.call("GET", path, { token: sale.organizer.token })).body[0].redeemed).toBe(1)

          const checkout = yield* api.call("POST", `/v1/reservations/${held.body.id}/checkout`, { token: buyer.token })
          expect(checkout.status).toBe(202)
          expect(checkout.body.totalMinor).toBe(4000)
          expect((yield* payAt(checkout.body.payment.confirmUrl, DECLINED)).status).toBeGreaterThanOrEqual(200)
          const cancelled = yield* settledOrder(api, buyer.token, checkout.body.orderId)
          expect(cancelled.status).toBe("cancelled")
          expect((yield* api.call("GET", path, { token: sale.organizer.token })).body[0].redeemed).toBe(0)

          // The redemption is free again: this time the order is paid, at the discounted price.
          const again = yield* hold(api, buyer.token, voucherHold(sale.eventId, sale.gaId, 1, "FRIENDS2030A"))
          expect(again.status).toBe(201)
          expect(again.body.totalMinor).toBe(1500)
          const paid = yield* api.call("POST", `/v1/reservations/${again.body.id}/checkout`, { token: buyer.token })
          expect((yield* payAt(paid.body.payment.confirmUrl, PAID)).status).toBe(200)
          const order = yield* settledOrder(api, buyer.token, paid.body.orderId)
          expect(order).toMatchObject({ status: "confirmed", totalMinor: 1500 })
          expect((yield* api.call("GET", path, { token: sale.organizer.token })).body[0].redeemed).toBe(1)
          const stats = yield* api.call("GET", `/v1/events/${sale.eventId}/stats`, { token: sale.organizer.token })
          expect(stats.body.vouchers).toEqual({ redemptions: 1, discountMinor: 1000 })
        })
      )

      it.effect("a wrong, expired or foreign code is the same 422, and takes nothing", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 5 })
          const other = yield* publishedSale(api, { capacity: 5 })
          const buyer = yield* api.account("customer")
          const foreign = yield* api.call("POST", `/v1/events/${other.eventId}/vouchers`, {
            token: other.organizer.token,
            body: { kind: "percent", value: 50 }
          })
          const expired = yield* api.call("POST", `/v1/events/${sale.eventId}/vouchers`, {
            token: sale.organizer.token,
            body: { kind: "percent", value: 50, validFrom: "2020-01-01T00:00:00Z", validUntil: "2020-02-01T00:00:00Z" }
          })
          const answers = yield* Effect.forEach(
            ["NOSUCHCODE00", foreign.body.vouchers[0].code, expired.body.vouchers[0].code],
            (code) => hold(api, buyer.token, voucherHold(sale.eventId, sale.gaId, 1, code))
          )
          expect(answers.map((a) => a.status)).toEqual([422, 422, 422])
          expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1)
          expect(answers[0]?.body).toMatchObject({ _tag: "VoucherNotValid", code: "voucher_not_valid" })
          const detail = yield* api.call("GET", `/v1/events/${sale.eventId}`)
          expect(detail.body.ticketTypes[0].available).toBe(5)
        })
      )
    }
  )

  layer(TestServerLive({ RATE_LIMITS: "on", VOUCHER_MAX_FAILURES: "3" }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("guessing codes", (it) => {
    it.effect("wrong codes are rate-limited per customer: after 3, holds with a code are 429; plain holds go on", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 50 })
        const guesser = yield* api.account("customer")
        const statuses: Array<number> = []
        for (let i = 0; i < 4; i++)
          statuses.push(
            (yield* hold(api, guesser.token, voucherHold(sale.eventId, sale.gaId, 1, `GUESS${i}ABCDEFG`))).status
          )
        expect(statuses).toEqual([422, 422, 422, 429])
        const plain = yield* hold(api, guesser.token, {
          eventId: sale.eventId,
          items: [{ ticketTypeId: sale.gaId, quantity: 1 }]
        })
        expect(plain.status).toBe(201)
        const someoneElse = yield* api.account("customer")
        expect(
          (yield* hold(api, someoneElse.token, voucherHold(sale.eventId, sale.gaId, 1, "GUESSXABCDEFG"))).status
        ).toBe(422)
      })
    )
  })
})

import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { readDelivered } from "../contracts/MailerContract.ts"
import { directoryMailbox } from "../support/Mailbox.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

const dataDir = mkdtempSync(join(tmpdir(), "goticket-waiting-lists-"))
const mailbox = directoryMailbox(join(dataDir, "mail"))

const offerMailTo = (address: string) =>
  Effect.gen(function* () {
    // Generous: a loaded machine relays the outbox slowly.
    for (let i = 0; i < 3000; i++) {
      const mails = (yield* mailbox.all)
        .map((raw) => readDelivered(Buffer.from(raw, "utf8")))
        .filter((mail) => mail.to.includes(address))
      if (mails.length > 0) return mails
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.die(new Error(`no mail to ${address} within 60 s`))
  })

describe("waiting lists over REST", () => {
  layer(TestServerLive({ GOTICKET_DATA_DIR: dataDir, WAITING_LIST_OFFER_HOURS: "2" }), {
    timeout: "180 seconds",
    excludeTestServices: true
  })("customers join sold-out types; organizers see and switch the lists", (it) => {
    it.effect("join, place, the offer by mail, the code for its account only, leave; the organizer's view", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 1 })
        const entry = `/v1/events/${sale.eventId}/waiting-lists/${sale.gaId}/entry`
        const [buyer, first, second, outsider] = [
          yield* api.account("customer"),
          yield* api.account("customer"),
          yield* api.account("customer"),
          yield* api.account("customer")
        ]

        // Not sold out: no list to join.
        const early = yield* api.call("POST", entry, { token: first.token })
        expect(early.status).toBe(409)
        expect(early.body).toMatchObject({ _tag: "WaitingListNotSoldOut", code: "not_sold_out", available: 1 })
        expect(early.body.message).toMatch(/not sold out/)

        const taken = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1))
        expect(taken.status).toBe(201)
        const joined = yield* api.call("POST", entry, { token: first.token })
        expect(joined.status).toBe(200)
        expect(joined.body).toMatchObject({ joined: true, standing: { status: "waiting", position: 1, waiting: 1 } })
        expect((yield* api.call("POST", entry, { token: second.token })).body.standing.position).toBe(2)
        // Once per type: again answers the same place.
        const again = yield* api.call("POST", entry, { token: first.token })
        expect(again.body).toMatchObject({ joined: false, standing: { entryId: joined.body.standing.entryId } })
        expect((yield* api.call("GET", entry, { token: second.token })).body).toMatchObject({ position: 2 })
        expect((yield* api.call("GET", entry, { token: outsider.token })).status).toBe(404)
        expect((yield* api.call("GET", entry, {})).status).toBe(401)

        const lists = `/v1/events/${sale.eventId}/waiting-lists`
        expect((yield* api.call("GET", lists, { token: outsider.token })).status).toBe(403)
        expect((yield* api.call("GET", lists, { token: sale.organizer.token })).body).toEqual([
          { ticketTypeId: sale.gaId, name: "GA", open: true, waiting: 2, withheld: 0 }
        ])

        // The unit comes back: the first in line gets it, by mail, with a code only their account can use.
        const released = yield* api.call("DELETE", `/v1/reservations/${taken.body.id}`, { token: buyer.token })
        expect(released.status).toBe(200)
        const standing = yield* api.call("GET", entry, { token: first.token })
        expect(standing.body).toMatchObject({ status: "offered", position: 0 })
        const [mail] = yield* offerMailTo(first.email)
        const code = /voucher code ([A-Z0-9]{12})/.exec(mail?.text ?? "")?.[1] as string
        expect(code).toMatch(/^[A-Z0-9]{12}$/)

        const withCode = { ...holdBody(sale.eventId, sale.gaId, 1), voucherCode: code }
        expect((yield* hold(api, outsider.token, holdBody(sale.eventId, sale.gaId, 1))).status).toBe(409)
        expect((yield* hold(api, second.token, withCode)).status).toBe(422)
        const mine = yield* hold(api, first.token, withCode)
        expect(mine.status).toBe(201)
        expect(mine.body.totalMinor).toBe(2500)

        // The organizer switches the list off: joining is refused with a sentence.
        const off = yield* api.call("PATCH", `${lists}/${sale.gaId}`, {
          token: sale.organizer.token,
          body: { open: false }
        })
        expect(off.status).toBe(200)
        expect(off.body).toMatchObject({ open: false, waiting: 1 })
        const closed = yield* api.call("POST", entry, { token: outsider.token })
        expect(closed.status).toBe(409)
        expect(closed.body._tag).toBe("WaitingListClosed")
        expect(
          (yield* api.call("PATCH", `${lists}/${sale.gaId}`, { token: outsider.token, body: { open: true } })).status
        ).toBe(403)
        const badBody = yield* api.call("PATCH", `${lists}/${sale.gaId}`, {
          token: sale.organizer.token,
          body: { open: "yes" }
        })
        expect(badBody.status).toBe(400)

        // Leaving.
        expect((yield* api.call("DELETE", entry, { token: second.token })).status).toBe(204)
        expect((yield* api.call("DELETE", entry, { token: second.token })).status).toBe(404)
      })
    )

    it.effect("a reserved-quota voucher withholds its units from the public; holds with its code take them", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 3 })
        const [member, outsider] = [yield* api.account("customer"), yield* api.account("customer")]
        const vouchers = `/v1/events/${sale.eventId}/vouchers`
        const token = sale.organizer.token
        const tooMany = yield* api.call("POST", vouchers, {
          token,
          body: { kind: "percent", value: 10, ticketTypeIds: [sale.gaId], reservedUnits: 4 }
        })
        expect(tooMany.status).toBe(422)
        expect(tooMany.body.message).toMatch(/only 3 units/)
        const noType = yield* api.call("POST", vouchers, {
          token,
          body: { kind: "percent", value: 10, reservedUnits: 1 }
        })
        expect(noType.status).toBe(422)
        expect(noType.body.message).toMatch(/exactly one ticket type/)

        const created = yield* api.call("POST", vouchers, {
          token,
          body: { kind: "percent", value: 10, ticketTypeIds: [sale.gaId], reservedUnits: 2, maxRedemptions: 5 }
        })
        expect(created.status).toBe(201)
        expect(created.body.vouchers[0]).toMatchObject({ reservedUnits: 2, reservedLeft: 2 })
        const code = created.body.vouchers[0].code as string
        const available = () =>
          Effect.map(
            api.call("GET", `/v1/events/${sale.eventId}`, {}),
            (r) => r.body.ticketTypes.find((t: { id: string }) => t.id === sale.gaId).available
          )
        expect(yield* available()).toBe(1)

        expect((yield* hold(api, outsider.token, holdBody(sale.eventId, sale.gaId, 1))).status).toBe(201)
        expect((yield* hold(api, outsider.token, holdBody(sale.eventId, sale.gaId, 1))).status).toBe(409)
        const withCode = { ...holdBody(sale.eventId, sale.gaId, 2), voucherCode: code }
        const reserved = yield* hold(api, member.token, withCode)
        expect(reserved.status).toBe(201)
        expect(reserved.body.totalMinor).toBe(4500)
        // Released, the two units go back to the quota, not to the public.
        expect(
          (yield* api.call("DELETE", `/v1/reservations/${reserved.body.id}`, { token: member.token })).status
        ).toBe(200)
        expect(yield* available()).toBe(0)
        expect((yield* hold(api, outsider.token, holdBody(sale.eventId, sale.gaId, 1))).status).toBe(409)
        expect((yield* hold(api, member.token, withCode)).status).toBe(201)
      })
    )
  })
})

import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { type Api, DECLINED, PAID, purchase } from "../support/Purchase.ts"
import { publishedSale } from "../support/Sale.ts"
import { publishedEvent } from "../support/SecurityWorld.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

const ids = (body: { items: Array<{ id: string }> }) => body.items.map((o) => o.id)
const csvLines = (text: string) => text.split("\r\n").filter((l) => l !== "")

/** A customer account under a chosen name (any text: quotes, commas, a spreadsheet formula). */
const customerNamed = (api: Api, name: string) =>
  Effect.gen(function* () {
    const email = `buyer-${crypto.randomUUID().slice(0, 12)}@example.com`
    const password = "correct-horse-battery"
    const registered = yield* api.call("POST", "/v1/auth/register", {
      body: { email, password, name, accountType: "customer" }
    })
    expect(registered.status).toBe(201)
    const login = yield* api.call("POST", "/v1/auth/login", { body: { email, password } })
    return { email, token: login.body.accessToken as string }
  })

describe("an event's orders searched, listed and exported by its organizer over HTTP", () => {
  layer(TestServerLive(), { timeout: "180 seconds", excludeTestServices: true })("order search", (it) => {
    it.effect("the organizer finds orders by status, buyer, ticket code and dates, page by page", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 40 })
        const alice = yield* customerNamed(api, 'Alice "Ace", Smith')
        const bob = yield* customerNamed(api, '=HYPERLINK("http://evil.example","x")')
        const carol = yield* customerNamed(api, "Carol")
        const first = yield* purchase(api, alice.token, sale.eventId, sale.gaId, 2, PAID)
        const second = yield* purchase(api, bob.token, sale.eventId, sale.gaId, 1, PAID)
        const declined = yield* purchase(api, carol.token, sale.eventId, sale.gaId, 1, DECLINED)
        const third = yield* purchase(api, alice.token, sale.eventId, sale.gaId, 3, PAID)
        expect(declined.status).toBe("cancelled")
        const token = sale.organizer.token
        const base = `/v1/events/${sale.eventId}/orders`
        const search = (query: string) => Effect.map(api.call("GET", `${base}?${query}`, { token }), (r) => r)

        const all = yield* search("")
        expect(all.status).toBe(200)
        expect(ids(all.body)).toEqual([third.id, declined.id, second.id, first.id])
        expect(all.body.items[0]).toMatchObject({
          status: "confirmed",
          buyerEmail: alice.email,
          buyerName: 'Alice "Ace", Smith',
          tickets: 3,
          validTickets: 3,
          totalMinor: 7500,
          currency: "EUR"
        })
        expect(all.body.nextCursor).toBeNull()

        expect(ids((yield* search("status=cancelled")).body)).toEqual([declined.id])
        expect(ids((yield* search(`email=${encodeURIComponent(alice.email.toUpperCase())}`)).body)).toEqual([
          third.id,
          first.id
        ])
        expect(ids((yield* search("name=hyperlink")).body)).toEqual([second.id])
        expect(ids((yield* search("name=ace&status=confirmed")).body)).toEqual([third.id, first.id])
        // The buyer's ticket code, as printed on the ticket, finds its order.
        const mine = yield* api.call("GET", `/v1/orders/${third.id}`, { token: alice.token })
        const code = mine.body.tickets[1].code as string
        expect(ids((yield* search(`ticketCode=${encodeURIComponent(code)}`)).body)).toEqual([third.id])
        // A code of the right form that no ticket of this event has finds nothing.
        const forged = `${code.slice(0, -4)}${code.endsWith("AAAA") ? "BBBB" : "AAAA"}`
        expect((yield* search(`ticketCode=${encodeURIComponent(forged)}`)).body.items).toEqual([])
        // Creation range, both ends inclusive.
        const range = `from=${encodeURIComponent(second.createdAt)}&to=${encodeURIComponent(declined.createdAt)}`
        expect(ids((yield* search(range)).body)).toEqual([declined.id, second.id])

        // Page by page, the same orders in the same order, each once.
        const paged: Array<string> = []
        let cursor: string | null = null
        do {
          const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = yield* search(
            `limit=1${cursor === null ? "" : `&cursor=${cursor}`}`
          )
          expect(page.body.items.length).toBeLessThanOrEqual(1)
          paged.push(...ids(page.body))
          cursor = page.body.nextCursor
        } while (cursor !== null)
        expect(paged).toEqual(ids(all.body))

        // Invalid filters: 400 with every problem listed, each at its field.
        const bad = yield* search("status=shipped&limit=0&from=yesterday&email=nobody&cursor=nope")
        expect(bad.status).toBe(400)
        expect(bad.body._tag).toBe("HttpApiDecodeError")
        expect([...new Set(bad.body.issues.map((i: { path: Array<string> }) => i.path[0]))].sort()).toEqual(
          ["cursor", "email", "from", "limit", "status"].sort()
        )
        const tooBig = yield* search("limit=201")
        expect(tooBig.status).toBe(400)
        const backwards = yield* search(
          `from=${encodeURIComponent(third.createdAt)}&to=${encodeURIComponent(first.createdAt)}`
        )
        expect(backwards.status).toBe(400)
        expect(backwards.body.issues).toEqual([
          expect.objectContaining({ path: ["to"], message: expect.stringContaining("before") })
        ])
        const notACode = yield* search("ticketCode=hello")
        expect(notACode.status).toBe(400)
        expect(notACode.body.issues[0].path).toEqual(["ticketCode"])

        // The orders as CSV: the same filters; names quoted, a formula neutralised.
        const exported = yield* api.call("GET", `${base}.csv?status=confirmed`, { token })
        expect(exported.status).toBe(200)
        expect(exported.headers.get("content-type")).toMatch(/^text\/csv/)
        const lines = csvLines(exported.body as string)
        expect(lines[0]).toBe(
          "orderId,status,buyerEmail,buyerName,tickets,validTickets,totalMinor,refundedMinor,currency,createdAt,confirmedAt,cancelledAt"
        )
        expect(lines).toHaveLength(4)
        expect(lines[1]).toContain(`${third.id},confirmed,${alice.email},"Alice ""Ace"", Smith",3,3,7500,0,EUR,`)
        expect(lines[2]).toContain(
          `${second.id},confirmed,${bob.email},"'=HYPERLINK(""http://evil.example"",""x"")",1,1`
        )
        expect((yield* api.call("GET", `${base}.csv?to=nope`, { token })).status).toBe(400)

        // Neither a customer nor another organizer may search or export.
        const stranger = yield* api.account("organizer")
        for (const path of [base, `${base}.csv`, `/v1/events/${sale.eventId}/attendees`]) {
          expect((yield* api.call("GET", path, { token: bob.token })).status).toBe(403)
          expect((yield* api.call("GET", path, { token: stranger.token })).status).toBe(403)
        }
      })
    )

    it.effect("the attendee list has one line per ticket that admits, with its check-in; keys read it", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 40 })
        const buyer = yield* customerNamed(api, "@Dana")
        const order = yield* purchase(api, buyer.token, sale.eventId, sale.gaId, 3, PAID)
        const other = yield* customerNamed(api, "Eve")
        const second = yield* purchase(api, other.token, sale.eventId, sale.gaId, 1, PAID)
        const token = sale.organizer.token
        // One ticket refunded, one checked in.
        const [refunded, admitted] = order.tickets as Array<{ id: string; code: string }>
        const refund = yield* api.call("POST", `/v1/events/${sale.eventId}/orders/${order.id}/refund`, {
          token,
          body: { ticketIds: [refunded?.id] }
        })
        expect(refund.status).toBe(202)
        expect(
          (yield* api.call("POST", "/v1/check-ins", { token, body: { eventId: sale.eventId, code: admitted?.code } }))
            .status
        ).toBe(200)

        const path = `/v1/events/${sale.eventId}/attendees`
        const list = yield* api.call("GET", path, { token })
        expect(list.status).toBe(200)
        const lines = list.body.items as Array<Record<string, unknown>>
        // In the order tickets were issued: an order's tickets together (by id), then the later order's.
        expect(lines.map((l) => l.ticketId)).toEqual([
          ...[order.tickets[1].id, order.tickets[2].id].sort(),
          second.tickets[0].id
        ])
        const admittedLine = lines.find((l) => l.ticketId === admitted?.id)
        const waitingLine = lines.find((l) => l.ticketId === order.tickets[2].id)
        expect(admittedLine).toMatchObject({
          orderId: order.id,
          ticketType: "GA",
          seatLabel: null,
          buyerEmail: buyer.email,
          buyerName: "@Dana",
          attendeeName: null,
          checkedIn: true
        })
        expect(typeof admittedLine?.checkedInAt).toBe("string")
        expect(waitingLine).toMatchObject({ checkedIn: false, checkedInAt: null })
        // No code that admits leaves the buyer's hands.
        expect(JSON.stringify(list.body)).not.toContain(admitted?.code)

        const firstPage = yield* api.call("GET", `${path}?limit=2`, { token })
        const secondPage = yield* api.call("GET", `${path}?limit=2&cursor=${firstPage.body.nextCursor}`, { token })
        expect([...firstPage.body.items, ...secondPage.body.items].map((l) => l.ticketId)).toEqual(
          lines.map((l) => l.ticketId)
        )
        expect(secondPage.body.nextCursor).toBeNull()
        expect((yield* api.call("GET", `${path}?limit=500`, { token })).status).toBe(400)

        // A read key reads and exports; a key for another event may not.
        const keyOf = (access: string, events?: Array<string>) =>
          Effect.map(
            api.call("POST", "/v1/organizer/api-keys", {
              token,
              body: { name: access, access, ...(events ? { events } : {}) }
            }),
            (r) => r.body.secret as string
          )
        const reader = yield* keyOf("read")
        const elsewhere = yield* publishedEvent(api, sale.organizer, "Another night")
        const sideKey = yield* keyOf("read", [elsewhere.eventId])
        const csv = yield* api.call("GET", `${path}.csv`, { token: reader })
        expect(csv.status).toBe(200)
        const rows = csvLines(csv.body as string)
        expect(rows[0]).toBe(
          "ticketId,orderId,ticketTypeId,ticketType,seat,buyerEmail,buyerName,attendeeName,checkedIn,checkedInAt,issuedAt"
        )
        expect(rows).toHaveLength(4)
        expect(rows.find((r) => r.startsWith(admitted?.id ?? "-"))).toContain(`,GA,,${buyer.email},'@Dana,,true,`)
        expect((yield* api.call("GET", path, { token: sideKey })).status).toBe(403)
        expect((yield* api.call("GET", `/v1/events/${sale.eventId}/orders.csv`, { token: sideKey })).status).toBe(403)
      })
    )
  })
})

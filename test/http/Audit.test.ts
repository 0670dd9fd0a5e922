import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { PAID, purchase } from "../support/Purchase.ts"
import { publishedSale } from "../support/Sale.ts"
import { client, eventBody, type Reply, TestServerLive } from "../support/TestServer.ts"

const ADMIN = { email: "audit-admin@example.com", password: "audit-admin-password" }
const USER_AGENT = "audit-test-scanner/2.1"

type Api = Effect.Success<typeof client>
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
type Json = any

/** Every record of a page-by-page walk, newest first. */
const walk = (api: Api, path: string, token: string, limit: number) =>
  Effect.gen(function* () {
    const items: Array<Json> = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = `${path}${path.includes("?") ? "&" : "?"}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`
      const reply: Reply = yield* api.call("GET", query, { token })
      expect(reply.status, query).toBe(200)
      expect(reply.body.items.length).toBeLessThanOrEqual(limit)
      items.push(...reply.body.items)
      cursor = reply.body.nextCursor
      pages++
    } while (cursor !== null && pages < 50)
    return { items, pages }
  })

const one = (items: ReadonlyArray<Json>, action: string) => {
  const found = items.filter((r) => r.action === action)
  expect(found, action).toHaveLength(1)
  return found[0]
}

describe("the audit trail over HTTP", () => {
  layer(
    TestServerLive({
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      CHECKOUT_PAYMENT_WINDOW_SECONDS: "30"
    }),
    { timeout: "180 seconds", excludeTestServices: true }
  )("", (it) => {
    it.effect(
      "the organizer reads their event's trail: edits, publishing, a refund, check-ins and the cancellation, with who and from where",
      () =>
        Effect.gen(function* () {
          const api = yield* client
          const organizer = yield* api.account("organizer")
          const as = (token: string, extra: Record<string, string> = {}) => ({
            token,
            headers: { "user-agent": USER_AGENT, ...extra }
          })
          const created = yield* api.call("POST", "/v1/events", { ...as(organizer.token), body: eventBody() })
          expect(created.status).toBe(201)
          const eventId = created.body.id as string
          const ga = yield* api.call("POST", `/v1/events/${eventId}/ticket-types`, {
            ...as(organizer.token),
            body: { name: "GA", priceMinor: 2500, currency: "EUR", capacity: 10, maxPerOrder: 5 }
          })
          expect(ga.status).toBe(201)
          const edited = yield* api.call("PATCH", `/v1/events/${eventId}`, {
            ...as(organizer.token, { "x-request-id": "audit-edit-1" }),
            body: { title: "Late Night Concert" }
          })
          expect(edited.status).toBe(200)
          expect(edited.headers.get("x-request-id")).toBe("audit-edit-1")
          const published = yield* api.call("POST", `/v1/events/${eventId}/publish`, as(organizer.token))
          expect(published.status).toBe(200)

          const buyer = yield* api.account("customer")
          const order = yield* purchase(api, buyer.token, eventId, ga.body.id, 2, PAID)
          expect(order.status).toBe("confirmed")
          const [refunded, admitted] = order.tickets as Array<{ id: string }>
          const refund = yield* api.call("POST", `/v1/orders/${order.id}/refund`, {
            ...as(buyer.token),
            body: { ticketIds: [refunded?.id] }
          })
          expect(refund.status).toBe(202)
          const code = (yield* api.call("GET", `/v1/tickets/${admitted?.id}`, { token: buyer.token })).body.code
          const scan = () => api.call("POST", "/v1/check-ins", { ...as(organizer.token), body: { eventId, code } })
          const firstScan = yield* scan()
          expect(firstScan.status).toBe(200)
          expect((yield* scan()).status).toBe(409)
          const cancelled = yield* api.call("POST", `/v1/events/${eventId}/cancel`, as(organizer.token))
          expect(cancelled.status).toBe(200)

          const trail = yield* api.call("GET", `/v1/events/${eventId}/audit`, { token: organizer.token })
          expect(trail.status).toBe(200)
          const items: Array<Json> = trail.body.items
          expect(items.map((r) => r.action)).toEqual([
            "event.cancelled",
            "ticket.check_in_refused",
            "ticket.checked_in",
            "order.refund_requested",
            "event.published",
            "event.updated",
            "ticket_type.added",
            "event.created"
          ])
          for (const record of items) {
            expect(record).toMatchObject({ outcome: expect.any(String), eventId, ip: "127.0.0.1" })
            expect(record.traceId).toMatch(/^[0-9a-f]{32}$/)
            expect(record.requestId).toEqual(expect.any(String))
          }

          expect(one(items, "event.updated")).toMatchObject({
            outcome: "success",
            actorId: organizer.id,
            actorRole: "organizer",
            resourceType: "event",
            resourceId: eventId,
            userAgent: USER_AGENT,
            requestId: "audit-edit-1",
            summary: {
              before: { title: "Night Concert", version: 1 },
              after: { title: "Late Night Concert", version: 2 }
            }
          })
          expect(Object.keys(one(items, "event.updated").summary.after).sort()).toEqual(["title", "version"])
          expect(one(items, "event.published")).toMatchObject({
            requestId: published.headers.get("x-request-id"),
            summary: { before: { status: "draft" }, after: { status: "published" } }
          })
          expect(one(items, "ticket_type.added")).toMatchObject({
            resourceType: "ticket_type",
            resourceId: ga.body.id,
            summary: { after: { typeName: "GA", priceMinor: 2500, currency: "EUR", capacity: 10 } }
          })
          expect(one(items, "order.refund_requested")).toMatchObject({
            outcome: "success",
            actorId: buyer.id,
            actorRole: "customer",
            resourceType: "order",
            resourceId: order.id,
            requestId: refund.headers.get("x-request-id"),
            userAgent: USER_AGENT,
            summary: {
              before: { status: "confirmed" },
              after: { refundId: refund.body.id, amountMinor: 2500, currency: "EUR", ticketIds: [refunded?.id] }
            }
          })
          expect(one(items, "ticket.checked_in")).toMatchObject({
            outcome: "success",
            actorId: organizer.id,
            resourceType: "ticket",
            resourceId: admitted?.id,
            requestId: firstScan.headers.get("x-request-id")
          })
          expect(one(items, "ticket.check_in_refused")).toMatchObject({
            outcome: "denied",
            resourceId: admitted?.id,
            summary: { after: { refused: "already_checked_in" } }
          })
          expect(one(items, "event.cancelled")).toMatchObject({
            requestId: cancelled.headers.get("x-request-id"),
            summary: { before: { status: "published" }, after: { status: "cancelled" } }
          })
          // Nothing personal or secret: no emails, names, tokens or ticket codes.
          const text = JSON.stringify(trail.body)
          for (const secret of [organizer.email, buyer.email, organizer.token, buyer.token, code, "customer-"])
            expect(text).not.toContain(secret)
        }),
      90_000
    )

    it.effect("another organizer and customers are refused an event's trail, like its stats", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 5 })
        const rival = yield* api.account("organizer")
        const customer = yield* api.account("customer")
        const path = `/v1/events/${sale.eventId}/audit`
        for (const token of [rival.token, customer.token]) {
          const audit = yield* api.call("GET", path, { token })
          const stats = yield* api.call("GET", `/v1/events/${sale.eventId}/stats`, { token })
          expect(audit.status).toBe(403)
          expect(audit.status).toBe(stats.status)
          expect(audit.body._tag).toBe("Forbidden")
        }
        expect((yield* api.call("GET", path)).status).toBe(401)
        // Someone else's draft does not exist for them.
        const draft = yield* api.call("POST", "/v1/events", { token: rival.token, body: eventBody() })
        const hidden = yield* api.call("GET", `/v1/events/${draft.body.id}/audit`, { token: sale.organizer.token })
        expect(hidden.status).toBe(404)
        expect((yield* api.call("GET", `/v1/events/${crypto.randomUUID()}/audit`, { token: rival.token })).status).toBe(
          404
        )
      })
    )

    it.effect("an admin reads the whole trail, filtered and page by page; no one else may", () =>
      Effect.gen(function* () {
        const api = yield* client
        const login = yield* api.call("POST", "/v1/auth/login", { body: ADMIN })
        expect(login.status).toBe(200)
        const admin = login.body.accessToken as string
        const sale = yield* publishedSale(api, { capacity: 5 })
        const organizer = sale.organizer
        for (const title of ["One", "Two", "Three"])
          expect(
            (yield* api.call("PATCH", `/v1/events/${sale.eventId}`, { token: organizer.token, body: { title } })).status
          ).toBe(200)
        const second = (yield* api.call("POST", "/v1/events", { token: organizer.token, body: eventBody() })).body

        expect((yield* api.call("GET", "/v1/admin/audit", { token: organizer.token })).status).toBe(403)
        expect((yield* api.call("GET", "/v1/admin/audit")).status).toBe(401)

        // One event's records, two at a time: created, type added, published, three edits.
        const byEvent = yield* walk(api, `/v1/admin/audit?eventId=${sale.eventId}`, admin, 2)
        expect(byEvent.pages).toBe(3)
        expect(byEvent.items.map((r) => r.action)).toEqual([
          "event.updated",
          "event.updated",
          "event.updated",
          "event.published",
          "ticket_type.added",
          "event.created"
        ])
        expect(byEvent.items.map((r) => r.summary.after.title).slice(0, 3)).toEqual(["Three", "Two", "One"])
        expect(new Set(byEvent.items.map((r) => r.id)).size).toBe(6)
        const times = byEvent.items.map((r) => Date.parse(r.at))
        expect(times).toEqual([...times].sort((a, b) => b - a))

        const created = yield* walk(
          api,
          `/v1/admin/audit?actorId=${organizer.id}&action=event.created&resourceType=event`,
          admin,
          200
        )
        expect(created.items.map((r) => r.resourceId)).toEqual([second.id, sale.eventId])
        const byResource = yield* walk(api, `/v1/admin/audit?resourceId=${second.id}`, admin, 10)
        expect(byResource.items.map((r) => r.action)).toEqual(["event.created"])
        const firstAt = byEvent.items[5].at
        const lastAt = byEvent.items[0].at
        const window = yield* walk(
          api,
          `/v1/admin/audit?eventId=${sale.eventId}&from=${encodeURIComponent(firstAt)}&to=${encodeURIComponent(lastAt)}`,
          admin,
          200
        )
        expect(window.items).toHaveLength(6)
        const future = yield* api.call("GET", "/v1/admin/audit?from=2999-01-01T00:00:00Z", { token: admin })
        expect(future.body).toEqual({ items: [], nextCursor: null })

        // The admin may read any event's own trail too.
        const eventTrail = yield* api.call("GET", `/v1/events/${sale.eventId}/audit?limit=200`, { token: admin })
        expect(eventTrail.status).toBe(200)
        expect(eventTrail.body.items).toHaveLength(6)

        // A dead-letter replay is an admin action on record; a refused attempt too.
        const refused = yield* api.call("POST", "/v1/admin/dead-letters/notifications/replay", {
          token: organizer.token,
          body: {}
        })
        expect(refused.status).toBe(403)
        const replay = yield* api.call("POST", "/v1/admin/dead-letters/notifications/replay", {
          token: admin,
          body: {}
        })
        expect(replay.status).toBe(200)
        const replays = yield* walk(api, "/v1/admin/audit?action=admin.dead_letters_replayed", admin, 10)
        expect(replays.items).toMatchObject([
          {
            outcome: "success",
            actorRole: "admin",
            resourceType: "consumer",
            resourceId: "notifications",
            requestId: replay.headers.get("x-request-id"),
            summary: { after: { requested: "all", replayed: replay.body.replayed } }
          },
          { outcome: "denied", actorId: organizer.id, actorRole: "organizer", resourceId: "notifications" }
        ])
      })
    )

    it.effect("logins are on the trail, failed and paused ones too, with the address but never the full email", () =>
      Effect.gen(function* () {
        const api = yield* client
        const user = yield* api.account("customer")
        const login = (password: string) =>
          api.call("POST", "/v1/auth/login", {
            body: { email: user.email, password },
            headers: { "user-agent": "audit-test-agent" }
          })
        for (let i = 0; i < 5; i++) expect((yield* login(`wrong-password-${i}`)).status).toBe(401)
        expect((yield* login(user.password)).status).toBe(429)

        const admin = (yield* api.call("POST", "/v1/auth/login", { body: ADMIN })).body.accessToken as string
        const trail = (action: string) =>
          Effect.map(
            api.call("GET", `/v1/admin/audit?action=${action}&limit=200`, { token: admin }),
            (reply) => reply.body.items as Array<Record<string, unknown>>
          )
        const failed = (yield* trail("auth.login_failed")).filter((r) => r.resourceId === user.id)
        expect(failed).toHaveLength(5)
        expect(failed[0]).toMatchObject({
          outcome: "failed",
          actorId: user.id,
          ip: "127.0.0.1",
          userAgent: "audit-test-agent",
          summary: { after: { login: `${user.email.slice(0, 1)}***@example.com`, reason: "invalid_credentials" } }
        })
        const paused = (yield* trail("auth.login_paused")).filter(
          (r) => (r.summary as { after: { login: string } }).after.login === `${user.email.slice(0, 1)}***@example.com`
        )
        expect(paused.length).toBeGreaterThanOrEqual(1)
        expect(paused[0]).toMatchObject({ outcome: "denied", actorId: null, actorRole: "anonymous" })
        // The account's successful login (when it was created) is there, by its owner.
        const succeeded = (yield* trail("auth.login_succeeded")).filter((r) => r.resourceId === user.id)
        expect(succeeded).toHaveLength(1)
        expect(succeeded[0]).toMatchObject({ actorId: user.id, actorRole: "customer", outcome: "success" })
        // The admin's role came from the configuration: recorded once, by the system.
        const granted = yield* trail("account.admin_granted")
        expect(granted).toHaveLength(1)
        expect(granted[0]).toMatchObject({ actorRole: "system", summary: { after: { isAdmin: true } } })
        expect(JSON.stringify([failed, paused, succeeded])).not.toContain(user.email)
      })
    )

    it.effect("refuses bad filters and page sizes with 400", () =>
      Effect.gen(function* () {
        const api = yield* client
        const admin = (yield* api.call("POST", "/v1/auth/login", { body: ADMIN })).body.accessToken as string
        const sale = yield* publishedSale(api, { capacity: 1 })
        for (const query of [
          "limit=0",
          "limit=201",
          "limit=1.5",
          "limit=abc",
          "from=yesterday",
          "to=2027-13-01T00:00:00Z",
          "actorId=not-a-uuid",
          "eventId=42",
          "action=Event%20Published",
          "cursor=%00%01",
          `cursor=${btoa("2027-01-01T00:00:00.000Z|not-a-uuid")}`
        ]) {
          const reply = yield* api.call("GET", `/v1/admin/audit?${query}`, { token: admin })
          expect(reply.status, query).toBe(400)
          expect(reply.body._tag, query).toBe("HttpApiDecodeError")
        }
        const wrong = yield* api.call("GET", `/v1/events/${sale.eventId}/audit?limit=500`, {
          token: sale.organizer.token
        })
        expect(wrong.status).toBe(400)
        const largest = yield* api.call("GET", "/v1/admin/audit?limit=200", { token: admin })
        expect(largest.status).toBe(200)
      })
    )
  })
})

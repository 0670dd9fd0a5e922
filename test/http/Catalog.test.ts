import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { client, eventBody, TestServerLive } from "../support/TestServer.ts"

const seating = (ticketTypeId: string, rows = ["A", "B"], seatsPerRow = 5) => ({
  sections: [
    {
      name: "Stalls",
      rows: rows.map((label) => ({
        label,
        seats: Array.from({ length: seatsPerRow }, (_, i) => ({ label: String(i + 1), ticketTypeId }))
      }))
    }
  ]
})

describe("catalog over HTTP", () => {
  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("an organizer's event", (it) => {
    it.effect("is created, filled with GA and seated types, published, browsed and cancelled", () =>
      Effect.gen(function* () {
        const api = yield* client
        const organizer = yield* api.account("organizer")
        const customer = yield* api.account("customer")

        const created = yield* api.call("POST", "/v1/events", { token: organizer.token, body: eventBody() })
        expect(created.body).toMatchObject({ status: "draft" })
        expect(created.status).toBe(201)
        expect(created.body.status).toBe("draft")
        const eventId = created.body.id

        // A draft is invisible to the public and to customers.
        expect((yield* api.call("GET", `/v1/events/${eventId}`)).status).toBe(404)
        expect((yield* api.call("GET", `/v1/events/${eventId}`, { token: customer.token })).status).toBe(404)
        expect((yield* api.call("GET", `/v1/events/${eventId}`, { token: organizer.token })).status).toBe(200)

        // Publishing without ticket types is refused with the rule that says why.
        const early = yield* api.call("POST", `/v1/events/${eventId}/publish`, { token: organizer.token })
        expect(early.status).toBe(422)
        expect(early.body).toMatchObject({ _tag: "EventRuleViolation", rule: "no_ticket_types" })

        const ga = yield* api.call("POST", `/v1/events/${eventId}/ticket-types`, {
          token: organizer.token,
          body: { name: "Standing", priceMinor: 3500, currency: "EUR", capacity: 200, maxPerOrder: 4 }
        })
        expect(ga.status).toBe(201)
        expect(ga.body).toMatchObject({ capacity: 200, available: 200, seated: false, maxPerOrder: 4 })

        const seated = yield* api.call("POST", `/v1/events/${eventId}/ticket-types`, {
          token: organizer.token,
          body: { name: "Stalls", priceMinor: 5500, currency: "EUR", capacity: 0 }
        })
        expect(seated.status).toBe(201)

        const wrongCurrency = yield* api.call("POST", `/v1/events/${eventId}/ticket-types`, {
          token: organizer.token,
          body: { name: "VIP", priceMinor: 9900, currency: "USD", capacity: 10 }
        })
        expect(wrongCurrency.status).toBe(422)
        expect(wrongCurrency.body.rule).toBe("currency_mismatch")

        const plan = yield* api.call("POST", `/v1/events/${eventId}/seating`, {
          token: organizer.token,
          body: seating(seated.body.id)
        })
        expect(plan.status).toBe(200)
        expect(plan.body).toMatchObject({ sections: 1, seats: 10 })
        const stalls = plan.body.ticketTypes.find((t: { id: string }) => t.id === seated.body.id)
        expect(stalls).toMatchObject({ seated: true, capacity: 10, available: 10 })

        const published = yield* api.call("POST", `/v1/events/${eventId}/publish`, { token: organizer.token })
        expect(published.status).toBe(200)
        expect(published.body.status).toBe("published")

        // Seating is locked once on sale.
        const late = yield* api.call("POST", `/v1/events/${eventId}/seating`, {
          token: organizer.token,
          body: seating(seated.body.id, ["A"])
        })
        expect(late.status).toBe(422)
        expect(late.body.rule).toBe("seating_locked")

        // Anyone can now see it, with availability per ticket type, and its seat map.
        const detail = yield* api.call("GET", `/v1/events/${eventId}`)
        expect(detail.status).toBe(200)
        expect(detail.body.ticketTypes.map((t: { name: string; available: number }) => [t.name, t.available])).toEqual([
          ["Standing", 200],
          ["Stalls", 10]
        ])
        const seats = yield* api.call("GET", `/v1/events/${eventId}/seats`)
        expect(seats.status).toBe(200)
        expect(seats.body.sections[0].rows.map((r: { label: string }) => r.label)).toEqual(["A", "B"])
        expect(seats.body.sections[0].rows[0].seats).toHaveLength(5)
        expect(seats.body.sections[0].rows[0].seats[0]).toMatchObject({ label: "1", status: "available" })

        const browse = yield* api.call("GET", `/v1/events?q=${encodeURIComponent("night concert")}&limit=100`)
        expect(browse.status).toBe(200)
        expect(browse.body.items.map((e: { id: string }) => e.id)).toContain(eventId)

        const cancelled = yield* api.call("POST", `/v1/events/${eventId}/cancel`, { token: organizer.token })
        expect(cancelled.status).toBe(200)
        expect(cancelled.body.status).toBe("cancelled")
        const again = yield* api.call("POST", `/v1/events/${eventId}/cancel`, { token: organizer.token })
        expect(again.status).toBe(422)
        const afterCancel = yield* api.call("GET", `/v1/events?limit=100`)
        expect(afterCancel.body.items.map((e: { id: string }) => e.id)).not.toContain(eventId)
      })
    )

    it.effect("cannot be touched by another organizer or by a customer", () =>
      Effect.gen(function* () {
        const api = yield* client
        const owner = yield* api.account("organizer")
        const rival = yield* api.account("organizer")
        const customer = yield* api.account("customer")

        const draft = (yield* api.call("POST", "/v1/events", { token: owner.token, body: eventBody() })).body
        const patch = { title: "Hijacked" }
        expect((yield* api.call("PATCH", `/v1/events/${draft.id}`, { token: rival.token, body: patch })).status).toBe(
          404
        )

        yield* api.call("POST", `/v1/events/${draft.id}/ticket-types`, {
          token: owner.token,
          body: { name: "GA", priceMinor: 1000, currency: "EUR", capacity: 10 }
        })
        yield* api.call("POST", `/v1/events/${draft.id}/publish`, { token: owner.token })

        const attempts = [
          ["PATCH", `/v1/events/${draft.id}`, patch],
          ["POST", `/v1/events/${draft.id}/ticket-types`, { name: "X", priceMinor: 1, currency: "EUR", capacity: 1 }],
          ["POST", `/v1/events/${draft.id}/cancel`, undefined],
          ["POST", `/v1/events/${draft.id}/staff`, { email: customer.email }],
          ["GET", `/v1/events/${draft.id}/staff`, undefined]
        ] as const
        for (const [method, path, body] of attempts) {
          expect((yield* api.call(method, path, { token: rival.token, body })).status, `${method} ${path}`).toBe(403)
          expect((yield* api.call(method, path, { token: customer.token, body })).status, `${method} ${path}`).toBe(403)
          expect((yield* api.call(method, path, { body })).status, `${method} ${path}`).toBe(401)
        }
        expect((yield* api.call("POST", "/v1/events", { token: customer.token, body: eventBody() })).status).toBe(403)
        const unchanged = yield* api.call("GET", `/v1/events/${draft.id}`)
        expect(unchanged.body.title).toBe("Night Concert")
        expect(unchanged.body.status).toBe("published")
        expect(unchanged.body.ticketTypes).toHaveLength(1)
      })
    )

    it.effect("edits keep the schedule valid and capacity above what is committed", () =>
      Effect.gen(function* () {
        const api = yield* client
        const owner = yield* api.account("organizer")
        const event = (yield* api.call("POST", "/v1/events", { token: owner.token, body: eventBody() })).body

        const renamed = yield* api.call("PATCH", `/v1/events/${event.id}`, {
          token: owner.token,
          body: { title: "Renamed", description: null }
        })
        expect(renamed.status).toBe(200)
        expect(renamed.body).toMatchObject({ title: "Renamed", description: null, version: 2 })

        const bad = yield* api.call("PATCH", `/v1/events/${event.id}`, {
          token: owner.token,
          body: { endsAt: new Date(Date.parse(event.startsAt) - 3_600_000).toISOString() }
        })
        expect(bad.status).toBe(422)
        expect(bad.body.rule).toBe("ends_before_start")

        const type = (yield* api.call("POST", `/v1/events/${event.id}/ticket-types`, {
          token: owner.token,
          body: { name: "GA", priceMinor: 1000, currency: "EUR", capacity: 10 }
        })).body
        const resized = yield* api.call("PATCH", `/v1/events/${event.id}/ticket-types/${type.id}`, {
          token: owner.token,
          body: { capacity: 25, priceMinor: 1200 }
        })
        expect(resized.status).toBe(200)
        expect(resized.body).toMatchObject({ capacity: 25, available: 25, priceMinor: 1200 })
        yield* api.call("POST", `/v1/events/${event.id}/ticket-types`, {
          token: owner.token,
          body: { name: "VIP", priceMinor: 5000, currency: "EUR", capacity: 5 }
        })
        const clash = yield* api.call("PATCH", `/v1/events/${event.id}/ticket-types/${type.id}`, {
          token: owner.token,
          body: { name: "vip" }
        })
        expect(clash.status).toBe(422)
        expect(clash.body.rule).toBe("duplicate_name")
        const missing = yield* api.call("PATCH", `/v1/events/${event.id}/ticket-types/${crypto.randomUUID()}`, {
          token: owner.token,
          body: { capacity: 1 }
        })
        expect(missing.status).toBe(404)
      })
    )

    it.effect("staff are granted by email and listed; organizers list their own events with a cursor", () =>
      Effect.gen(function* () {
        const api = yield* client
        const owner = yield* api.account("organizer")
        const helper = yield* api.account("customer")
        const ids: Array<string> = []
        for (const day of [40, 41, 42]) {
          const e = yield* api.call("POST", "/v1/events", {
            token: owner.token,
            body: eventBody({ startsAt: new Date(Date.now() + day * 86_400_000).toISOString(), endsAt: undefined })
          })
          ids.push(e.body.id)
        }
        const granted = yield* api.call("POST", `/v1/events/${ids[0]}/staff`, {
          token: owner.token,
          body: { email: helper.email.toUpperCase() }
        })
        expect(granted.status).toBe(201)
        expect(granted.body).toMatchObject({ userId: helper.id, email: helper.email })
        const unknown = yield* api.call("POST", `/v1/events/${ids[0]}/staff`, {
          token: owner.token,
          body: { email: "nobody-here@example.com" }
        })
        expect(unknown.status).toBe(404)
        const staff = yield* api.call("GET", `/v1/events/${ids[0]}/staff`, { token: owner.token })
        expect(staff.body.map((m: { userId: string }) => m.userId)).toEqual([helper.id])

        const first = yield* api.call("GET", "/v1/organizer/events?limit=2", { token: owner.token })
        expect(first.body.items.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 2))
        const second = yield* api.call(
          "GET",
          `/v1/organizer/events?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
          { token: owner.token }
        )
        expect(second.body.items.map((e: { id: string }) => e.id)).toEqual(ids.slice(2))
        expect(second.body.nextCursor).toBeNull()
      })
    )
  })
})

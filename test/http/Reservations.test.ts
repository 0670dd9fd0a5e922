import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

const inventory = (ticketTypeId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<{
        capacity: number
        held: number
        sold: number
      }>`SELECT capacity, held, sold FROM ticket_types WHERE id = ${ticketTypeId}`
  ).pipe(Effect.map((rows) => rows[0] as { capacity: number; held: number; sold: number }))

describe("holds under concurrency, on the real PostgreSQL", () => {
  layer(TestServerLive({ CUSTOMER_TICKET_LIMIT: "1000" }), { timeout: "180 seconds", excludeTestServices: true })(
    "a flash sale",
    (it) => {
      it.effect("300 buyers for 50 units: exactly 50 granted, then sold out, and availability says 0", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 50 })
          const buyers = yield* Effect.forEach(Array.from({ length: 10 }), () => api.account("customer"), {
            concurrency: 5
          })
          const replies = yield* Effect.forEach(
            Array.from({ length: 300 }, (_, i) => i),
            (i) => hold(api, buyers[i % buyers.length]?.token, holdBody(sale.eventId, sale.gaId, 1)),
            { concurrency: 64 }
          )
          const granted = replies.filter((r) => r.status === 201)
          const refused = replies.filter((r) => r.status === 409)
          expect(granted.length).toBe(50)
          expect(refused.length).toBe(250)
          expect(new Set(refused.map((r) => r.body.code))).toEqual(new Set(["sold_out"]))
          expect(new Set(granted.map((r) => r.body.id)).size).toBe(50)
          expect(yield* inventory(sale.gaId)).toEqual({ capacity: 50, held: 50, sold: 0 })
          const detail = yield* api.call("GET", `/v1/events/${sale.eventId}`)
          expect(detail.body.ticketTypes[0].available).toBe(0)
        })
      )

      it.effect("mixed quantities never oversell, and the counters equal the sum of the holds", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 97, maxPerOrder: 4 })
          const buyer = yield* api.account("customer")
          const replies = yield* Effect.forEach(
            Array.from({ length: 200 }, (_, i) => (i % 4) + 1),
            (quantity) => hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, quantity)),
            { concurrency: 48 }
          )
          expect(replies.every((r) => r.status === 201 || r.status === 409)).toBe(true)
          const units = replies.filter((r) => r.status === 201).reduce((n, r) => n + r.body.tickets, 0)
          const stock = yield* inventory(sale.gaId)
          expect(stock.held).toBe(units)
          expect(stock.held).toBeLessThanOrEqual(97)
          // Whatever is left is smaller than the smallest refused request would need: no unit left unsold for lack of trying.
          const lastRefusals = replies.filter((r) => r.status === 409)
          expect(lastRefusals.length).toBeGreaterThan(0)
          const sql = yield* SqlClient.SqlClient
          const [sum] = yield* sql<{ n: number }>`SELECT coalesce(sum(tickets), 0)::int AS n FROM reservations
            WHERE event_id = ${sale.eventId} AND status = 'active'`
          expect(sum?.n).toBe(units)
          // One-unit requests then take exactly what is left.
          const rest = yield* Effect.forEach(
            Array.from({ length: 20 }),
            () => hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1)),
            { concurrency: 10 }
          )
          expect(rest.filter((r) => r.status === 201).length).toBe(97 - units)
          expect((yield* inventory(sale.gaId)).held).toBe(97)
        })
      )

      it.effect("overlapping chosen seats: every seat goes to exactly one hold, all or nothing", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 1, rows: 2, seatsPerRow: 10, maxPerOrder: 4 })
          const map = yield* api.call("GET", `/v1/events/${sale.eventId}/seats`)
          const seats: Array<string> = map.body.sections[0].rows.flatMap((r: { seats: Array<{ id: string }> }) =>
            r.seats.map((s) => s.id)
          )
          const buyer = yield* api.account("customer")
          let seed = 7
          const random = () => {
            seed = (seed * 1103515245 + 12345) % 2 ** 31
            return seed / 2 ** 31
          }
          const requests = Array.from({ length: 150 }, () => {
            const start = Math.floor(random() * 18)
            return seats.slice(start, start + 2 + Math.floor(random() * 3))
          })
          const replies = yield* Effect.forEach(
            requests,
            (wanted) => hold(api, buyer.token, { eventId: sale.eventId, seats: wanted }),
            { concurrency: 48 }
          )
          expect(
            replies.every((r) => r.status === 201 || (r.status === 409 && r.body.code === "seat_unavailable"))
          ).toBe(true)
          const held = replies
            .filter((r) => r.status === 201)
            .flatMap((r) => r.body.seats.map((s: { seatId: string }) => s.seatId))
          expect(new Set(held).size).toBe(held.length)
          const after = yield* api.call("GET", `/v1/events/${sale.eventId}/seats`)
          const heldNow = after.body.sections[0].rows
            .flatMap((r: { seats: Array<{ id: string; status: string }> }) => r.seats)
            .filter((s: { status: string }) => s.status === "held")
            .map((s: { id: string }) => s.id)
          expect(new Set(heldNow)).toEqual(new Set(held))
          expect((yield* inventory(sale.seatedId as string)).held).toBe(held.length)
        })
      )

      it.effect("best available under contention sells every seat exactly once", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 1, rows: 4, seatsPerRow: 10, maxPerOrder: 4 })
          const buyer = yield* api.account("customer")
          const replies = yield* Effect.forEach(
            Array.from({ length: 80 }, (_, i) => (i % 3) + 1),
            (quantity) =>
              hold(api, buyer.token, {
                eventId: sale.eventId,
                bestAvailable: { ticketTypeId: sale.seatedId, quantity, allowSeparated: true }
              }),
            { concurrency: 32 }
          )
          expect(replies.every((r) => r.status === 201 || r.status === 409)).toBe(true)
          const held = replies
            .filter((r) => r.status === 201)
            .flatMap((r) => r.body.seats.map((s: { seatId: string }) => s.seatId))
          expect(new Set(held).size).toBe(held.length)
          // Demand (160 seats) exceeds supply (40): one-seat requests mop up whatever the bigger ones could not fit.
          yield* Effect.forEach(
            Array.from({ length: 45 }),
            () =>
              hold(api, buyer.token, {
                eventId: sale.eventId,
                bestAvailable: { ticketTypeId: sale.seatedId, quantity: 1 }
              }),
            { concurrency: 8 }
          )
          expect(yield* inventory(sale.seatedId as string)).toEqual({ capacity: 40, held: 40, sold: 0 })
        })
      )

      it.effect("the same Idempotency-Key fired ten times at once makes one hold", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 10 })
          const buyer = yield* api.account("customer")
          const k = crypto.randomUUID()
          const replies = yield* Effect.forEach(
            Array.from({ length: 10 }),
            () =>
              api.call("POST", "/v1/reservations", {
                token: buyer.token,
                headers: { "idempotency-key": k },
                body: holdBody(sale.eventId, sale.gaId, 2)
              }),
            { concurrency: 10 }
          )
          expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201))
          expect(new Set(replies.map((r) => r.body.id)).size).toBe(1)
          expect((yield* inventory(sale.gaId)).held).toBe(2)
          const other = yield* api.call("POST", "/v1/reservations", {
            token: buyer.token,
            headers: { "idempotency-key": k },
            body: holdBody(sale.eventId, sale.gaId, 3)
          })
          expect(other.status).toBe(422)
          expect(other.body._tag).toBe("IdempotencyKeyReused")
          // Keys belong to their user: another customer's identical key is a new hold.
          const stranger = yield* api.account("customer")
          const theirs = yield* api.call("POST", "/v1/reservations", {
            token: stranger.token,
            headers: { "idempotency-key": k },
            body: holdBody(sale.eventId, sale.gaId, 2)
          })
          expect(theirs.status).toBe(201)
          expect(theirs.body.id).not.toBe(replies[0]?.body.id)
        })
      )

      it.effect("a retry of the hold that sold out the last units replays it instead of answering sold out", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 2 })
          const buyer = yield* api.account("customer")
          const late = yield* api.account("customer")
          const k = crypto.randomUUID()
          const send = () =>
            api.call("POST", "/v1/reservations", {
              token: buyer.token,
              headers: { "idempotency-key": k },
              body: holdBody(sale.eventId, sale.gaId, 2)
            })
          const first = yield* send()
          expect(first.status).toBe(201)
          expect((yield* hold(api, late.token, holdBody(sale.eventId, sale.gaId, 1))).body.code).toBe("sold_out")
          const retry = yield* send()
          expect(retry.status).toBe(201)
          expect(retry.body.id).toBe(first.body.id)
        })
      )

      it.effect("a release gives units back at once; twice is harmless; strangers see nothing", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 5 })
          const buyer = yield* api.account("customer")
          const stranger = yield* api.account("customer")
          const held = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 5))
          expect(held.status).toBe(201)
          expect(held.body).toMatchObject({ status: "active", tickets: 5, totalMinor: 12500, currency: "EUR" })
          expect((yield* api.call("GET", `/v1/reservations/${held.body.id}`, { token: stranger.token })).status).toBe(
            404
          )
          expect(
            (yield* api.call("DELETE", `/v1/reservations/${held.body.id}`, { token: stranger.token })).status
          ).toBe(404)
          expect((yield* inventory(sale.gaId)).held).toBe(5)

          const released = yield* api.call("DELETE", `/v1/reservations/${held.body.id}`, { token: buyer.token })
          expect(released.status).toBe(200)
          expect(released.body.status).toBe("released")
          expect((yield* inventory(sale.gaId)).held).toBe(0)
          const again = yield* api.call("DELETE", `/v1/reservations/${held.body.id}`, { token: buyer.token })
          expect(again.status).toBe(200)
          expect((yield* inventory(sale.gaId)).held).toBe(0)
          const detail = yield* api.call("GET", `/v1/events/${sale.eventId}`)
          expect(detail.body.ticketTypes[0].available).toBe(5)
        })
      )

      it.effect("refusals carry a distinct code: per-order limit, not on sale", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 20, maxPerOrder: 3 })
          const buyer = yield* api.account("customer")
          const tooMany = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 4))
          expect(tooMany.status).toBe(409)
          expect(tooMany.body).toMatchObject({ code: "max_per_order_exceeded", limit: 3 })
          yield* api.call("POST", `/v1/events/${sale.eventId}/cancel`, { token: sale.organizer.token })
          const cancelled = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1))
          expect(cancelled.status).toBe(409)
          expect(cancelled.body.code).toBe("event_not_on_sale")
          const noKey = yield* api.call("POST", "/v1/reservations", {
            token: buyer.token,
            body: holdBody(sale.eventId, sale.gaId, 1)
          })
          expect(noKey.status).toBe(400)
        })
      )
    }
  )

  layer(TestServerLive({ CUSTOMER_TICKET_LIMIT: "6" }), { timeout: "120 seconds", excludeTestServices: true })(
    "a per-customer limit",
    (it) => {
      it.effect("holds by one customer racing each other stop exactly at the limit", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 100 })
          const buyer = yield* api.account("customer")
          const replies = yield* Effect.forEach(
            Array.from({ length: 30 }),
            () => hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1)),
            { concurrency: 30 }
          )
          expect(replies.filter((r) => r.status === 201).length).toBe(6)
          expect(new Set(replies.filter((r) => r.status === 409).map((r) => r.body.code))).toEqual(
            new Set(["customer_limit_exceeded"])
          )
          expect((yield* inventory(sale.gaId)).held).toBe(6)
        })
      )
    }
  )

  layer(TestServerLive({ HOLD_TTL_SECONDS: "1", HOLD_EXPIRY_INTERVAL_MS: "100" }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("expiry", (it) => {
    it.effect("an abandoned hold comes back to sale by itself, within the TTL plus the job's interval", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 3, rows: 1, seatsPerRow: 4 })
        const buyer = yield* api.account("customer")
        const ga = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 3))
        const seats = yield* hold(api, buyer.token, {
          eventId: sale.eventId,
          bestAvailable: { ticketTypeId: sale.seatedId, quantity: 2 }
        })
        expect([ga.status, seats.status]).toEqual([201, 201])
        const soldOut = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1))
        expect(soldOut.body.code).toBe("sold_out")

        yield* Effect.sleep("2 seconds")
        const after = yield* api.call("GET", `/v1/reservations/${ga.body.id}`, { token: buyer.token })
        expect(after.body.status).toBe("expired")
        expect(yield* inventory(sale.gaId)).toEqual({ capacity: 3, held: 0, sold: 0 })
        expect((yield* inventory(sale.seatedId as string)).held).toBe(0)
        const map = yield* api.call("GET", `/v1/events/${sale.eventId}/seats`)
        expect(map.body.sections[0].rows[0].seats.every((s: { status: string }) => s.status === "available")).toBe(true)
        // The sold-out flag does not outlive the expiry: the units sell again.
        const again = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 3))
        expect(again.status).toBe(201)
      })
    )
  })
})

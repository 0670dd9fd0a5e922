import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

const ORDERS = 10_000
const PER_ORDER = 10
const TICKETS = ORDERS * PER_ORDER

/**
 * A large event's exports, seeded straight into PostgreSQL (generate_series): 10,000 paid orders of 10 tickets.
 * The CSV is streamed from the database a batch at a time while the client reads it.
 */
describe("a large event's CSV exports over HTTP", () => {
  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("exports", (it) => {
    it.effect(
      "100,000 attendees stream out batch by batch: a ticket issued after the first bytes arrived is in the export",
      () =>
        Effect.gen(function* () {
          const api = yield* client
          const sql = yield* SqlClient.SqlClient
          const started = performance.now()
          const sale = yield* publishedSale(api, { capacity: 10 })
          const buyer = yield* api.account("customer")
          const eventId = sale.eventId
          yield* sql`
            INSERT INTO reservations (id, customer_id, event_id, status, tickets, total_minor, currency, expires_at)
            SELECT md5('r' || g)::uuid, ${buyer.id}, ${eventId}, 'converted', ${PER_ORDER}, 25000, 'EUR', now()
            FROM generate_series(1, ${ORDERS}) g`
          yield* sql`
            INSERT INTO orders (id, customer_id, event_id, reservation_id, status, total_minor, currency, units_claimed,
                                created_at, confirmed_at, payment_reconciled_at, payment_reconciliation)
            SELECT md5('o' || g)::uuid, ${buyer.id}, ${eventId}, md5('r' || g)::uuid, 'confirmed', 25000, 'EUR', true,
                   timestamptz '2026-01-01' + g * interval '1 millisecond',
                   timestamptz '2026-01-01' + g * interval '1 millisecond', now(), 'consistent'
            FROM generate_series(1, ${ORDERS}) g`
          yield* sql`
            INSERT INTO tickets (order_id, position, event_id, customer_id, ticket_type_id, price_minor, currency, issued_at)
            SELECT md5('o' || (g / ${PER_ORDER} + 1))::uuid, g % ${PER_ORDER} + 1, ${eventId}, ${buyer.id}, ${sale.gaId},
                   2500, 'EUR', timestamptz '2026-01-01' + (g / ${PER_ORDER} + 1) * interval '1 millisecond'
            FROM generate_series(0, ${TICKETS - 1}) g`

          // As autovacuum would after a bulk load: the planner sees the rows.
          yield* sql`ANALYZE orders`
          yield* sql`ANALYZE tickets`
          const seeded = performance.now()
          console.log(`seeded ${TICKETS} tickets in ${Math.round(seeded - started)} ms`)
          const headers = { authorization: `Bearer ${sale.organizer.token}` }
          const response = yield* Effect.promise(() =>
            fetch(`${api.base}/v1/events/${eventId}/attendees.csv`, { headers })
          )
          expect(response.status).toBe(200)
          expect(response.headers.get("content-type")).toMatch(/^text\/csv/)
          const reader = (response.body as ReadableStream<Uint8Array>).getReader()
          const decoder = new TextDecoder()
          const firstChunk = yield* Effect.promise(() => reader.read())
          let text = decoder.decode(firstChunk.value, { stream: true })
          // The client holds its reading: the server, held by back-pressure, has not read the last batch yet. A
          // ticket issued now, last in the list's order, is in what follows.
          expect(text.split("\r\n").length - 1).toBeLessThan(TICKETS)
          const [late] = yield* sql<{ id: string }>`
            INSERT INTO tickets (order_id, position, event_id, customer_id, ticket_type_id, price_minor, currency, issued_at)
            VALUES (md5('o1')::uuid, 11, ${eventId}, ${buyer.id}, ${sale.gaId}, 2500, 'EUR', timestamptz '2026-02-01')
            RETURNING id`
          let chunks = 1
          const heapBefore = process.memoryUsage().heapUsed
          let heapPeak = heapBefore
          for (;;) {
            const next = yield* Effect.promise(() => reader.read())
            if (next.done) break
            chunks++
            text += decoder.decode(next.value, { stream: true })
            if (chunks % 50 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)
          }
          text += decoder.decode()
          const lines = text.split("\r\n")
          expect(lines.pop()).toBe("")
          expect(lines).toHaveLength(1 + TICKETS + 1)
          expect(lines[0]).toMatch(/^ticketId,orderId,/)
          expect(lines[lines.length - 1]).toMatch(new RegExp(`^${late?.id},`))
          expect(new Set(lines.slice(1).map((l) => l.slice(0, 36))).size).toBe(TICKETS + 1)
          expect(chunks).toBeGreaterThan(10)
          console.log(
            `attendees.csv: ${Math.round(performance.now() - seeded)} ms, ${lines.length} lines, ${text.length} characters in ${chunks} chunks; heap while reading: ${Math.round(heapBefore / 1e6)} → peak ${Math.round(heapPeak / 1e6)} MB (the client's own copy of the text included)`
          )

          // The orders' export: one line per order, the same way.
          const ordersStarted = performance.now()
          const orders = yield* Effect.promise(async () => {
            const r = await fetch(`${api.base}/v1/events/${eventId}/orders.csv?status=confirmed`, { headers })
            return (await r.text()).split("\r\n").filter((l) => l !== "")
          })
          console.log(`orders.csv: ${Math.round(performance.now() - ordersStarted)} ms, ${orders.length} lines`)
          expect(orders).toHaveLength(1 + ORDERS)
          // Newest first: the last order seeded first, the first one (with the late ticket) last.
          expect(orders[1]).toMatch(new RegExp(`^[0-9a-f-]{36},confirmed,${buyer.email},customer,10,10,25000,0,EUR,`))
          expect(orders[ORDERS]).toMatch(
            new RegExp(`^[0-9a-f-]{36},confirmed,${buyer.email},customer,11,11,25000,0,EUR,`)
          )
        }),
      { timeout: 90_000 }
    )
  })
})

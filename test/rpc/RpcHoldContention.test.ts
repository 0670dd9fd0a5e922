import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import type { EventId, UserId } from "../../src/domain/shared/Ids.ts"
import { BookingClient, InventoryClient, rpcConnection } from "../../src/rpc/client/index.ts"
import { RpcAddress } from "../../src/rpc/server/RpcServerLive.ts"
import { ServiceKeys } from "../../src/services/servicekeys/ServiceKeys.ts"
import { publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/*
 * Holds under contention through RPC (PlaceHold over one WebSocket with MessagePack, as a gateway or a box office
 * calls it), on the real PostgreSQL: the same exact-count cases as the REST suite (test/http/Reservations.test.ts).
 * GA never oversells, chosen and best-available seats are held at most once, a customer's limit holds under a race,
 * and an idempotency key fired many times at once makes one hold.
 */

type Outcome =
  | { readonly held: true; readonly id: string; readonly tickets: number; readonly seats: ReadonlyArray<string> }
  | { readonly held: false; readonly tag: string; readonly code: string | undefined }

const inventory = (ticketTypeId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      sql<{ capacity: number; held: number; sold: number }>`SELECT capacity, held, sold FROM ticket_types
        WHERE id = ${ticketTypeId}`
  ).pipe(Effect.map((rows) => rows[0]))

const activeUnits = (eventId: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ n: number }>`SELECT coalesce(sum(tickets), 0)::int AS n FROM reservations
      WHERE event_id = ${eventId} AND status = 'active'`
  ).pipe(Effect.map((rows) => rows[0]?.n))

/** Runs `effect` with the Booking and Inventory clients over one WebSocket (MessagePack) with a booking key. */
const overRpc = <A, E>(effect: Effect.Effect<A, E, BookingClient | InventoryClient>) =>
  Effect.gen(function* () {
    const { url } = yield* RpcAddress
    const created = yield* Effect.flatMap(ServiceKeys, (keys) =>
      keys.create("operator", {
        name: "box office",
        scopes: ["booking:write", "inventory:read"],
        doorEvents: [],
        expiresAt: null
      })
    )
    return yield* effect.pipe(
      Effect.provide(
        Layer.mergeAll(BookingClient.layer, InventoryClient.layer).pipe(
          Layer.provide(rpcConnection({ url: url ?? "", key: Redacted.value(created.secret), protocol: "websocket" }))
        )
      ),
      Effect.scoped
    )
  })

/** One PlaceHold, its success or its typed refusal (never a defect: that fails the test). */
const placeHold = (customerId: string, request: unknown, idempotencyKey: string = crypto.randomUUID()) =>
  Effect.flatMap(BookingClient, (booking) =>
    booking.PlaceHold({ customerId: customerId as UserId, idempotencyKey, request: request as never })
  ).pipe(
    Effect.map(
      (placed): Outcome => ({
        held: true,
        id: placed.reservation.id,
        tickets: placed.reservation.tickets,
        seats: placed.reservation.seats.map((s) => s.seatId)
      })
    ),
    Effect.catch((e) => {
      const error = e as { readonly _tag: string; readonly code?: string }
      return Effect.succeed<Outcome>({ held: false, tag: error._tag, code: error.code })
    })
  )

const gaBody = (eventId: string, ticketTypeId: string, quantity: number) => ({
  eventId,
  items: [{ ticketTypeId, quantity }]
})

const heldOnes = (outcomes: ReadonlyArray<Outcome>) =>
  outcomes.filter((o): o is Extract<Outcome, { held: true }> => o.held)
const refusals = (outcomes: ReadonlyArray<Outcome>) =>
  outcomes.filter((o): o is Extract<Outcome, { held: false }> => !o.held)

describe("holds under contention through RPC, on the real PostgreSQL", () => {
  layer(TestServerLive({ RPC_PORT: "0", CUSTOMER_TICKET_LIMIT: "1000" }), {
    timeout: "180 seconds",
    excludeTestServices: true
  })("a flash sale over RPC", (it) => {
    it.effect("300 holds from 40 customers for 50 units: exactly 50 granted, 250 SoldOut, availability 0", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 50 })
        const customers = yield* Effect.forEach(Array.from({ length: 40 }), () => api.account("customer"), {
          concurrency: 8
        })
        const { outcomes, availability } = yield* overRpc(
          Effect.gen(function* () {
            const outcomes = yield* Effect.forEach(
              Array.from({ length: 300 }, (_, i) => i),
              (i) => placeHold(customers[i % customers.length]?.id ?? "", gaBody(sale.eventId, sale.gaId, 1)),
              { concurrency: 64 }
            )
            const availability = yield* (yield* InventoryClient).Availability({ eventId: sale.eventId as EventId })
            return { outcomes, availability }
          })
        )
        const held = heldOnes(outcomes)
        expect(held.length).toBe(50)
        expect(new Set(held.map((h) => h.id)).size).toBe(50)
        expect(refusals(outcomes).map((r) => `${r.tag}/${r.code}`)).toEqual(Array(250).fill("SoldOut/sold_out"))
        expect(yield* inventory(sale.gaId)).toEqual({ capacity: 50, held: 50, sold: 0 })
        expect(availability.ticketTypes[0]).toMatchObject({ capacity: 50, held: 50, sold: 0, available: 0 })
      })
    )

    it.effect("mixed quantities never oversell: the counters equal the sum of the holds, then the rest goes", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 97, maxPerOrder: 4 })
        const buyer = yield* api.account("customer")
        const outcomes = yield* overRpc(
          Effect.forEach(
            Array.from({ length: 200 }, (_, i) => (i % 4) + 1),
            (quantity) => placeHold(buyer.id, gaBody(sale.eventId, sale.gaId, quantity)),
            { concurrency: 48 }
          )
        )
        expect(new Set(refusals(outcomes).map((r) => r.tag))).toEqual(new Set(["SoldOut"]))
        const units = heldOnes(outcomes).reduce((n, h) => n + h.tickets, 0)
        expect(units).toBeLessThanOrEqual(97)
        expect((yield* inventory(sale.gaId))?.held).toBe(units)
        expect(yield* activeUnits(sale.eventId)).toBe(units)
        const rest = yield* overRpc(
          Effect.forEach(Array.from({ length: 20 }), () => placeHold(buyer.id, gaBody(sale.eventId, sale.gaId, 1)), {
            concurrency: 10
          })
        )
        expect(heldOnes(rest).length).toBe(97 - units)
        expect((yield* inventory(sale.gaId))?.held).toBe(97)
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
        let seed = 11
        const random = () => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31
          return seed / 2 ** 31
        }
        const requests = Array.from({ length: 150 }, () => {
          const start = Math.floor(random() * 18)
          return seats.slice(start, start + 2 + Math.floor(random() * 3))
        })
        const outcomes = yield* overRpc(
          Effect.forEach(requests, (wanted) => placeHold(buyer.id, { eventId: sale.eventId, seats: wanted }), {
            concurrency: 48
          })
        )
        expect(new Set(refusals(outcomes).map((r) => `${r.tag}/${r.code}`))).toEqual(
          new Set(["SeatUnavailable/seat_unavailable"])
        )
        const held = heldOnes(outcomes).flatMap((h) => h.seats)
        expect(held.length).toBeGreaterThan(0)
        expect(new Set(held).size).toBe(held.length)
        // All or nothing: a granted hold has every seat it asked for.
        for (const [i, o] of outcomes.entries()) if (o.held) expect(new Set(o.seats)).toEqual(new Set(requests[i]))
        const after = yield* api.call("GET", `/v1/events/${sale.eventId}/seats`)
        const heldNow = after.body.sections[0].rows
          .flatMap((r: { seats: Array<{ id: string; status: string }> }) => r.seats)
          .filter((s: { status: string }) => s.status === "held")
          .map((s: { id: string }) => s.id)
        expect(new Set(heldNow)).toEqual(new Set(held))
        expect((yield* inventory(sale.seatedId as string))?.held).toBe(held.length)
      })
    )

    it.effect("best available under contention holds every seat exactly once", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 1, rows: 4, seatsPerRow: 10, maxPerOrder: 4 })
        const buyer = yield* api.account("customer")
        const bestAvailable = (quantity: number, allowSeparated: boolean) =>
          placeHold(buyer.id, {
            eventId: sale.eventId,
            bestAvailable: { ticketTypeId: sale.seatedId, quantity, allowSeparated }
          })
        const outcomes = yield* overRpc(
          Effect.forEach(
            Array.from({ length: 80 }, (_, i) => (i % 3) + 1),
            (quantity) => bestAvailable(quantity, true),
            { concurrency: 32 }
          )
        )
        expect(refusals(outcomes).every((r) => r.tag === "SoldOut" || r.tag === "SeatUnavailable")).toBe(true)
        const held = heldOnes(outcomes).flatMap((h) => h.seats)
        expect(new Set(held).size).toBe(held.length)
        // Demand (160 seats) exceeds supply (40): one-seat requests take whatever the bigger ones could not fit.
        const rest = yield* overRpc(
          Effect.forEach(Array.from({ length: 45 }), () => bestAvailable(1, false), { concurrency: 8 })
        )
        const all = [...held, ...heldOnes(rest).flatMap((h) => h.seats)]
        expect(all.length).toBe(40)
        expect(new Set(all).size).toBe(40)
        expect(yield* inventory(sale.seatedId as string)).toEqual({ capacity: 40, held: 40, sold: 0 })
      })
    )

    it.effect("one idempotency key fired ten times at once makes one hold; another request under it is refused", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 10 })
        const buyer = yield* api.account("customer")
        const stranger = yield* api.account("customer")
        const k = crypto.randomUUID()
        const { burst, reused, theirs } = yield* overRpc(
          Effect.gen(function* () {
            const booking = yield* BookingClient
            const burst = yield* Effect.forEach(
              Array.from({ length: 10 }),
              () =>
                booking.PlaceHold({
                  customerId: buyer.id as UserId,
                  idempotencyKey: k,
                  request: gaBody(sale.eventId, sale.gaId, 2) as never
                }),
              { concurrency: 10 }
            )
            const reused = yield* placeHold(buyer.id, gaBody(sale.eventId, sale.gaId, 3), k)
            const theirs = yield* placeHold(stranger.id, gaBody(sale.eventId, sale.gaId, 2), k)
            return { burst, reused, theirs }
          })
        )
        expect(new Set(burst.map((b) => b.reservation.id)).size).toBe(1)
        expect(burst.filter((b) => !b.replayed).length).toBe(1)
        expect((yield* inventory(sale.gaId))?.held).toBe(4)
        expect(reused).toMatchObject({ held: false, tag: "IdempotencyKeyReused" })
        // Keys belong to their customer: another customer's identical key is a new hold.
        expect(theirs).toMatchObject({ held: true })
        expect(theirs.held && theirs.id).not.toBe(burst[0]?.reservation.id)
      })
    )

    it.effect("retries of the hold that sold out the last units, fired at once, replay it instead of SoldOut", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 2 })
        const buyer = yield* api.account("customer")
        const late = yield* api.account("customer")
        const k = crypto.randomUUID()
        const {
          first,
          late: lateOne,
          retries
        } = yield* overRpc(
          Effect.gen(function* () {
            const first = yield* placeHold(buyer.id, gaBody(sale.eventId, sale.gaId, 2), k)
            const lateOne = yield* placeHold(late.id, gaBody(sale.eventId, sale.gaId, 1))
            const retries = yield* Effect.forEach(
              Array.from({ length: 8 }),
              () => placeHold(buyer.id, gaBody(sale.eventId, sale.gaId, 2), k),
              { concurrency: 8 }
            )
            return { first, late: lateOne, retries }
          })
        )
        expect(first.held).toBe(true)
        expect(lateOne).toMatchObject({ held: false, tag: "SoldOut" })
        expect(retries.map((r) => (r.held ? r.id : r.tag))).toEqual(Array(8).fill(first.held ? first.id : ""))
        expect(yield* inventory(sale.gaId)).toEqual({ capacity: 2, held: 2, sold: 0 })
      })
    )
  })

  layer(TestServerLive({ RPC_PORT: "0", CUSTOMER_TICKET_LIMIT: "6" }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("a per-customer limit over RPC", (it) => {
    it.effect("30 holds by one customer racing each other stop exactly at the limit of 6", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 100 })
        const buyer = yield* api.account("customer")
        const outcomes = yield* overRpc(
          Effect.forEach(Array.from({ length: 30 }), () => placeHold(buyer.id, gaBody(sale.eventId, sale.gaId, 1)), {
            concurrency: 30
          })
        )
        expect(heldOnes(outcomes).length).toBe(6)
        expect(refusals(outcomes).map((r) => `${r.tag}/${r.code}`)).toEqual(
          Array(24).fill("LimitExceeded/customer_limit_exceeded")
        )
        expect((yield* inventory(sale.gaId))?.held).toBe(6)
      })
    )
  })
})

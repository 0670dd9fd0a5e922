import { describe, expect, layer } from "@effect/vitest"
import { Effect, Fiber, Redacted, Stream } from "effect"
import type { ServiceKeyGrant, ServiceKeyId } from "../../src/domain/servicekeys/ServiceKey.ts"
import type { EventId, OrderId, UserId } from "../../src/domain/shared/Ids.ts"
import {
  BookingClient,
  DoorClient,
  InventoryClient,
  OperationsClient,
  SupportClient
} from "../../src/rpc/client/index.ts"
import { ServiceKeys } from "../../src/services/servicekeys/ServiceKeys.ts"
import { PAID, payAt } from "../support/Purchase.ts"
import { ALL_TRANSPORTS, transportName, withClients, withRpcHandlers } from "../support/RpcTransports.ts"
import { publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/*
 * The internal RPC contract suite, run three ways over one service (real PostgreSQL, RPC_PORT=0): the in-memory test
 * client (RpcTest: the client wired to the handlers and the ServiceAuth middleware, no transport), HTTP and
 * WebSocket (each with NDJSON and MessagePack), through the typed clients of src/rpc/client, with service keys made
 * as an operator would.
 */

const newKey = (grant: Partial<ServiceKeyGrant> & Pick<ServiceKeyGrant, "scopes">) =>
  Effect.flatMap(ServiceKeys, (keys) =>
    keys.create("operator", { name: "test", doorEvents: [], expiresAt: null, ...grant })
  ).pipe(Effect.map((created) => ({ id: created.key.id, secret: Redacted.value(created.secret) })))

const tagOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flip(effect).pipe(Effect.map((e) => (e as { readonly _tag: string })._tag))

layer(withRpcHandlers(TestServerLive({ RPC_PORT: "0", RPC_AVAILABILITY_INTERVAL_MS: "200" })), {
  timeout: "120 seconds",
  excludeTestServices: true
})("internal RPC", (it) => {
  for (const transport of ALL_TRANSPORTS) {
    describe(transportName(transport), () => {
      it.effect("books, streams the order until it settles, checks in once, finds and reports", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 20 })
          const eventId = sale.eventId as EventId
          const buyer = yield* api.account("customer")
          const customerId = buyer.id as UserId
          const boxOffice = yield* newKey({ scopes: ["booking:write", "inventory:read"] })
          const gate = yield* newKey({ scopes: ["door:scan"], doorEvents: [eventId] })
          const backOffice = yield* newKey({ scopes: ["support", "ops"] })

          const booked = yield* withClients(
            transport,
            boxOffice.secret,
            Effect.gen(function* () {
              const inventory = yield* InventoryClient
              const booking = yield* BookingClient
              const before = yield* inventory.Availability({ eventId })
              expect(before.ticketTypes).toMatchObject([{ ticketTypeId: sale.gaId, available: 20, held: 0 }])

              const request = { eventId, items: [{ ticketTypeId: sale.gaId, quantity: 2 }] } as never
              const held = yield* booking.PlaceHold({ customerId, idempotencyKey: "k-1", request })
              expect(held.replayed).toBe(false)
              const again = yield* booking.PlaceHold({ customerId, idempotencyKey: "k-1", request })
              expect(again).toMatchObject({ replayed: true, reservation: { id: held.reservation.id } })
              expect((yield* inventory.Availability({ eventId })).ticketTypes[0]).toMatchObject({
                held: 2,
                available: 18
              })
              // Typed failures arrive as the tagged errors of the contract.
              const tooMany = { eventId, items: [{ ticketTypeId: sale.gaId, quantity: 11 }] } as never
              expect(yield* tagOf(booking.PlaceHold({ customerId, idempotencyKey: "k-2", request: tooMany }))).toMatch(
                /LimitExceeded|InvalidHold/
              )
              expect(yield* tagOf(booking.GetOrder({ customerId, orderId: crypto.randomUUID() as OrderId }))).toBe(
                "OrderNotFound"
              )
              expect(
                yield* tagOf(
                  booking.GetOrder({
                    customerId: crypto.randomUUID() as UserId,
                    orderId: crypto.randomUUID() as OrderId
                  })
                )
              ).toBe("CustomerNotFound")

              const order = yield* booking.Checkout({ customerId, reservationId: held.reservation.id })
              expect(order.status).toBe("pending_payment")
              const statuses = yield* booking
                .OrderStatus({ customerId, orderId: order.id })
                .pipe(Stream.runCollect, Effect.forkChild)
              yield* Effect.sleep("200 millis")
              expect((yield* payAt(order.payment?.confirmUrl ?? "", PAID)).status).toBe(200)
              // The stream ends by itself once the order settled.
              const seen = yield* Fiber.join(statuses).pipe(Effect.timeout("20 seconds"))
              expect(seen.map((s) => [s.sequence, s.status, s.settled])).toEqual([
                [1, "pending_payment", false],
                [2, "confirmed", true]
              ])
              // A released hold (an ended one answers the same) and the order as it now is.
              const other = yield* booking.PlaceHold({ customerId, idempotencyKey: "k-3", request })
              expect((yield* booking.ReleaseHold({ customerId, reservationId: other.reservation.id })).status).toBe(
                "released"
              )
              return yield* booking.GetOrder({ customerId, orderId: order.id })
            })
          )
          expect(booked.status).toBe("confirmed")
          const ticket = booked.tickets[0]
          const code = (yield* api.call("GET", `/v1/tickets/${ticket?.id}`, { token: buyer.token })).body.code

          yield* withClients(
            transport,
            gate.secret,
            Effect.gen(function* () {
              const door = yield* DoorClient
              expect((yield* door.CheckIn({ eventId, code })).id).toBe(ticket?.id)
              expect(yield* tagOf(door.CheckIn({ eventId, code }))).toBe("AlreadyCheckedIn")
              expect(yield* tagOf(door.CheckIn({ eventId: crypto.randomUUID() as EventId, code }))).toBe("ScopeRefused")
              expect(yield* tagOf(door.CheckIn({ eventId, code: "GT1.forged" }))).toBe("CheckInRefused")
              const second = booked.tickets[1]
              const secondCode = (yield* api.call("GET", `/v1/tickets/${second?.id}`, { token: buyer.token })).body.code
              const upload = yield* door.UploadScans({
                eventId,
                deviceId: "gate-3",
                scans: [
                  { code: secondCode, scannedAt: new Date("2027-01-01T19:00:00Z") },
                  { code: secondCode, scannedAt: new Date("2027-01-01T19:00:05Z") },
                  { code, scannedAt: new Date("2027-01-01T19:00:01Z") }
                ]
              })
              expect(upload.results.map((r) => r.outcome)).toEqual(["admitted", "conflict", "conflict"])
              expect(upload).toMatchObject({ admitted: 1, conflicts: 2, refused: 0 })
              expect((yield* door.VoidedCodes({ eventId })).codes).toEqual([])
            })
          )

          yield* withClients(
            transport,
            backOffice.secret,
            Effect.gen(function* () {
              const support = yield* SupportClient
              const operations = yield* OperationsClient
              expect((yield* support.FindOrders({ lookup: { orderId: booked.id } })).map((o) => o.id)).toEqual([
                booked.id
              ])
              expect((yield* support.FindOrders({ lookup: { email: buyer.email as never } })).length).toBe(1)
              expect((yield* support.FindOrders({ lookup: { ticketCode: code } })).map((o) => o.id)).toEqual([
                booked.id
              ])
              const backlog = yield* operations.Backlog()
              expect(backlog.outbox.pending).toBeGreaterThanOrEqual(0)
              // A key without the booking scope is refused, typed.
              const booking = yield* BookingClient
              expect(yield* tagOf(booking.GetOrder({ customerId, orderId: booked.id }))).toBe("ScopeRefused")
            })
          )
        })
      )

      it.effect("an admin key lists, creates (the key shown once) and revokes keys; an ops key may not", () =>
        Effect.gen(function* () {
          const admin = yield* newKey({ scopes: ["admin"] })
          const ops = yield* newKey({ scopes: ["ops", "support"] })
          const made = yield* withClients(
            transport,
            admin.secret,
            Effect.gen(function* () {
              const operations = yield* OperationsClient
              const created = yield* operations.CreateServiceKey({ name: "gate 4", scopes: ["inventory:read"] })
              expect(created.secret).toMatch(/^gtk_/)
              expect(created.key).toMatchObject({ name: "gate 4", scopes: ["inventory:read"], createdBy: admin.id })
              expect(created.secret.startsWith(created.key.prefix)).toBe(true)
              const listed = yield* operations.ServiceKeys()
              expect(listed.find((k) => k.id === created.key.id)).toMatchObject({ name: "gate 4", revokedAt: null })
              expect(JSON.stringify(listed)).not.toContain(created.secret)
              // The grant rules are the script's: door:scan names its events.
              expect(yield* tagOf(operations.CreateServiceKey({ name: "gate", scopes: ["door:scan"] }))).toBe(
                "InvalidServiceKeyGrant"
              )
              expect(yield* tagOf(operations.RevokeServiceKey({ id: crypto.randomUUID() as ServiceKeyId }))).toBe(
                "ServiceKeyNotFound"
              )
              const revoked = yield* operations.RevokeServiceKey({ id: created.key.id })
              expect(revoked.revokedAt).not.toBeNull()
              return created
            })
          )
          const availability = Effect.flatMap(InventoryClient, (c) =>
            c.Availability({ eventId: crypto.randomUUID() as EventId })
          )
          expect(yield* withClients(transport, made.secret, Effect.flip(availability))).toMatchObject({
            _tag: "ServiceKeyRejected",
            reason: "revoked"
          })
          const listKeys = Effect.flatMap(OperationsClient, (c) => c.ServiceKeys())
          expect(yield* withClients(transport, ops.secret, Effect.flip(listKeys))).toMatchObject({
            _tag: "ScopeRefused",
            scope: "admin"
          })
        })
      )

      it.effect("refuses unknown and revoked keys", () =>
        Effect.gen(function* () {
          const key = yield* newKey({ scopes: ["inventory:read"] })
          const eventId = crypto.randomUUID() as EventId
          const availability = Effect.flatMap(InventoryClient, (c) => c.Availability({ eventId }))
          expect(yield* withClients(transport, key.secret, tagOf(availability))).toBe("EventNotFound")
          expect(yield* withClients(transport, `gtk_${"x".repeat(43)}`, tagOf(availability))).toBe("ServiceKeyRejected")
          yield* Effect.flatMap(ServiceKeys, (keys) => keys.revoke("operator", key.id))
          const refused = yield* withClients(transport, key.secret, Effect.flip(availability))
          expect(refused).toMatchObject({ _tag: "ServiceKeyRejected", reason: "revoked" })
        })
      )
    })
  }

  it.effect("coalesces availability changes: one message per interval, however many holds", () =>
    Effect.gen(function* () {
      const api = yield* client
      const sale = yield* publishedSale(api, { capacity: 100 })
      const eventId = sale.eventId as EventId
      const key = yield* newKey({ scopes: ["booking:write", "inventory:read"] })
      const buyers = yield* Effect.forEach([1, 2, 3, 4, 5], () => api.account("customer"))
      const messages = yield* withClients(
        { protocol: "websocket", serialization: "msgpack" },
        key.secret,
        Effect.gen(function* () {
          const inventory = yield* InventoryClient
          const booking = yield* BookingClient
          const collected = yield* inventory.AvailabilityChanges({ eventId }).pipe(
            Stream.takeUntil((s) => s.ticketTypes[0]?.held === 25),
            Stream.runCollect,
            Effect.forkChild
          )
          yield* Effect.sleep("300 millis")
          yield* Effect.forEach(
            buyers,
            (buyer, i) =>
              Effect.forEach([1, 2, 3, 4, 5], (n) =>
                booking.PlaceHold({
                  customerId: buyer.id as UserId,
                  idempotencyKey: `${i}-${n}`,
                  request: { eventId, items: [{ ticketTypeId: sale.gaId, quantity: 1 }] } as never
                })
              ),
            { concurrency: "unbounded" }
          )
          return yield* Fiber.join(collected).pipe(Effect.timeout("10 seconds"))
        })
      )
      expect(messages[0]?.ticketTypes[0]?.held).toBe(0)
      expect(messages.at(-1)?.ticketTypes[0]).toMatchObject({ held: 25, available: 75 })
      // 25 holds, far fewer messages: each carries the state after every hold of its interval.
      expect(messages.length).toBeLessThan(10)
      const versions = messages.map((m) => m.version)
      expect([...versions].sort((a, b) => a - b)).toEqual(versions)
    })
  )
})

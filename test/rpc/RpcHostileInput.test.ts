import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import type { EventId, UserId } from "../../src/domain/shared/Ids.ts"
import { BookingClient, DoorClient, rpcConnection, SupportClient } from "../../src/rpc/client/index.ts"
import { MAX_RPC_FRAME_BYTES, RpcAddress } from "../../src/rpc/server/RpcServerLive.ts"
import { ServiceKeys } from "../../src/services/servicekeys/ServiceKeys.ts"
import { PAID, payAt } from "../support/Purchase.ts"
import { publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/*
 * The RPC listener against bad input (a frame that is not a message, an unknown procedure, a payload that does not
 * match, a frame past the size limit: each answered, the server serving on), and a refund through Support that
 * puts the ticket on the door's void list.
 */

const rpcUrl = Effect.flatMap(RpcAddress, ({ url }) =>
  url === undefined ? Effect.die("RPC is off") : Effect.succeed(url)
)

const post = (url: string, body: string | Uint8Array, contentType = "application/x-ndjson") =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/rpc`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
      signal: AbortSignal.timeout(10_000)
    })
    return { status: response.status, text: await response.text() }
  })

const request = (tag: string, payload: unknown, key: string) =>
  `${JSON.stringify({ _tag: "Request", id: "1", tag, payload, headers: [["authorization", `Bearer ${key}`]] })}\n`

layer(TestServerLive({ RPC_PORT: "0" }), { timeout: "120 seconds", excludeTestServices: true })("RPC input", (it) => {
  describe("bad frames", () => {
    it.effect("each is answered with a defect naming it, and the server serves on", () =>
      Effect.gen(function* () {
        const url = yield* rpcUrl
        const keys = yield* ServiceKeys
        const key = Redacted.value(
          (yield* keys.create("operator", { name: "t", scopes: ["inventory:read"], doorEvents: [], expiresAt: null }))
            .secret
        )
        const garbage = yield* post(url, "{not json\n")
        expect(garbage.status).toBe(200)
        expect(garbage.text).toContain("Defect")
        const unknown = yield* post(url, request("DropTables", {}, key))
        expect(unknown.text).toContain("Unknown request tag: DropTables")
        const invalid = yield* post(url, request("Availability", { eventId: "not-a-uuid" }, key))
        expect(invalid.text).toMatch(/"Die".*UUID|UUID.*"Die"/s)
        const oversized = yield* post(
          url,
          `{"_tag":"Request","id":"1","tag":"Availability","payload":"${"x".repeat(MAX_RPC_FRAME_BYTES + 10)}`
        )
        expect(oversized.text).toContain("Defect")
        const garbageMsgpack = yield* post(url, new Uint8Array([0x93, 0xc1, 0xc1, 0xc1]), "application/msgpack")
        expect(garbageMsgpack.status).toBe(200)
        // …and a well-formed call still works.
        const fine = yield* post(url, request("Availability", { eventId: crypto.randomUUID() }, key))
        expect(fine.text).toContain("EventNotFound")
      })
    )
  })

  it.effect("a refund through Support voids the ticket: the door refuses it and lists it", () =>
    Effect.gen(function* () {
      const api = yield* client
      const url = yield* rpcUrl
      const keys = yield* ServiceKeys
      const sale = yield* publishedSale(api, { capacity: 10 })
      const eventId = sale.eventId as EventId
      const buyer = yield* api.account("customer")
      const secret = Redacted.value(
        (yield* keys.create("operator", {
          name: "all",
          scopes: ["booking:write", "support", "door:scan"],
          doorEvents: [eventId],
          expiresAt: null
        })).secret
      )
      yield* Effect.gen(function* () {
        const booking = yield* BookingClient
        const support = yield* SupportClient
        const door = yield* DoorClient
        const customerId = buyer.id as UserId
        const held = yield* booking.PlaceHold({
          customerId,
          idempotencyKey: "h",
          request: { eventId, items: [{ ticketTypeId: sale.gaId, quantity: 1 }] } as never
        })
        const order = yield* booking.Checkout({ customerId, reservationId: held.reservation.id })
        yield* payAt(order.payment?.confirmUrl ?? "", PAID)
        let confirmed = yield* booking.GetOrder({ customerId, orderId: order.id })
        for (let i = 0; i < 2400 && confirmed.status === "pending_payment"; i++) {
          yield* Effect.sleep("25 millis")
          confirmed = yield* booking.GetOrder({ customerId, orderId: order.id })
        }
        expect(confirmed.status).toBe("confirmed")
        const ticket = confirmed.tickets[0]
        const code = (yield* api.call("GET", `/v1/tickets/${ticket?.id}`, { token: buyer.token })).body.code
        const refund = yield* support.Refund({ orderId: order.id, idempotencyKey: "r-1" })
        expect(refund.ticketIds).toEqual([ticket?.id])
        const again = yield* support.Refund({ orderId: order.id, idempotencyKey: "r-1" })
        expect(again.id).toBe(refund.id)
        expect((yield* door.VoidedCodes({ eventId })).codes).toEqual([code])
        const refused = yield* Effect.flip(door.CheckIn({ eventId, code }))
        expect(refused).toMatchObject({ _tag: "CheckInRefused" })
      }).pipe(
        Effect.provide(
          Layer.mergeAll(BookingClient.layer, SupportClient.layer, DoorClient.layer).pipe(
            Layer.provide(rpcConnection({ url, key: secret, protocol: "websocket" }))
          )
        ),
        Effect.scoped
      )
    })
  )
})

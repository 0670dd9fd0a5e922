import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted, Stream } from "effect"
import { auditActorOf } from "../../src/domain/servicekeys/ServiceKey.ts"
import type { UserId } from "../../src/domain/shared/Ids.ts"
import { BookingClient, type RpcConnection, rpcConnection, SupportClient } from "../../src/rpc/client/index.ts"
import { RpcAddress } from "../../src/rpc/server/RpcServerLive.ts"
import { OrderWatch } from "../../src/services/orders/OrderWatch.ts"
import { ServiceKeys } from "../../src/services/servicekeys/ServiceKeys.ts"
import { publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/* A caller that goes away in the middle of an order stream: the server ends the stream and gives its slot back. */

layer(TestServerLive({ RPC_PORT: "0" }), { timeout: "120 seconds", excludeTestServices: true })("RPC streams", (it) => {
  for (const protocol of ["http", "websocket"] as const) {
    it.effect(`a consumer that disconnects mid-stream frees its slot (${protocol})`, () =>
      Effect.gen(function* () {
        const api = yield* client
        const { url } = yield* RpcAddress
        const keys = yield* ServiceKeys
        const watch = yield* OrderWatch
        const sale = yield* publishedSale(api, { capacity: 10 })
        const buyer = yield* api.account("customer")
        const created = yield* keys.create("operator", {
          name: "support desk",
          scopes: ["booking:write", "support"],
          doorEvents: [],
          expiresAt: null
        })
        const connection: RpcConnection = {
          url: url ?? "",
          key: Redacted.value(created.secret),
          protocol,
          serialization: "msgpack"
        }
        const customerId = buyer.id as UserId
        const order = yield* Effect.gen(function* () {
          const booking = yield* BookingClient
          const held = yield* booking.PlaceHold({
            customerId,
            idempotencyKey: "d",
            request: { eventId: sale.eventId, items: [{ ticketTypeId: sale.gaId, quantity: 1 }] } as never
          })
          return yield* booking.Checkout({ customerId, reservationId: held.reservation.id })
        }).pipe(Effect.provide(BookingClient.layer.pipe(Layer.provide(rpcConnection(connection)))), Effect.scoped)

        const keyUser = auditActorOf(created.key.id)
        const first = yield* Effect.gen(function* () {
          const support = yield* SupportClient
          // The first status arrives while the stream is open (the order is pending)…
          return yield* support.FollowOrder({ orderId: order.id }).pipe(
            Stream.tap(() => Effect.map(watch.openStreamsOf(keyUser), (n) => expect(n).toBe(1))),
            Stream.take(1),
            Stream.runCollect
          )
        }).pipe(Effect.provide(SupportClient.layer.pipe(Layer.provide(rpcConnection(connection)))), Effect.scoped)
        expect(first.map((s) => s.status)).toEqual(["pending_payment"])
        // …and once the client is gone, the server's stream ends and its slot is free again.
        let open = 1
        for (let i = 0; i < 600 && open > 0; i++) {
          yield* Effect.sleep("50 millis")
          open = yield* watch.openStreamsOf(keyUser)
        }
        expect(open).toBe(0)
      })
    )
  }
})

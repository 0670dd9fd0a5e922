import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import type { EventId, UserId } from "../../src/domain/shared/Ids.ts"
import { BookingClient, InventoryClient, rpcConnection } from "../../src/rpc/client/index.ts"
import { RpcAddress } from "../../src/rpc/server/RpcServerLive.ts"
import { ServiceKeys } from "../../src/services/servicekeys/ServiceKeys.ts"
import { publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/* Holds under contention through RPC: as over REST, exactly the capacity is held, never more. */

layer(TestServerLive({ RPC_PORT: "0" }), { timeout: "120 seconds", excludeTestServices: true })("RPC holds", (it) => {
  it.effect("40 customers race for 10 tickets over one WebSocket: exactly 10 holds, the rest SoldOut", () =>
    Effect.gen(function* () {
      const api = yield* client
      const { url } = yield* RpcAddress
      const sale = yield* publishedSale(api, { capacity: 10 })
      const eventId = sale.eventId as EventId
      const customers = yield* Effect.forEach(Array.from({ length: 40 }), () => api.account("customer"), {
        concurrency: 8
      })
      const created = yield* Effect.flatMap(ServiceKeys, (keys) =>
        keys.create("operator", {
          name: "box office",
          scopes: ["booking:write", "inventory:read"],
          doorEvents: [],
          expiresAt: null
        })
      )
      const outcomes = yield* Effect.gen(function* () {
        const booking = yield* BookingClient
        const results = yield* Effect.forEach(
          customers,
          (customer) =>
            booking
              .PlaceHold({
                customerId: customer.id as UserId,
                idempotencyKey: "race",
                request: { eventId, items: [{ ticketTypeId: sale.gaId, quantity: 1 }] } as never
              })
              .pipe(
                Effect.map(() => "held"),
                Effect.catch((e) => Effect.succeed((e as { readonly _tag: string })._tag))
              ),
          { concurrency: "unbounded" }
        )
        const availability = yield* (yield* InventoryClient).Availability({ eventId })
        return { results, availability }
      }).pipe(
        Effect.provide(
          Layer.mergeAll(BookingClient.layer, InventoryClient.layer).pipe(
            Layer.provide(rpcConnection({ url: url ?? "", key: Redacted.value(created.secret), protocol: "websocket" }))
          )
        ),
        Effect.scoped
      )
      const count = (what: string) => outcomes.results.filter((r) => r === what).length
      expect(count("held")).toBe(10)
      expect(count("SoldOut")).toBe(30)
      expect(outcomes.availability.ticketTypes[0]).toMatchObject({ capacity: 10, held: 10, sold: 0, available: 0 })
    })
  )
})

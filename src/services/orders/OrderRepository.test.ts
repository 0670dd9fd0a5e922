import { expect, layer } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer } from "effect"
import { SqlClient } from "effect/sql"
import {
  aPaidOrder,
  aSale,
  aStoredUser,
  holdOf,
  now,
  openOrder,
  orderRepositoryContract,
  unitsOf
} from "../../../test/contracts/OrderRepositoryContract.ts"
import { inventoryMismatches } from "../../../test/support/SumCheck.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import type { Ticket } from "../../domain/orders/Order.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { OrderRepositoryMemory } from "./OrderRepositoryMemory.ts"
import { OrderRepositoryPg } from "./OrderRepositoryPg.ts"

// The memory adapters each provide MemoryStoreLive; built together they share that one store (layers are memoised
// by reference), so an order's unit moves show in EventRepositoryMemory's ticket types and seat map.
orderRepositoryContract(
  "in-memory",
  Layer.mergeAll(OrderRepositoryMemory, ReservationRepositoryMemory, EventRepositoryMemory).pipe(
    Layer.provideMerge(UserRepositoryMemory)
  )
)

const RepositoriesPg = Layer.mergeAll(OrderRepositoryPg, ReservationRepositoryPg, EventRepositoryPg, UserRepositoryPg)

orderRepositoryContract("PostgreSQL", RepositoriesPg.pipe(Layer.provide(TestDatabaseLive)))

/** Orders of `n` customers for the same units, each opened on a hold that then expired: all want what is free. */
const ordersOnExpiredHolds = (n: number, hold: (customerId: UserId) => ReturnType<typeof holdOf>) =>
  Effect.gen(function* () {
    const holds = yield* ReservationRepository
    const orders = []
    for (let i = 0; i < n; i++) {
      const customer = yield* aStoredUser()
      const held = yield* hold(customer.id)
      orders.push(yield* openOrder(held.id, customer.id))
      expect((yield* holds.end([held.id], "expired")).length).toBe(1)
    }
    return orders
  })

// Real concurrency, on real PostgreSQL (on the embedded PGlite, a single session, these run one after another).
layer(RepositoriesPg.pipe(Layer.provideMerge(TestDatabaseLive)), { timeout: "120 seconds", excludeTestServices: true })(
  "OrderRepository on PostgreSQL: races",
  (it) => {
    it.effect("10 orders whose holds expired race for the last general-admission unit: exactly one gets it", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const sale = yield* aSale(1)
        const orders = yield* ordersOnExpiredHolds(10, (customerId) =>
          holdOf(customerId, sale.event, { type: sale.standing, quantity: 1 })
        )
        const outcomes = yield* Effect.all(
          orders.map((o) => repo.claimUnits(o.id)),
          { concurrency: "unbounded" }
        )
        expect(outcomes.filter((o) => o._tag === "Reclaimed")).toHaveLength(1)
        expect(outcomes.filter((o) => o._tag === "Unavailable")).toHaveLength(9)
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 0, sold: 1 } })
        expect(yield* inventoryMismatches([sale.event.id])).toEqual([])
      })
    )

    it.effect("10 orders whose holds expired race for the same seat: exactly one gets it", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const sale = yield* aSale()
        const orders = yield* ordersOnExpiredHolds(10, (customerId) => holdOf(customerId, sale.event, [sale.a2]))
        const outcomes = yield* Effect.all(
          orders.map((o) => repo.claimUnits(o.id)),
          { concurrency: "unbounded" }
        )
        expect(outcomes.filter((o) => o._tag === "Reclaimed")).toHaveLength(1)
        expect(outcomes.filter((o) => o._tag === "Unavailable")).toHaveLength(9)
        expect(yield* unitsOf(sale.event)).toMatchObject({ Seated: { held: 0, sold: 1 } })
        expect(yield* inventoryMismatches([sale.event.id])).toEqual([])
      })
    )

    it.effect(
      "a ticket scanned at the door while its refund is requested is either admitted or refunded, never both",
      () =>
        Effect.gen(function* () {
          const repo = yield* OrderRepository
          const sql = yield* SqlClient.SqlClient
          const alice = yield* aStoredUser()
          const staff = yield* aStoredUser()
          const sale = yield* aSale()
          const order = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 2 })
          const ticket = order.tickets[0] as Ticket
          const at = yield* now

          // The scan's transaction has admitted the ticket but not committed yet when the refund comes in.
          const scanned = yield* Deferred.make<void>()
          const refund = yield* Effect.forkChild(
            Deferred.await(scanned).pipe(
              Effect.andThen(
                repo.requestRefund({
                  refundId: `refund-${crypto.randomUUID()}`,
                  orderId: order.id,
                  ticketIds: [ticket.id],
                  requestedBy: alice.id,
                  includeCheckedIn: false,
                  at
                })
              )
            )
          )
          yield* sql.withTransaction(
            sql`SELECT * FROM check_in(${ticket.id}, ${sale.event.id}, ${staff.id}, ${at})`.pipe(
              Effect.andThen(Deferred.succeed(scanned, undefined)),
              Effect.andThen(Effect.sleep("500 millis"))
            )
          )
          expect(yield* Fiber.join(refund)).toEqual({ _tag: "NotRefundable", code: "ticket_not_refundable" })
          const [row] = yield* sql<{ status: string; checkedIn: boolean }>`
          SELECT status, checked_in_at IS NOT NULL AS checked_in FROM tickets WHERE id = ${ticket.id}`
          expect(row).toEqual({ status: "valid", checkedIn: true })
          expect(yield* inventoryMismatches([sale.event.id])).toEqual([])
        }).pipe(Effect.orDie)
    )

    it.effect("orders opened concurrently are paged through exactly once (created_at at the cursor's precision)", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const sql = yield* SqlClient.SqlClient
        const alice = yield* aStoredUser()
        const sale = yield* aSale(100)
        const heldIds = []
        for (let i = 0; i < 30; i++)
          heldIds.push((yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 1 })).id)
        const opened = yield* Effect.all(
          heldIds.map((id) => openOrder(id, alice.id)),
          { concurrency: "unbounded" }
        )

        const seen: Array<string> = []
        let before: { createdAt: Date; id: string } | undefined
        for (;;) {
          const page = yield* repo.listByCustomer(alice.id, { limit: 4, before })
          if (page.length === 0) break
          seen.push(...page.map((o) => o.id))
          const last = page[page.length - 1] as (typeof page)[number]
          before = { createdAt: last.createdAt, id: last.id }
        }
        expect([...seen].sort()).toEqual(opened.map((o) => o.id).sort())
        const [precision] = yield* sql<{ n: number }>`
          SELECT count(*)::int AS n FROM orders WHERE created_at <> date_trunc('milliseconds', created_at)`
        expect(precision?.n).toBe(0)
      }).pipe(Effect.orDie)
    )

    it.effect("the books balance after a mixed day of sales, cancellations, reclaims and refunds", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const holds = yield* ReservationRepository
        const alice = yield* aStoredUser()
        const bob = yield* aStoredUser()
        const sale = yield* aSale(20)
        const at = yield* now

        const paid = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 4 })
        const seatsPaid = yield* aPaidOrder(bob.id, sale.event, [sale.a1, sale.boxA1])
        yield* repo.requestRefund({
          refundId: `r-${crypto.randomUUID()}`,
          orderId: paid.id,
          ticketIds: [(paid.tickets[1] as Ticket).id],
          requestedBy: alice.id,
          includeCheckedIn: false,
          at
        })
        yield* repo.checkIn((seatsPaid.tickets[0] as Ticket).id, sale.event.id, alice.id, at)
        yield* repo.requestRefund({
          refundId: `r-${crypto.randomUUID()}`,
          orderId: seatsPaid.id,
          requestedBy: bob.id,
          includeCheckedIn: false,
          at
        })
        const pendingClaimed = yield* openOrder((yield* holdOf(bob.id, sale.event, [sale.b1, sale.b2])).id, bob.id)
        yield* repo.claimUnits(pendingClaimed.id)
        const cancelled = yield* openOrder(
          (yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 2 })).id,
          alice.id
        )
        yield* repo.cancel(cancelled.id, "payment_declined", at)
        const lapsedHold = yield* holdOf(alice.id, sale.event, [sale.a3])
        const reclaimed = yield* openOrder(lapsedHold.id, alice.id)
        yield* holds.end([lapsedHold.id], "expired")
        yield* repo.claimUnits(reclaimed.id)
        const released = yield* openOrder(
          (yield* holdOf(bob.id, sale.event, { type: sale.standing, quantity: 3 })).id,
          bob.id
        )
        yield* repo.claimUnits(released.id)
        yield* repo.releaseUnits(released.id)
        yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 1 })

        expect(yield* unitsOf(sale.event)).toMatchObject({
          Standing: { held: 1, sold: 3 },
          Seated: { held: 0, sold: 4 },
          Box: { held: 0, sold: 0 }
        })
        expect(yield* inventoryMismatches([sale.event.id])).toEqual([])
      })
    )
  }
)

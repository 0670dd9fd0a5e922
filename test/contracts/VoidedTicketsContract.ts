import { expect, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { VoidedTickets } from "../../src/domain/door/VoidedTickets.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import type { ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import { aPaidOrder, aSale, aStoredUser, now } from "./OrderRepositoryContract.ts"

/** One contract, every adapter: the void list a gate validates offline against. */
export const voidedTicketsContract = (
  name: string,
  adapters: Layer.Layer<VoidedTickets | OrderRepository | ReservationRepository | EventRepository | UserRepository>
) =>
  layer(adapters, { timeout: "120 seconds", excludeTestServices: true })(`VoidedTickets contract: ${name}`, (it) => {
    it.effect("lists the event's refunded tickets, in id order, and nothing of other events", () =>
      Effect.gen(function* () {
        const voided = yield* VoidedTickets
        const orders = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const other = yield* aSale()
        const order = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 3 })
        yield* aPaidOrder(alice.id, other.event, { type: other.standing, quantity: 1 })
        expect(yield* voided.ofEvent(sale.event.id)).toEqual([])

        const [first, second] = order.tickets
        const refunded = [first?.id, second?.id].filter((id) => id !== undefined)
        const outcome = yield* orders.requestRefund({
          refundId: crypto.randomUUID(),
          orderId: order.id,
          ticketIds: refunded,
          requestedBy: alice.id,
          includeCheckedIn: false,
          at: yield* now
        })
        expect(outcome._tag).toBe("Requested")
        expect(yield* voided.ofEvent(sale.event.id)).toEqual([...refunded].sort())
        expect(yield* voided.ofEvent(other.event.id)).toEqual([])
      })
    )
  })

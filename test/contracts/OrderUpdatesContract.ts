import { expect, layer } from "@effect/vitest"
import { Duration, Effect, Exit, type Layer, Option, Queue } from "effect"
import type { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import { OrderUpdates } from "../../src/domain/orders/OrderUpdates.ts"
import type { ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import type { OrderId, UserId } from "../../src/domain/shared/Ids.ts"
import { aSale, aStoredUser, holdOf, newOrderId, now, openOrder, type Sale } from "./OrderRepositoryContract.ts"

/*
 * OrderUpdates signals "read this order again". What every adapter must do (and what callers rely on):
 * - a subscriber is signalled after each change of its order's status, and its opening, once the change is
 *   committed: a read after the signal sees the change;
 * - only the changed order's subscribers are signalled (a spurious signal is allowed, a missing one is not: the
 *   suites clear what subscribing itself may have produced before acting);
 * - signals wait for their subscriber, at most one at a time (a burst of changes wakes a waiter once);
 * - an id names an order in any letter case.
 * Changes are made through the OrderRepository of the same layer, as the application makes them. Signals may come
 * a little after the commit (NOTIFY travels), so the suites subscribe before the first change of an order and take
 * each change's signal before making the next.
 */

export type OrderUpdatesAdapters =
  | OrderUpdates
  | OrderRepository
  | ReservationRepository
  | EventRepository
  | UserRepository

/** The next signal, which must come (within a generous bound: a test that would hang fails instead). */
export const signalOf = (signals: Queue.Dequeue<OrderId>) =>
  Queue.take(signals).pipe(
    Effect.timeoutOrElse({
      duration: Duration.seconds(10),
      orElse: () => Effect.die(new Error("no signal within 10 s"))
    })
  )

/** Subscribes (in the test's scope) and drops whatever signal subscribing produced. */
export const subscribed = (orderId: OrderId) =>
  Effect.gen(function* () {
    const signals = yield* (yield* OrderUpdates).changes(orderId)
    yield* Queue.clear(signals)
    return signals
  })

/** A customer's live hold of 2 standing units, and an order id not used yet. */
export const aHoldToOrder = (sale: Sale, customerId: UserId) =>
  Effect.map(holdOf(customerId, sale.event, { type: sale.standing, quantity: 2 }), (hold) => ({
    hold,
    orderId: newOrderId()
  }))

const statusOf = (orderId: OrderId) =>
  Effect.flatMap(OrderRepository, (repo) => repo.findById(orderId)).pipe(
    Effect.map((found) => Option.getOrThrow(found).status)
  )

export const orderUpdatesContract = (name: string, adapters: Layer.Layer<OrderUpdatesAdapters>) =>
  layer(adapters, { timeout: "120 seconds", excludeTestServices: true })(`OrderUpdates contract: ${name}`, (it) => {
    it.effect("signals an order's opening, then each status change, each read after it seeing the change", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const customer = yield* aStoredUser()
        const sale = yield* aSale()
        const { hold, orderId } = yield* aHoldToOrder(sale, customer.id)
        const signals = yield* subscribed(orderId)

        yield* openOrder(hold.id, customer.id, { orderId })
        expect(yield* signalOf(signals)).toBe(orderId)
        expect(yield* statusOf(orderId)).toBe("pending_payment")

        expect((yield* repo.claimUnits(orderId))._tag).toBe("Claimed")
        yield* repo.confirm(orderId, yield* now)
        yield* signalOf(signals)
        expect(yield* statusOf(orderId)).toBe("confirmed")

        const refunded = yield* repo.requestRefund({
          refundId: crypto.randomUUID(),
          orderId,
          requestedBy: customer.id,
          includeCheckedIn: false,
          at: yield* now
        })
        expect(refunded._tag).toBe("Requested")
        yield* signalOf(signals)
        expect(yield* statusOf(orderId)).toBe("refunded")
      })
    )

    it.effect("signals a cancellation", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const customer = yield* aStoredUser()
        const { hold, orderId } = yield* aHoldToOrder(yield* aSale(), customer.id)
        const signals = yield* subscribed(orderId)
        yield* openOrder(hold.id, customer.id, { orderId })
        yield* signalOf(signals)

        yield* repo.cancel(orderId, "payment_declined", yield* now)
        yield* signalOf(signals)
        expect(yield* statusOf(orderId)).toBe("cancelled")
      })
    )

    it.effect("signals every subscriber of the changed order, and only them", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const customer = yield* aStoredUser()
        const sale = yield* aSale()
        const changed = yield* aHoldToOrder(sale, customer.id)
        const untouched = yield* aHoldToOrder(sale, customer.id)
        const first = yield* subscribed(changed.orderId)
        const second = yield* subscribed(changed.orderId)
        const other = yield* subscribed(untouched.orderId)
        yield* openOrder(changed.hold.id, customer.id, { orderId: changed.orderId })
        yield* openOrder(untouched.hold.id, customer.id, { orderId: untouched.orderId })
        for (const signals of [first, second, other]) yield* signalOf(signals)

        yield* repo.cancel(changed.orderId, "payment_timed_out", yield* now)
        expect(yield* signalOf(first)).toBe(changed.orderId)
        expect(yield* signalOf(second)).toBe(changed.orderId)
        // Changes are signalled in commit order: had the other order been signalled, it would be there by now.
        expect(yield* Queue.clear(other)).toEqual([])
      })
    )

    it.effect("keeps at most one signal waiting: a burst of changes wakes a subscriber once", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const customer = yield* aStoredUser()
        const sale = yield* aSale()
        const orders = [yield* aHoldToOrder(sale, customer.id), yield* aHoldToOrder(sale, customer.id)]
        const signals = yield* subscribed(orders[0]?.orderId as OrderId)
        const marker = yield* subscribed(orders[1]?.orderId as OrderId)

        const first = orders[0] as (typeof orders)[number]
        yield* openOrder(first.hold.id, customer.id, { orderId: first.orderId })
        yield* repo.claimUnits(first.orderId)
        yield* repo.confirm(first.orderId, yield* now)
        const last = orders[1] as (typeof orders)[number]
        yield* openOrder(last.hold.id, customer.id, { orderId: last.orderId })
        // Once the last change is signalled, the earlier ones have been too: one signal waits for them all.
        yield* signalOf(marker)
        expect(yield* Queue.size(signals)).toBe(1)
        yield* signalOf(signals)
        expect(yield* statusOf(first.orderId)).toBe("confirmed")
      })
    )

    it.effect("names an order in any letter case", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const customer = yield* aStoredUser()
        const { hold, orderId } = yield* aHoldToOrder(yield* aSale(), customer.id)
        const signals = yield* subscribed(orderId.toUpperCase() as OrderId)
        yield* openOrder(hold.id, customer.id, { orderId })
        yield* signalOf(signals)

        yield* repo.cancel(orderId, "payment_declined", yield* now)
        yield* signalOf(signals)
        expect(yield* statusOf(orderId)).toBe("cancelled")
      })
    )

    it.effect("ends a subscription with its scope", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const customer = yield* aStoredUser()
        const { hold, orderId } = yield* aHoldToOrder(yield* aSale(), customer.id)
        const ended = yield* Effect.scoped(subscribed(orderId))
        const live = yield* subscribed(orderId)
        yield* openOrder(hold.id, customer.id, { orderId })
        yield* repo.cancel(orderId, "payment_declined", yield* now)
        yield* signalOf(live)
        // The ended subscription's queue is shut down: taking from it ends at once (a live one would wait).
        const taken = yield* Effect.exit(Queue.take(ended).pipe(Effect.timeoutOption("2 seconds")))
        expect(Exit.isFailure(taken)).toBe(true)
      })
    )
  })

import { describe, expect } from "@effect/vitest"
import { Clock, Duration, Effect, Option, Queue } from "effect"
import { TestClock } from "effect/testing"
import type { Actor } from "../../src/domain/accounts/Actor.ts"
import { openIntent } from "../../src/domain/orders/CheckoutSaga.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import { PaymentGateway } from "../../src/domain/payments/PaymentGateway.ts"
import type { EventId, OrderId, TicketTypeId } from "../../src/domain/shared/Ids.ts"
import { reconciliationPass } from "../../src/services/orders/PaymentReconciliation.ts"
import { MemoryPaymentProvider } from "../../src/services/payments/PaymentGatewayMemory.ts"
import { Reservations } from "../../src/services/reservations/Reservations.ts"
import { memorySale } from "../support/MemorySale.ts"
import { checkout, orderNow, pay, settled, sumCheck, worldTest } from "./SagaWorld.ts"

const PAID = "4242424242424242"
const DELAY = Duration.minutes(2)

/**
 * An order as a saga that lost its last step leaves it (no saga runs it here): opened with its intent, the customer
 * paid (authorised; `captured`: and the money taken), then the order cancelled without the money being given back.
 */
const cancelledButPaid = (customer: Actor, eventId: EventId, ticketTypeId: TicketTypeId, captured: boolean) =>
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const gateway = yield* PaymentGateway
    const provider = yield* MemoryPaymentProvider
    const { reservation } = yield* Effect.flatMap(Reservations, (r) =>
      r.hold(customer, { eventId, items: [{ ticketTypeId, quantity: 1 }] }, crypto.randomUUID())
    )
    const opened = yield* orders.open({
      orderId: crypto.randomUUID() as OrderId,
      reservationId: reservation.id,
      customerId: customer.userId,
      holdUntil: new Date((yield* Clock.currentTimeMillis) + 3_600_000)
    })
    if (opened._tag !== "Opened") return yield* Effect.die(new Error(`expected Opened, got ${opened._tag}`))
    const order = opened.order
    const intent = yield* openIntent(gateway, order.id, order.totalMinor, order.currency)
    yield* orders.attachPayment(order.id, { provider: "sandbox", intentId: intent.id, confirmUrl: intent.confirmUrl })
    yield* provider.confirm(intent.id, PAID)
    if (captured) yield* gateway.capture(intent.id, `test-capture-${order.id}`)
    yield* Queue.clear(provider.deliveries)
    yield* orders.cancel(order.id, "payment_failed", new Date(yield* Clock.currentTimeMillis))
    return { order, intentId: intent.id }
  })

const reconciled = (orderId: OrderId) =>
  Effect.map(
    Effect.flatMap(OrderRepository, (orders) => orders.reconciliationOf(orderId)),
    Option.map((r) => r.outcome)
  )

describe("the payment reconciliation", () => {
  const it = { effect: worldTest() }

  it.effect("voids what a cancelled order left authorised, refunds what it left captured, once", () =>
    Effect.gen(function* () {
      const { event, ga, customer, rival, counts } = yield* memorySale(10)
      const authorised = yield* cancelledButPaid(customer, event.id, ga.id, false)
      const captured = yield* cancelledButPaid(rival, event.id, ga.id, true)
      const gateway = yield* PaymentGateway
      const provider = yield* MemoryPaymentProvider

      // Not before the delay: the saga's own compensation may still be under way.
      expect(yield* reconciliationPass(DELAY)).toEqual({ pending: 0, settled: {} })
      yield* TestClock.adjust(Duration.sum(DELAY, Duration.seconds(1)))
      expect(yield* reconciliationPass(DELAY)).toEqual({ pending: 0, settled: { voided: 1, refunded: 1 } })
      expect((yield* gateway.retrieve(authorised.intentId)).status).toBe("canceled")
      const refunded = yield* gateway.retrieve(captured.intentId)
      expect(refunded.refundedMinor).toBe(refunded.capturedMinor)
      expect(yield* reconciled(authorised.order.id)).toEqual(Option.some("voided"))
      expect(yield* reconciled(captured.order.id)).toEqual(Option.some("refunded"))

      // Idempotent: a second pass finds nothing, and moves no money.
      const before = yield* provider.balance
      expect(yield* reconciliationPass(DELAY)).toEqual({ pending: 0, settled: {} })
      expect(yield* provider.balance).toEqual(before)
      expect(before.refunds).toBe(1)
      yield* sumCheck([authorised.order.id, captured.order.id], counts)
    })
  )

  it.effect("finds a confirmed order consistent, and never touches its payment", () =>
    Effect.gen(function* () {
      const { event, ga, customer, counts } = yield* memorySale(10)
      const { order, intentId } = yield* checkout(customer, event.id, ga.id, 2)
      yield* pay(intentId, PAID)
      expect((yield* settled(order.id)).status).toBe("confirmed")
      const before = yield* Effect.flatMap(MemoryPaymentProvider, (p) => p.balance)
      yield* TestClock.adjust(Duration.sum(DELAY, Duration.seconds(1)))
      expect(yield* reconciliationPass(DELAY)).toEqual({ pending: 0, settled: { consistent: 1 } })
      expect(yield* reconciled(order.id)).toEqual(Option.some("consistent"))
      expect(yield* Effect.flatMap(MemoryPaymentProvider, (p) => p.balance)).toEqual(before)
      expect((yield* orderNow(order.id)).status).toBe("confirmed")
      yield* sumCheck([order.id], counts)
    })
  )
})

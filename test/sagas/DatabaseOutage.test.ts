import { describe, expect } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { TestClock } from "effect/testing"
import type { OrderRepositoryShape } from "../../src/domain/orders/OrderRepository.ts"
import { PaymentGateway } from "../../src/domain/payments/PaymentGateway.ts"
import { MemoryPaymentProvider } from "../../src/services/payments/PaymentGatewayMemory.ts"
import { memorySale } from "../support/MemorySale.ts"
import { checkout, inMemoryWorld, orderNow, pay, settled, sumCheck, worldTest } from "./SagaWorld.ts"

const PAID = "4242424242424242"
const DECLINED = "4000000000000002"

/** What a repository call dies of while the database is down (the service layer's `isOutage` says which). */
class DatabaseDown extends Error {}
/** What it dies of when something else is wrong (a bug, a broken invariant). */
class Broken extends Error {}

/**
 * The order repository the sagas see, with a switch per operation: `down` makes it die of an outage, `broken`
 * of anything else, after (`afterInner`) or instead of the real call.
 */
const faults = {
  down: new Set<keyof OrderRepositoryShape>(),
  broken: new Set<keyof OrderRepositoryShape>(),
  afterInner: false,
  reset() {
    this.down.clear()
    this.broken.clear()
    this.afterInner = false
  }
}

const faulty = (inner: OrderRepositoryShape): OrderRepositoryShape =>
  Object.fromEntries(
    Object.entries(inner).map(([name, operation]) => [
      name,
      typeof operation !== "function"
        ? operation
        : (...args: Array<unknown>) =>
            Effect.suspend(() => {
              const key = name as keyof OrderRepositoryShape
              const fault = faults.down.has(key)
                ? new DatabaseDown(`${name}: the database is down`)
                : faults.broken.has(key)
                  ? new Broken(`${name}: broken`)
                  : undefined
              const call = operation(...args) as Effect.Effect<unknown>
              if (fault === undefined) return call
              return faults.afterInner ? Effect.andThen(call, Effect.die(fault)) : Effect.die(fault)
            })
    ])
  ) as unknown as OrderRepositoryShape

const world = () => {
  faults.reset()
  return inMemoryWorld({
    orders: faulty,
    settings: {
      isOutage: (defect) => defect instanceof DatabaseDown,
      // Anything but an outage gives up quickly here (about two minutes in production).
      databaseRetry: Schedule.recurs(2) as Schedule.Schedule<unknown, unknown>
    }
  })
}

/** Lets the TestClock run `minutes`, a few seconds at a time, the saga fibers running in between. */
const minutesPass = (minutes: number) =>
  Effect.gen(function* () {
    for (let i = 0; i < minutes * 12; i++) {
      yield* TestClock.adjust("5 seconds")
      yield* Effect.yieldNow
    }
  })

const moneyOf = (intentId: string) =>
  Effect.gen(function* () {
    const intent = yield* Effect.flatMap(PaymentGateway, (g) => g.retrieve(intentId))
    const balance = yield* Effect.flatMap(MemoryPaymentProvider, (p) => p.balance)
    return { status: intent.status, captures: balance.captures, refunds: balance.refunds }
  })

describe("the checkout saga when its database fails", () => {
  const it = { effect: worldTest(world) }

  it.effect("waits out a ten-minute outage at the tickets step: the paid order is confirmed, charged once", () =>
    Effect.gen(function* () {
      const { event, ga, customer, counts } = yield* memorySale(10)
      const { order, intentId } = yield* checkout(customer, event.id, ga.id, 2)
      faults.down.add("confirm")
      yield* pay(intentId, PAID)
      yield* minutesPass(10)
      // Far longer than any retry of a broken step: nothing was compensated, the order simply waits.
      expect((yield* orderNow(order.id)).status).toBe("pending_payment")
      expect(yield* moneyOf(intentId)).toEqual({ status: "succeeded", captures: 1, refunds: 0 })
      faults.down.clear()
      const done = yield* settled(order.id, { step: "1 second", steps: 60 })
      expect(done.status).toBe("confirmed")
      expect(done.tickets.map((t) => t.status)).toEqual(["valid", "valid"])
      expect(yield* moneyOf(intentId)).toEqual({ status: "succeeded", captures: 1, refunds: 0 })
      yield* sumCheck([order.id], counts)
    })
  )

  it.effect("waits out an outage while claiming the units and while cancelling a declined order", () =>
    Effect.gen(function* () {
      const { event, ga, customer, rival, counts } = yield* memorySale(10)
      const paid = yield* checkout(customer, event.id, ga.id, 1)
      const declined = yield* checkout(rival, event.id, ga.id, 1)
      faults.down.add("claimUnits")
      faults.down.add("cancel")
      yield* pay(paid.intentId, PAID)
      yield* pay(declined.intentId, DECLINED)
      yield* minutesPass(5)
      expect((yield* orderNow(paid.order.id)).status).toBe("pending_payment")
      expect((yield* orderNow(declined.order.id)).status).toBe("pending_payment")
      expect((yield* moneyOf(paid.intentId)).captures).toBe(0)
      faults.down.clear()
      expect((yield* settled(paid.order.id, { step: "1 second", steps: 60 })).status).toBe("confirmed")
      const cancelled = yield* settled(declined.order.id, { step: "1 second", steps: 60 })
      expect(cancelled.status).toBe("cancelled")
      expect(cancelled.cancelReason).toBe("payment_declined")
      expect(yield* counts).toEqual({ held: 0, sold: 1 })
      yield* sumCheck([paid.order.id, declined.order.id], counts)
    })
  )

  it.effect("a step that fails for good is compensated, but a confirmed order keeps its payment and tickets", () =>
    Effect.gen(function* () {
      const { event, ga, customer, counts } = yield* memorySale(10)
      const { order, intentId } = yield* checkout(customer, event.id, ga.id, 2)
      // The confirmation is written, but the call dies of something that is not an outage: the step fails and
      // the saga compensates. Its compensations find the order confirmed: no refund, no units given back.
      faults.broken.add("confirm")
      faults.afterInner = true
      yield* pay(intentId, PAID)
      yield* minutesPass(1)
      const done = yield* orderNow(order.id)
      expect(done.status).toBe("confirmed")
      expect(done.tickets.map((t) => t.status)).toEqual(["valid", "valid"])
      expect(yield* moneyOf(intentId)).toEqual({ status: "succeeded", captures: 1, refunds: 0 })
      expect(yield* counts).toEqual({ held: 0, sold: 2 })
      yield* sumCheck([order.id], counts)
    })
  )

  it.effect("a step that fails for good before the capture cancels the order and voids its authorisation", () =>
    Effect.gen(function* () {
      const { event, ga, customer, counts } = yield* memorySale(10)
      const { order, intentId } = yield* checkout(customer, event.id, ga.id, 2)
      faults.broken.add("claimUnits")
      yield* pay(intentId, PAID)
      const done = yield* settled(order.id, { step: "1 second", steps: 120 })
      expect(done.status).toBe("cancelled")
      expect(done.cancelReason).toBe("payment_failed")
      expect(yield* moneyOf(intentId)).toEqual({ status: "canceled", captures: 0, refunds: 0 })
      expect(yield* counts).toEqual({ held: 0, sold: 0 })
      yield* sumCheck([order.id], counts)
    })
  )
})

import { expect, it as vitest } from "@effect/vitest"
import { ConfigProvider, type Duration, Effect, Layer, Option, Queue, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { WorkflowEngine } from "effect/workflow"
import type { Actor } from "../../src/domain/accounts/Actor.ts"
import { CheckoutSagaLive } from "../../src/domain/orders/CheckoutSaga.ts"
import { CheckoutSettings, type CheckoutSettingsShape } from "../../src/domain/orders/CheckoutSettings.ts"
import type { Order } from "../../src/domain/orders/Order.ts"
import { OrderRepository, type OrderRepositoryShape } from "../../src/domain/orders/OrderRepository.ts"
import { EventRefundsSagaLive, RefundSagaLive } from "../../src/domain/orders/RefundSaga.ts"
import { TicketCodes } from "../../src/domain/orders/TicketCodes.ts"
import { KeyMarkSource } from "../../src/domain/reservations/InventoryCache.ts"
import type { EventId, OrderId, TicketTypeId } from "../../src/domain/shared/Ids.ts"
import { UserRepositoryMemory } from "../../src/services/accounts/UserRepositoryMemory.ts"
import { AuditLogMemory } from "../../src/services/audit/AuditLogMemory.ts"
import { EventRepositoryMemory } from "../../src/services/catalog/EventRepositoryMemory.ts"
import { makeHmacTicketCodes } from "../../src/services/orders/HmacTicketCodes.ts"
import { OrderRepositoryMemory } from "../../src/services/orders/OrderRepositoryMemory.ts"
import { Orders } from "../../src/services/orders/Orders.ts"
import { PaymentWebhooks } from "../../src/services/orders/PaymentWebhooks.ts"
import { MemoryPaymentProvider, makePaymentGatewayMemory } from "../../src/services/payments/PaymentGatewayMemory.ts"
import { CatalogSnapshots } from "../../src/services/reservations/CatalogSnapshots.ts"
import { makeInventoryCacheMemory } from "../../src/services/reservations/InventoryCacheMemory.ts"
import { ReservationRepositoryMemory } from "../../src/services/reservations/ReservationRepositoryMemory.ts"
import { Reservations } from "../../src/services/reservations/Reservations.ts"
import { VoucherRepositoryMemory } from "../../src/services/vouchers/VoucherRepositoryMemory.ts"

/**
 * Every saga on the in-memory workflow engine, over the in-memory twin of every port, on the TestClock. `options`
 * changes the saga settings, or wraps the order repository the sagas see (to make its calls fail).
 */
export const inMemoryWorld = (
  options: {
    readonly settings?: Partial<CheckoutSettingsShape>
    readonly orders?: (inner: OrderRepositoryShape) => OrderRepositoryShape
  } = {}
) => {
  const wrapped = options.orders
  const orders =
    wrapped === undefined
      ? OrderRepositoryMemory
      : Layer.effect(OrderRepository, Effect.map(OrderRepository, wrapped)).pipe(Layer.provide(OrderRepositoryMemory))
  const settings =
    options.settings === undefined
      ? Layer.empty
      : Layer.effect(
          CheckoutSettings,
          Effect.map(CheckoutSettings, (defaults) => ({ ...defaults, ...options.settings }))
        )
  return Layer.mergeAll(Orders.layer, PaymentWebhooks.layer, Reservations.layer).pipe(
    Layer.provideMerge(Layer.mergeAll(CheckoutSagaLive, RefundSagaLive, EventRefundsSagaLive)),
    Layer.provideMerge(CatalogSnapshots.layer),
    Layer.provideMerge(WorkflowEngine.layerMemory),
    Layer.provideMerge(
      Layer.mergeAll(
        orders,
        ReservationRepositoryMemory,
        VoucherRepositoryMemory,
        EventRepositoryMemory,
        AuditLogMemory,
        makePaymentGatewayMemory({ webhookSecret: "whsec_test" }),
        makeInventoryCacheMemory({ soldOutMs: 2000, viewMs: 5000 }).pipe(
          Layer.provide(KeyMarkSource.fromRepository),
          Layer.provide(ReservationRepositoryMemory)
        ),
        Layer.succeed(TicketCodes, makeHmacTicketCodes(Redacted.make("a-test-secret-that-is-long-enough-for-hkdf")))
      )
    ),
    Layer.provideMerge(UserRepositoryMemory),
    Layer.provideMerge(settings),
    Layer.provide(
      ConfigProvider.layer(
        ConfigProvider.fromEnv({ env: { HOLD_TTL_SECONDS: "600", CUSTOMER_REFUND_CUTOFF_HOURS: "24" } })
      )
    )
  )
}

export type World = Layer.Success<ReturnType<typeof inMemoryWorld>>

/** `it.effect` with a fresh world per test (the TestClock is in place while the engine layer is built). */
export const worldTest =
  (world: () => ReturnType<typeof inMemoryWorld> = inMemoryWorld) =>
  <A, E>(name: string, body: () => Effect.Effect<A, E, World>, timeout?: number) =>
    vitest.effect(name, () => Effect.provide(body(), world()), timeout)

/** Lets forked saga fibers run until `check` holds (the engine resumes sagas on forked fibers). */
export const eventually = <A, R>(
  read: Effect.Effect<A, never, R>,
  check: (a: A) => boolean,
  options: { readonly steps?: number; readonly step?: Duration.Input } = {}
) =>
  Effect.gen(function* () {
    for (let i = 0; i < (options.steps ?? 200); i++) {
      const value = yield* read
      if (check(value)) return value
      yield* TestClock.adjust(options.step ?? "1 millis")
      yield* Effect.yieldNow
    }
    return yield* Effect.die(new Error("the saga did not get there"))
  })

/** A hold of `quantity` and its checkout: the order, pending payment, with its intent. */
export const checkout = (actor: Actor, eventId: EventId, ticketTypeId: TicketTypeId, quantity: number) =>
  Effect.gen(function* () {
    const reservations = yield* Reservations
    const orders = yield* Orders
    const { reservation } = yield* reservations.hold(
      actor,
      { eventId, items: [{ ticketTypeId, quantity }] },
      crypto.randomUUID()
    )
    const order = yield* orders.checkout(actor, reservation.id)
    return { reservation, order, intentId: order.payment?.intentId ?? "" }
  })

export const deliverWebhooks = (times = 1) =>
  Effect.gen(function* () {
    const provider = yield* MemoryPaymentProvider
    const webhooks = yield* PaymentWebhooks
    const outcomes: Array<string> = []
    for (const delivery of yield* Queue.clear(provider.deliveries))
      for (let i = 0; i < times; i++) outcomes.push(yield* webhooks.receive(delivery.payload, delivery.signature))
    return outcomes
  })

/** The customer pays with `card`; every webhook the provider sends is delivered (`times` times each). */
export const pay = (intentId: string, card: string, times = 1) =>
  Effect.gen(function* () {
    const provider = yield* MemoryPaymentProvider
    yield* provider.confirm(intentId, card)
    yield* deliverWebhooks(times)
  })

export const orderNow = (orderId: OrderId) =>
  Effect.flatMap(OrderRepository, (orders) => Effect.map(orders.findById(orderId), Option.getOrThrow))

export const settled = (orderId: OrderId, options?: Parameters<typeof eventually>[2]) =>
  eventually(orderNow(orderId), (o: Order) => o.status !== "pending_payment", options)

/** The sum check: money kept by the provider is exactly the price of the valid tickets; sold units = valid tickets. */
export const sumCheck = (orderIds: ReadonlyArray<OrderId>, counts: Effect.Effect<{ held: number; sold: number }>) =>
  Effect.gen(function* () {
    const provider = yield* MemoryPaymentProvider
    const balance = yield* provider.balance
    const orders = yield* Effect.forEach(orderIds, orderNow)
    const valid = orders.flatMap((o) => o.tickets.filter((t) => t.status === "valid"))
    expect(balance.capturedMinor - balance.refundedMinor).toBe(valid.reduce((sum, t) => sum + t.priceMinor, 0))
    expect((yield* counts).sold).toBe(valid.length)
  })

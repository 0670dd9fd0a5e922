import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Option, Scope, Stream } from "effect"
import { TestClock } from "effect/testing"
import { Actor } from "../../domain/accounts/Actor.ts"
import { OrderNotFound } from "../../domain/orders/errors.ts"
import { Order, type OrderStatus } from "../../domain/orders/Order.ts"
import type { EventId, OrderId, ReservationId, UserId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { Orders } from "./Orders.ts"
import { OrderAnnouncer, OrderUpdatesInProcess } from "./OrderUpdatesHub.ts"
import { OrderWatch } from "./OrderWatch.ts"

/*
 * OrderWatch over the in-process OrderUpdates and a stand-in for Orders.get (one order, its status set by the
 * test), on the TestClock: what wakes a waiter (a signal, the re-read interval, the timeout, shutdown) is controlled.
 */

const ORDER = "00000000-0000-4000-8000-0000000000a1" as OrderId
const actor = (n: number) =>
  new Actor({ userId: `00000000-0000-4000-8000-00000000000${n}` as UserId, accountType: "customer", isAdmin: false })
const customer = actor(1)
const stranger = actor(2)

const world = { status: "pending_payment" as OrderStatus, reads: 0 }

const orderOf = (status: OrderStatus) =>
  new Order({
    id: ORDER,
    customerId: customer.userId,
    eventId: "00000000-0000-4000-8000-0000000000e1" as EventId,
    reservationId: "00000000-0000-4000-8000-0000000000b1" as ReservationId,
    status,
    totalMinor: 5000,
    refundedMinor: 0,
    currency: "EUR" as Currency,
    payment: null,
    cancelReason: null,
    lines: [],
    tickets: [],
    createdAt: new Date(0),
    confirmedAt: null,
    cancelledAt: null
  })

/** Orders.get as the application's: the customer sees the order, anyone else gets OrderNotFound. */
const OrdersStandIn = Layer.succeed(Orders, {
  get: (who: Actor, id: OrderId) =>
    Effect.suspend(() => {
      world.reads++
      return who.userId === customer.userId && id.toLowerCase() === ORDER
        ? Effect.succeed(orderOf(world.status))
        : Effect.fail(new OrderNotFound({ message: "no such order" }))
    })
} as unknown as Orders["Service"])

const Watch = OrderWatch.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(OrdersStandIn, OrderUpdatesInProcess)),
  Layer.provide(
    ConfigProvider.layer(
      ConfigProvider.fromEnv({ env: { ORDER_STREAMS_PER_CUSTOMER: "2", ORDER_UPDATES_REREAD_MS: "15000" } })
    )
  )
)

const fresh = <A, E>(body: Effect.Effect<A, E, OrderWatch | OrderAnnouncer>) =>
  Effect.suspend(() => {
    world.status = "pending_payment"
    world.reads = 0
    return Effect.provide(body, Watch)
  })

/** The order changes (as the repository would make it) and is announced, or not. */
const change = (status: OrderStatus, announced = true) =>
  Effect.gen(function* () {
    world.status = status
    if (announced) yield* (yield* OrderAnnouncer).announce(ORDER)
  })

/** Lets forked fibers run up to their next wait. */
const settle = Effect.gen(function* () {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow
})

/** Collects a feed's events (id and status) on a fiber; the feed's scope is the fiber's. */
const collect = (lastEventId?: string) =>
  Effect.gen(function* () {
    const watch = yield* OrderWatch
    const fiber = yield* Effect.forkChild(
      Effect.scoped(
        Effect.flatMap(
          watch.feed(customer, ORDER, lastEventId),
          (feed): Effect.Effect<"no content" | ReadonlyArray<readonly [number, OrderStatus, boolean]>> =>
            Option.isNone(feed)
              ? Effect.succeed("no content" as const)
              : Stream.runCollect(Stream.map(feed.value, (e) => [e.sequence, e.order.status, e.settled] as const))
        )
      )
    )
    yield* settle
    return fiber
  })

describe("OrderWatch", () => {
  it.effect("a feed: the current status, then each announced change, ending with the first settled status", () =>
    fresh(
      Effect.gen(function* () {
        const fiber = yield* collect()
        yield* change("pending_payment") // a signal without news sends nothing
        yield* settle
        yield* change("confirmed")
        expect(yield* Fiber.join(fiber)).toEqual([
          [1, "pending_payment", false],
          [2, "confirmed", true]
        ])
      })
    )
  )

  it.effect("without any signal, a waiter reads again every ORDER_UPDATES_REREAD_MS, and no more often", () =>
    fresh(
      Effect.gen(function* () {
        const fiber = yield* collect()
        yield* change("cancelled", false) // e.g. the notification was lost
        yield* TestClock.adjust("14 seconds")
        yield* settle
        expect(fiber.pollUnsafe()).toBeUndefined()
        expect(world.reads).toBe(1)
        yield* TestClock.adjust("1 second")
        expect(yield* Fiber.join(fiber)).toEqual([
          [1, "pending_payment", false],
          [2, "cancelled", true]
        ])
        expect(world.reads).toBe(2)
      })
    )
  )

  it.effect("Last-Event-ID: only what is newer; nothing (no content) once a settled status was seen", () =>
    fresh(
      Effect.gen(function* () {
        const resumed = yield* collect("1")
        yield* change("confirmed")
        expect(yield* Fiber.join(resumed)).toEqual([[2, "confirmed", true]])
        expect(yield* Fiber.join(yield* collect("2"))).toBe("no content")
        yield* change("refunded")
        expect(yield* Fiber.join(yield* collect("2"))).toEqual([[4, "refunded", true]])
        expect(yield* Fiber.join(yield* collect("garbage"))).toEqual([[4, "refunded", true]])
      })
    )
  )

  it.effect("a caller's streams are counted until their scope closes; one past the limit is refused", () =>
    fresh(
      Effect.gen(function* () {
        const watch = yield* OrderWatch
        const scopes = [yield* Scope.make(), yield* Scope.make()]
        for (const scope of scopes) yield* Scope.provide(watch.feed(customer, ORDER), scope)
        expect(yield* watch.openStreamsOf(customer.userId)).toBe(2)
        const refused = yield* Effect.exit(Effect.scoped(watch.feed(customer, ORDER)))
        expect(Exit.isFailure(refused) && refused.cause.reasons[0]?._tag === "Fail").toBe(true)
        expect(JSON.stringify(refused)).toContain("TooManyOrderStreams")
        yield* Scope.close(scopes[0] as Scope.Closeable, Exit.void)
        expect(yield* watch.openStreamsOf(customer.userId)).toBe(1)
        yield* Effect.scoped(watch.feed(customer, ORDER))
        yield* Scope.close(scopes[1] as Scope.Closeable, Exit.void)
        expect(yield* watch.openStreamsOf(customer.userId)).toBe(0)
      })
    )
  )

  it.effect("a stream gives its slot back as soon as it ends, before its scope closes", () =>
    fresh(
      Effect.gen(function* () {
        const watch = yield* OrderWatch
        yield* change("confirmed")
        const scope = yield* Scope.make()
        const feed = yield* Scope.provide(watch.feed(customer, ORDER), scope)
        expect(yield* watch.openStreamsOf(customer.userId)).toBe(1)
        yield* Stream.runDrain(Option.getOrThrow(feed))
        expect(yield* watch.openStreamsOf(customer.userId)).toBe(0)
        yield* Scope.close(scope, Exit.void)
        expect(yield* watch.openStreamsOf(customer.userId)).toBe(0)
      })
    )
  )

  it.effect("someone else's order fails as Orders.get does, before any stream or slot", () =>
    fresh(
      Effect.gen(function* () {
        const watch = yield* OrderWatch
        const feed = yield* Effect.flip(Effect.scoped(watch.feed(stranger, ORDER)))
        expect(feed._tag).toBe("OrderNotFound")
        const wait = yield* Effect.flip(watch.waitFor(stranger, ORDER, "confirmed", Duration.seconds(5)))
        expect(wait._tag).toBe("OrderNotFound")
        expect(yield* watch.openStreamsOf(stranger.userId)).toBe(0)
      })
    )
  )

  it.effect("a long-poll answers when the order gets there, at its timeout otherwise, at once when it never can", () =>
    fresh(
      Effect.gen(function* () {
        const watch = yield* OrderWatch
        const waiting = yield* Effect.forkChild(watch.waitFor(customer, ORDER, "settled", Duration.seconds(30)))
        yield* settle
        yield* change("confirmed")
        expect((yield* Fiber.join(waiting)).status).toBe("confirmed")

        const timingOut = yield* Effect.forkChild(watch.waitFor(customer, ORDER, "refunded", Duration.seconds(2)))
        yield* settle
        yield* TestClock.adjust("2 seconds")
        expect((yield* Fiber.join(timingOut)).status).toBe("confirmed")

        expect((yield* watch.waitFor(customer, ORDER, "cancelled", Duration.seconds(30))).status).toBe("confirmed")
      })
    )
  )

  it.effect("at shutdown, open feeds end and long-polls answer at once", () =>
    fresh(
      Effect.gen(function* () {
        const watch = yield* OrderWatch
        const feed = yield* collect()
        const poll = yield* Effect.forkChild(watch.waitFor(customer, ORDER, "confirmed", Duration.seconds(30)))
        yield* settle
        yield* Effect.forkChild(watch.endAllWaits)
        expect(yield* Fiber.join(feed)).toEqual([[1, "pending_payment", false]])
        expect((yield* Fiber.join(poll)).status).toBe("pending_payment")
      })
    )
  )
})

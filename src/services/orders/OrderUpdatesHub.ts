import { Context, Effect, Layer, Metric, Queue, type Scope } from "effect"
import { OrderUpdates } from "../../domain/orders/OrderUpdates.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"

const subscriptionsGauge = Metric.gauge("goticket_order_update_subscriptions", {
  description: "Requests of this process waiting on an order's changes (order status streams and long-polls)"
})

/**
 * The in-process fan-out of order signals: one small queue per waiting request, by order id. Each queue holds at
 * most one signal (a sliding queue of one), so a burst of changes wakes a waiter once and memory stays bounded
 * whatever the rate of changes.
 */
export interface OrderSignalHub {
  readonly subscribe: (orderId: OrderId) => Effect.Effect<Queue.Dequeue<OrderId>, never, Scope.Scope>
  /** Wakes the waiters of one order. */
  readonly publish: (orderId: OrderId) => Effect.Effect<void>
  /** Wakes every waiter (changes may have been missed: everyone reads again). */
  readonly publishAll: Effect.Effect<void>
  /** Orders with at least one waiter, and the number of waiters. */
  readonly size: Effect.Effect<{ readonly orders: number; readonly waiters: number }>
}

export const makeOrderSignalHub: Effect.Effect<OrderSignalHub> = Effect.sync(() => {
  // By the id in lower case: a client may name an order in upper case, PostgreSQL notifies it in lower case.
  const waiting = new Map<string, Set<Queue.Queue<OrderId>>>()
  let waiters = 0

  const subscribe = (orderId: OrderId) =>
    Effect.acquireRelease(
      Effect.flatMap(Queue.sliding<OrderId>(1), (queue) =>
        Effect.as(
          Effect.sync(() => {
            const set = waiting.get(orderId.toLowerCase()) ?? new Set()
            set.add(queue)
            waiting.set(orderId.toLowerCase(), set)
            waiters++
          }).pipe(Effect.andThen(Metric.update(subscriptionsGauge, waiters))),
          queue
        )
      ),
      (queue) =>
        Effect.sync(() => {
          const set = waiting.get(orderId.toLowerCase())
          if (set?.delete(queue)) waiters--
          if (set !== undefined && set.size === 0) waiting.delete(orderId.toLowerCase())
        }).pipe(
          Effect.andThen(Queue.shutdown(queue)),
          Effect.andThen(Effect.suspend(() => Metric.update(subscriptionsGauge, waiters)))
        )
    ) as Effect.Effect<Queue.Dequeue<OrderId>, never, Scope.Scope>

  const publish = (orderId: OrderId) =>
    Effect.sync(() => {
      for (const queue of waiting.get(orderId.toLowerCase()) ?? []) Queue.offerUnsafe(queue, orderId)
    })

  const publishAll = Effect.sync(() => {
    for (const [orderId, set] of waiting) for (const queue of set) Queue.offerUnsafe(queue, orderId as OrderId)
  })

  const size = Effect.sync(() => ({ orders: waiting.size, waiters }))

  return { subscribe, publish, publishAll, size }
})

/**
 * Announces that an order changed, to the waiters of this process: what the in-process adapter is fed by (see
 * `announcingOrderRepository`).
 */
export class OrderAnnouncer extends Context.Service<
  OrderAnnouncer,
  { readonly announce: (orderId: OrderId) => Effect.Effect<void> }
>()("goticket/OrderAnnouncer") {}

/**
 * OrderUpdates in process: the hub, fed by `OrderAnnouncer.announce`. For a single process that makes every change
 * of its orders itself: the in-memory repositories, and the embedded PGlite (one process, and PGlite behind its
 * socket does not deliver NOTIFY to a LISTEN).
 */
export const OrderUpdatesInProcess: Layer.Layer<OrderUpdates | OrderAnnouncer> = Layer.effectContext(
  Effect.map(makeOrderSignalHub, (hub) =>
    Context.make(OrderUpdates, OrderUpdates.of({ changes: hub.subscribe })).pipe(
      Context.add(OrderAnnouncer, OrderAnnouncer.of({ announce: hub.publish }))
    )
  )
)

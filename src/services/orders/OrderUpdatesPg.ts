import { PgClient } from "@effect/sql-pg"
import { Cause, Deferred, Duration, Effect, Layer, Queue, Schedule } from "effect"
import { OrderUpdates } from "../../domain/orders/OrderUpdates.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { makeOrderSignalHub } from "./OrderUpdatesHub.ts"

/** The channel the `orders_notify` triggers of migrations/0013_order_updates.sql notify, with the order id. */
export const ORDER_UPDATES_CHANNEL = "goticket_orders"

/** How long the first subscriber waits for the LISTEN to be in place before reading anyway. */
const FIRST_LISTEN_WAIT = Duration.seconds(5)

/** Reconnecting a lost LISTEN: 100 ms, doubling, at most 5 s apart, for as long as it takes. */
const reconnect = Schedule.min([Schedule.exponential("100 millis"), Schedule.spaced("5 seconds")])

/**
 * OrderUpdates on a PostgreSQL server: ONE `LISTEN goticket_orders` per process (on a pool connection it keeps,
 * so a process has DATABASE_POOL_MAX - 1 for queries while it listens), fanned out in process to the waiting
 * requests. The triggers notify at commit, from whichever process made the change (an API process, a worker's
 * saga, a manual UPDATE), and never for a rolled-back change.
 *
 * The LISTEN starts with the first subscription (processes that never wait on an order, workers, hold no
 * connection for it). A lost connection is listened again with backoff; once it is back every waiter is signalled,
 * since what changed in between is unknown (each reads its order again).
 */
export const OrderUpdatesPg: Layer.Layer<OrderUpdates, never, PgClient.PgClient> = Layer.effect(
  OrderUpdates,
  Effect.gen(function* () {
    const pg = yield* PgClient.PgClient
    const hub = yield* makeOrderSignalHub
    const scope = yield* Effect.scope
    const firstListen = yield* Deferred.make<void>()

    const listenOnce = Effect.scoped(
      Effect.gen(function* () {
        const notifications = yield* pg.listen(ORDER_UPDATES_CHANNEL)
        // Before the first subscriber is let go: it then never sees this signal as one of its order's changes.
        yield* hub.publishAll
        yield* Deferred.succeed(firstListen, undefined)
        while (true) {
          const batch = yield* Queue.takeAll(notifications)
          for (const orderId of new Set(batch.map((n) => n.payload))) yield* hub.publish(orderId as OrderId)
        }
      })
    )

    const listening = listenOnce.pipe(
      Effect.tapCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.void
          : Effect.logWarning("order updates: the LISTEN connection was lost; listening again", cause)
      ),
      Effect.retry(reconnect),
      Effect.withSpan("OrderUpdatesPg.listen")
    )

    const started = yield* Effect.cached(
      Effect.forkIn(listening, scope).pipe(
        Effect.andThen(Deferred.await(firstListen).pipe(Effect.timeoutOption(FIRST_LISTEN_WAIT)))
      )
    )

    return OrderUpdates.of({
      changes: (orderId) => Effect.tap(hub.subscribe(orderId), () => started)
    })
  })
)

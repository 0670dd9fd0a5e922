import { Clock, Config, Context, Deferred, Duration, Effect, Layer, Option, Queue, Schedule, Stream } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { TooManyOrderStreams } from "../../domain/orders/errors.ts"
import type { Order } from "../../domain/orders/Order.ts"
import { feedStep, seenSequence, type WaitTarget, waitIsOver } from "../../domain/orders/OrderProgress.ts"
import { OrderUpdates } from "../../domain/orders/OrderUpdates.ts"
import type { OrderId, UserId } from "../../domain/shared/Ids.ts"
import { bounded } from "../config/bounded.ts"
import { Orders } from "./Orders.ts"
import { takeStreamSlot } from "./StreamSlots.ts"

/** Knobs of the order status streams and long-polls; README.md lists them. */
export const OrderWatchConfig = Config.all({
  /** Order status streams one caller may keep open at once (in one process); one more is refused with 429. */
  streamsPerCustomer: bounded("ORDER_STREAMS_PER_CUSTOMER", 5, 1, 1_000, "streams"),
  /**
   * Waiters read their order again at least this often even without a signal: the safety net under lost
   * notifications (a change made while this process was not listening is also caught when the LISTEN comes back).
   */
  rereadInterval: bounded("ORDER_UPDATES_REREAD_MS", 15_000, 1_000, 600_000, "milliseconds").pipe(
    Config.map(Duration.millis)
  )
})

/** One event of an order's status feed: the order as read, and its status's place in the order's life. */
export interface OrderStatusEvent {
  readonly sequence: number
  readonly settled: boolean
  readonly order: Order
}

/**
 * Waiting on an order's status without polling: status streams (Server-Sent Events) and long-polls. Both are
 * driven by OrderUpdates' signals and read the order through `Orders.get`, which applies the visibility rule and is
 * the truth: a signal only says when to read again. Without any signal, a waiter still reads again every
 * `ORDER_UPDATES_REREAD_MS`.
 */
export class OrderWatch extends Context.Service<OrderWatch>()("goticket/OrderWatch", {
  make: Effect.gen(function* () {
    const orders = yield* Orders
    const updates = yield* OrderUpdates
    const config = yield* OrderWatchConfig
    const openStreams = new Map<UserId, number>()
    /** Done once the server is shutting down: every wait ends at once. */
    const closing = yield* Deferred.make<void>()
    const isClosing = Deferred.isDone(closing)
    /** Streams and long-polls in progress, until their request is over (answer written, or client gone). */
    let inProgress = 0
    const tracked = Effect.acquireRelease(
      Effect.sync(() => {
        inProgress++
      }),
      () =>
        Effect.sync(() => {
          inProgress--
        })
    )

    /** Waits for a signal, or at most `max` (and never longer than the re-read interval), or until shutdown. */
    const nextSignal = (signals: Queue.Dequeue<OrderId>, max: Duration.Duration = config.rereadInterval) =>
      Effect.raceFirst(
        Effect.asVoid(Queue.take(signals).pipe(Effect.timeoutOption(Duration.min(max, config.rereadInterval)))),
        Deferred.await(closing)
      )

    /**
     * One of the caller's stream slots, refused past ORDER_STREAMS_PER_CUSTOMER. Given back by the returned effect
     * (when the stream ends, before the client sees the end) or at the latest when the scope closes.
     */
    const streamSlot = (userId: UserId) =>
      Effect.gen(function* () {
        const open = openStreams.get(userId) ?? 0
        if (open >= config.streamsPerCustomer)
          return yield* new TooManyOrderStreams({
            limit: config.streamsPerCustomer,
            message: `at most ${config.streamsPerCustomer} order status streams may be open at once: close one first`
          })
        return yield* takeStreamSlot(openStreams, userId)
      })

    /**
     * The order's status feed for a client that has seen events up to `lastEventId` (none: nothing seen). Fails
     * as `Orders.get` does for an order the caller may not see, and with TooManyOrderStreams past the caller's
     * limit. None when there is nothing left to tell (the client saw a settled status, and nothing came after it).
     * Otherwise the stream: the current status first if the client has not seen it, then each newer status read
     * after a signal, ending with the first settled one. The subscription and the stream slot are held until the
     * scope closes, so the scope must outlive the stream (the request's does).
     */
    const feed = Effect.fn("OrderWatch.feed")(function* (actor: Actor, orderId: OrderId, lastEventId?: string) {
      yield* tracked
      const signals = yield* updates.changes(orderId) // before the read: no change after it can go unnoticed
      const current = yield* orders.get(actor, orderId)
      const first = feedStep(current.status, seenSequence(lastEventId))
      if (first.ends && !first.news) return Option.none<Stream.Stream<OrderStatusEvent>>()
      const release = yield* streamSlot(actor.userId)
      const initial = Stream.fromIterable(first.news ? [eventOf(first, current)] : [])
      if (first.ends) return Option.some(Stream.ensuring(initial, release))
      const rest = Stream.paginate(first.sequence, (seen: number) =>
        Effect.gen(function* () {
          yield* nextSignal(signals)
          // Shutting down: the stream ends, and the client resumes elsewhere with its Last-Event-ID.
          if (yield* isClosing) return [[], Option.none()] as const
          const order = yield* orders.get(actor, orderId)
          const step = feedStep(order.status, seen)
          return [
            step.news ? [eventOf(step, order)] : [],
            step.ends ? Option.none() : Option.some(step.sequence)
          ] as const
        }).pipe(
          // The order vanished from the caller's sight mid-stream (it cannot, today): end the stream.
          Effect.catchTag("OrderNotFound", () => Effect.succeed([[], Option.none()] as const))
        )
      )
      return Option.some(Stream.ensuring(Stream.concat(initial, rest), release))
    })

    /**
     * Long-poll: the order once `waitIsOver(status, target)` (it is in the wanted status, settled for `settled`,
     * or can no longer get there), or at the timeout, whichever comes first: the order as it then is, either way.
     */
    const waitFor = Effect.fn("OrderWatch.waitFor")(function* (
      actor: Actor,
      orderId: OrderId,
      target: WaitTarget,
      timeout: Duration.Duration
    ) {
      return yield* Effect.scoped(
        Effect.gen(function* () {
          yield* tracked
          const signals = yield* updates.changes(orderId)
          const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(timeout)
          let order = yield* orders.get(actor, orderId)
          while (!waitIsOver(order.status, target) && !(yield* isClosing)) {
            const left = deadline - (yield* Clock.currentTimeMillis)
            if (left <= 0) break
            yield* nextSignal(signals, Duration.millis(left))
            order = yield* orders.get(actor, orderId)
          }
          return order
        })
      )
    })

    /**
     * Ends every wait of this process at once: streams end, long-polls answer with the order as it is. For the
     * server's shutdown, so that they do not hold it for its whole grace period.
     */
    const endAllWaits = Deferred.succeed(closing, undefined).pipe(
      // …and lets their answers go out (up to a second), so that their connections are idle when the server closes.
      Effect.andThen(
        Effect.sync(() => inProgress).pipe(
          Effect.repeat({ until: (n) => n === 0, schedule: Schedule.spaced("10 millis") }),
          Effect.timeoutOption("1 second")
        )
      ),
      Effect.asVoid
    )

    /** Streams open now, by caller (for tests and diagnostics). */
    const openStreamsOf = (userId: UserId) => Effect.sync(() => openStreams.get(userId) ?? 0)

    return { feed, waitFor, endAllWaits, openStreamsOf }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

const eventOf = (step: { readonly sequence: number; readonly ends: boolean }, order: Order): OrderStatusEvent => ({
  sequence: step.sequence,
  settled: step.ends,
  order
})

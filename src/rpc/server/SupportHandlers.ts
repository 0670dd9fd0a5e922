import { Effect, Option, Stream } from "effect"
import { Orders } from "../../services/orders/Orders.ts"
import { OrderWatch } from "../../services/orders/OrderWatch.ts"
import { Support } from "../../services/support/Support.ts"
import { SupportRpcs } from "../contract/Support.ts"
import { currentKeyActor } from "./ServiceAuthLive.ts"

/** Support over RPC: lookups (Support), refunds (Orders.refund, as POST /v1/orders/{id}/refunds), mails, streams. */
export const SupportHandlersLive = SupportRpcs.toLayer(
  Effect.gen(function* () {
    const support = yield* Support
    const orders = yield* Orders
    const watch = yield* OrderWatch
    return SupportRpcs.of({
      FindOrders: ({ lookup, limit }) =>
        Effect.flatMap(currentKeyActor, (actor) => support.findOrders(actor, lookup, limit ?? 20)),
      Refund: ({ orderId, ticketIds, idempotencyKey }) =>
        Effect.flatMap(currentKeyActor, (actor) => orders.refund(actor, orderId, ticketIds, idempotencyKey)),
      ResendConfirmation: ({ orderId }) =>
        Effect.flatMap(currentKeyActor, (actor) => support.resendConfirmation(actor, orderId)),
      FollowOrder: ({ orderId, after }) =>
        Stream.unwrap(
          Effect.gen(function* () {
            const actor = yield* currentKeyActor
            const feed = yield* watch.feed(actor, orderId, after === undefined ? undefined : String(after))
            return Option.match(feed, {
              onNone: () => Stream.empty,
              onSome: (events) =>
                Stream.map(events, (e) => ({
                  sequence: e.sequence,
                  status: e.order.status,
                  settled: e.settled,
                  order: e.order
                }))
            })
          })
        )
    })
  })
)

import { Duration, Effect, Option, Stream } from "effect"
import { Orders } from "../../services/orders/Orders.ts"
import { OrderWatch } from "../../services/orders/OrderWatch.ts"
import { PaymentWebhooks } from "../../services/orders/PaymentWebhooks.ts"
import { Reservations } from "../../services/reservations/Reservations.ts"
import { type FeedItem, GatewayRpcs } from "../contract/Gateway.ts"

/**
 * The booking side of a split deployment: each procedure is one call of the application service the REST handler
 * would have made in one process, with the actor the gateway authenticated. Nothing here decides anything.
 */
export const GatewayHandlersLive = GatewayRpcs.toLayer(
  Effect.gen(function* () {
    const reservations = yield* Reservations
    const orders = yield* Orders
    const watch = yield* OrderWatch
    const webhooks = yield* PaymentWebhooks
    return GatewayRpcs.of({
      GatewayHold: ({ actor, request, idempotencyKey }) => reservations.hold(actor, request, idempotencyKey),
      GatewayGetHold: ({ actor, reservationId }) => reservations.get(actor, reservationId),
      GatewayReleaseHold: ({ actor, reservationId }) => reservations.release(actor, reservationId),
      GatewayCheckout: ({ actor, reservationId }) => orders.checkout(actor, reservationId),
      GatewayGetOrder: ({ actor, orderId }) => orders.get(actor, orderId),
      GatewayListOrders: ({ actor, limit, before }) => orders.list(actor, { limit, before }),
      GatewayTicket: ({ actor, ticketId }) => orders.ticket(actor, ticketId),
      GatewayTicketCode: ({ actor, ticketId }) => orders.ticketCode(actor, ticketId),
      GatewayOwnerCodes: ({ actor, order }) => Effect.map(orders.ownerCodes(actor, order), (codes) => [...codes]),
      GatewayRefund: ({ actor, orderId, ticketIds, idempotencyKey }) =>
        orders.refund(actor, orderId, ticketIds, idempotencyKey),
      GatewayRefundCancelledEvent: ({ actor, eventId }) => orders.refundCancelledEvent(actor, eventId),
      GatewayCheckIn: ({ actor, eventId, code }) => orders.checkIn(actor, eventId, code),
      GatewayWaitForOrder: ({ actor, orderId, target, timeoutMs }) =>
        watch.waitFor(actor, orderId, target, Duration.millis(timeoutMs)),
      GatewayOrderFeed: ({ actor, orderId, lastEventId }) =>
        Stream.unwrap(
          Effect.map(watch.feed(actor, orderId, lastEventId), (feed) =>
            Option.match(feed, {
              onNone: () => Stream.empty,
              onSome: (events) =>
                Stream.concat(
                  Stream.succeed<FeedItem>({ _tag: "FeedOpened" }),
                  Stream.map(
                    events,
                    (e): FeedItem => ({ _tag: "FeedStatus", sequence: e.sequence, settled: e.settled, order: e.order })
                  )
                )
            })
          )
        ),
      GatewayPaymentWebhook: ({ body, signature }) => webhooks.receive(body, signature)
    })
  })
)

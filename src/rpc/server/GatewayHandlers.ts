import { Duration, Effect, Option, Stream } from "effect"
import { AccessTokens } from "../../domain/accounts/AccessTokens.ts"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { OrderWatch } from "../../services/orders/OrderWatch.ts"
import { PaymentWebhooks } from "../../services/orders/PaymentWebhooks.ts"
import { Reservations } from "../../services/reservations/Reservations.ts"
import { Support } from "../../services/support/Support.ts"
import { type FeedItem, GatewayRpcs } from "../contract/Gateway.ts"

/**
 * The booking side of a split deployment: each procedure is one call of the application service the REST handler
 * would have made in one process, for the user whose access token (minted by the gateway) the call carries.
 * Nothing here decides anything.
 */
export const GatewayHandlersLive = GatewayRpcs.toLayer(
  Effect.gen(function* () {
    const reservations = yield* Reservations
    const orders = yield* Orders
    const watch = yield* OrderWatch
    const webhooks = yield* PaymentWebhooks
    const tokens = yield* AccessTokens
    const support = yield* Support
    /** The user the gateway acts for, from the access token it minted for them (the key alone proves nothing). */
    const acting = <A, E>(proof: string, use: (actor: Actor) => Effect.Effect<A, E>) =>
      Effect.flatMap(tokens.verify(proof), use)
    return GatewayRpcs.of({
      GatewayHold: ({ actor, request, idempotencyKey }) =>
        acting(actor, (a) => reservations.hold(a, request, idempotencyKey)),
      GatewayGetHold: ({ actor, reservationId }) => acting(actor, (a) => reservations.get(a, reservationId)),
      GatewayReleaseHold: ({ actor, reservationId }) => acting(actor, (a) => reservations.release(a, reservationId)),
      GatewayCheckout: ({ actor, reservationId, attendees }) =>
        acting(actor, (a) => orders.checkout(a, reservationId, attendees)),
      GatewayRenameTicket: ({ actor, ticketId, name }) => acting(actor, (a) => orders.renameTicket(a, ticketId, name)),
      GatewayGetOrder: ({ actor, orderId }) => acting(actor, (a) => orders.get(a, orderId)),
      GatewayListOrders: ({ actor, limit, before }) => acting(actor, (a) => orders.list(a, { limit, before })),
      GatewayTicket: ({ actor, ticketId }) => acting(actor, (a) => orders.ticket(a, ticketId)),
      GatewayTicketCode: ({ actor, ticketId }) => acting(actor, (a) => orders.ticketCode(a, ticketId)),
      GatewayOwnerCodes: ({ actor, order }) =>
        acting(actor, (a) => Effect.map(orders.ownerCodes(a, order), (codes) => [...codes])),
      GatewayRefund: ({ actor, orderId, ticketIds, idempotencyKey }) =>
        acting(actor, (a) => orders.refund(a, orderId, ticketIds, idempotencyKey)),
      GatewayResendConfirmation: ({ actor, orderId }) => acting(actor, (a) => support.resendConfirmation(a, orderId)),
      GatewayRefundCancelledEvent: ({ actor, eventId }) =>
        acting(actor, (a) => orders.refundCancelledEvent(a, eventId)),
      GatewayCheckIn: ({ actor, eventId, code }) => acting(actor, (a) => orders.checkIn(a, eventId, code)),
      GatewayWaitForOrder: ({ actor, orderId, target, timeoutMs }) =>
        acting(actor, (a) => watch.waitFor(a, orderId, target, Duration.millis(timeoutMs))),
      GatewayOrderFeed: ({ actor, orderId, lastEventId }) =>
        Stream.unwrap(
          Effect.map(
            Effect.flatMap(tokens.verify(actor), (a) => watch.feed(a, orderId, lastEventId)),
            (feed) =>
              Option.match(feed, {
                onNone: () => Stream.empty,
                onSome: (events) =>
                  Stream.concat(
                    Stream.succeed<FeedItem>({ _tag: "FeedOpened" }),
                    Stream.map(
                      events,
                      (e): FeedItem => ({
                        _tag: "FeedStatus",
                        sequence: e.sequence,
                        settled: e.settled,
                        order: e.order
                      })
                    )
                  )
              })
          )
        ),
      GatewayPaymentWebhook: ({ body, signature }) => webhooks.receive(body, signature)
    })
  })
)

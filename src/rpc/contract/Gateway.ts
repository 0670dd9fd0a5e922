import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { Actor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import {
  AlreadyCheckedIn,
  CheckInRefused,
  HoldNotCheckoutable,
  OrderNotFound,
  RefundRefused,
  TicketNotFound,
  TooManyOrderStreams
} from "../../domain/orders/errors.ts"
import { Order, RefundRecord, Ticket } from "../../domain/orders/Order.ts"
import { WaitTarget } from "../../domain/orders/OrderProgress.ts"
import { PaymentProviderUnavailable, WebhookRejected } from "../../domain/payments/PaymentGateway.ts"
import {
  EventNotOnSale,
  IdempotencyKeyReused,
  InvalidHold,
  LimitExceeded,
  ReservationNotFound,
  SalesClosed,
  SeatUnavailable,
  SoldOut
} from "../../domain/reservations/errors.ts"
import { HoldRequest } from "../../domain/reservations/HoldRequest.ts"
import { Reservation } from "../../domain/reservations/Reservation.ts"
import { EventId, OrderId, ReservationId, TicketId } from "../../domain/shared/Ids.ts"
import { RequiredScope, ServiceAuth } from "./Common.ts"

/**
 * The REST gateway's remote application services (ROLE=gateway → ROLE=booking): one procedure per operation of
 * `Reservations`, `Orders`, `OrderWatch` and `PaymentWebhooks` that a REST handler calls, with the same arguments,
 * successes and typed errors, so that the gateway provides those services as Layers over this group and its REST
 * handlers do not change. Every call carries the `actor` the gateway authenticated (its bearer token): the booking
 * side trusts it, so this group is for the gateway's own key only (scope `booking:write`, see README "Split
 * deployment"). Payload fields are as loose as REST's own (no tighter checks than the REST contract makes).
 */
const as = { actor: Actor }

/** The first element of an order feed: the feed is open (the caller may see the order and got a stream slot). */
export const FeedOpened = Schema.TaggedStruct("FeedOpened", {})
/** One status of the feed, as OrderWatch tells it. */
export const FeedStatus = Schema.TaggedStruct("FeedStatus", {
  sequence: Schema.Int,
  settled: Schema.Boolean,
  order: Order
})
export const FeedItem = Schema.Union([FeedOpened, FeedStatus])
export type FeedItem = typeof FeedItem.Type

export const GatewayRpcs = RpcGroup.make(
  Rpc.make("GatewayHold", {
    payload: { ...as, request: HoldRequest, idempotencyKey: Schema.String },
    success: Schema.Struct({ reservation: Reservation, replayed: Schema.Boolean }),
    error: Schema.Union([
      EventNotFound,
      IdempotencyKeyReused,
      SoldOut,
      SeatUnavailable,
      LimitExceeded,
      SalesClosed,
      EventNotOnSale,
      InvalidHold
    ])
  }),
  Rpc.make("GatewayGetHold", {
    payload: { ...as, reservationId: ReservationId },
    success: Reservation,
    error: ReservationNotFound
  }),
  Rpc.make("GatewayReleaseHold", {
    payload: { ...as, reservationId: ReservationId },
    success: Reservation,
    error: ReservationNotFound
  }),
  Rpc.make("GatewayCheckout", {
    payload: { ...as, reservationId: ReservationId },
    success: Order,
    error: Schema.Union([HoldNotCheckoutable, PaymentProviderUnavailable])
  }),
  Rpc.make("GatewayGetOrder", { payload: { ...as, orderId: OrderId }, success: Order, error: OrderNotFound }),
  Rpc.make("GatewayListOrders", {
    payload: {
      ...as,
      limit: Schema.Int,
      before: Schema.optionalKey(Schema.Struct({ createdAt: Schema.DateFromString, id: Schema.String }))
    },
    success: Schema.Array(Order)
  }),
  Rpc.make("GatewayTicket", {
    payload: { ...as, ticketId: TicketId },
    success: Schema.Struct({ ticket: Ticket, code: Schema.NullOr(Schema.String) }),
    error: TicketNotFound
  }),
  Rpc.make("GatewayTicketCode", {
    payload: { ...as, ticketId: TicketId },
    success: Schema.String,
    error: TicketNotFound
  }),
  /** The codes of the order's tickets for its owner (by ticket id), none for anyone else: Orders.ownerCodes. */
  Rpc.make("GatewayOwnerCodes", {
    payload: { ...as, order: Order },
    success: Schema.Array(Schema.Tuple([TicketId, Schema.String]))
  }),
  Rpc.make("GatewayRefund", {
    payload: {
      ...as,
      orderId: OrderId,
      ticketIds: Schema.optionalKey(Schema.Array(TicketId)),
      idempotencyKey: Schema.optionalKey(Schema.String)
    },
    success: RefundRecord,
    error: Schema.Union([OrderNotFound, RefundRefused])
  }),
  Rpc.make("GatewayRefundCancelledEvent", { payload: { ...as, eventId: EventId } }),
  Rpc.make("GatewayCheckIn", {
    payload: { ...as, eventId: EventId, code: Schema.String },
    success: Ticket,
    error: Schema.Union([Forbidden, EventNotFound, CheckInRefused, AlreadyCheckedIn])
  }),
  Rpc.make("GatewayWaitForOrder", {
    payload: { ...as, orderId: OrderId, target: WaitTarget, timeoutMs: Schema.Int },
    success: Order,
    error: OrderNotFound
  }),
  /**
   * OrderWatch.feed: nothing at all when there is nothing left to tell, else `FeedOpened` first (the caller may see
   * the order and holds a stream slot on the booking side until the stream ends or the caller goes), then each
   * status; refusals (OrderNotFound, TooManyOrderStreams) come before `FeedOpened`.
   */
  Rpc.make("GatewayOrderFeed", {
    payload: { ...as, orderId: OrderId, lastEventId: Schema.optionalKey(Schema.String) },
    success: FeedItem,
    error: Schema.Union([OrderNotFound, TooManyOrderStreams]),
    stream: true
  }),
  /** The payment provider's webhook as the gateway received it: the exact body and its signature header. */
  Rpc.make("GatewayPaymentWebhook", {
    payload: { body: Schema.String, signature: Schema.optionalKey(Schema.String) },
    success: Schema.Literals(["processed", "duplicate"]),
    error: WebhookRejected
  })
)
  .middleware(ServiceAuth)
  .annotateRpcs(RequiredScope, { scope: "booking:write" })

import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { Forbidden, Unauthenticated } from "../../domain/accounts/errors.ts"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { MailNotSent } from "../../domain/notifications/Mailer.ts"
import {
  AlreadyCheckedIn,
  AttendeeNameLocked,
  AttendeeNamesInvalid,
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
import { VoucherNotValid, VoucherUsedUp } from "../../domain/vouchers/errors.ts"
import { RequiredScope, ServiceAuth } from "./Common.ts"
import { ConfirmationSent, ConfirmationUnavailable } from "./Support.ts"

/**
 * The REST gateway's remote application services (ROLE=gateway → ROLE=booking): one procedure per operation of
 * `Reservations`, `Orders`, `OrderWatch` and `PaymentWebhooks` that a REST handler calls, with the same arguments,
 * successes and typed errors, so that the gateway provides those services as Layers over this group and its REST
 * handlers do not change. Payload fields are as loose as REST's own (no tighter checks than the REST contract makes).
 *
 * Who acts: `actor` is an access token for the user the gateway authenticated, minted by the gateway with the
 * deployment's JWT_SECRET (AccessTokens.issue) and verified by the booking role (Unauthenticated otherwise). The
 * service key (scope `booking:write`) says the caller is a gateway; the token says for whom it acts, so a key alone
 * cannot act as an organizer or an admin: it would need the token secret too.
 */
export const ActorProof = Schema.String.annotate({
  description: "An access token (JWT) for the acting user, signed with the deployment's JWT_SECRET"
})
const as = { actor: ActorProof }
/** Every procedure that acts for a user may also refuse an actor proof the booking role cannot verify. */
const refusals = <const E extends ReadonlyArray<Schema.Top>>(...errors: E) => Schema.Union([...errors, Unauthenticated])

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
    error: refusals(
      EventNotFound,
      IdempotencyKeyReused,
      SoldOut,
      SeatUnavailable,
      LimitExceeded,
      SalesClosed,
      EventNotOnSale,
      InvalidHold,
      VoucherNotValid,
      VoucherUsedUp
    )
  }),
  Rpc.make("GatewayGetHold", {
    payload: { ...as, reservationId: ReservationId },
    success: Reservation,
    error: refusals(ReservationNotFound)
  }),
  Rpc.make("GatewayReleaseHold", {
    payload: { ...as, reservationId: ReservationId },
    success: Reservation,
    error: refusals(ReservationNotFound)
  }),
  Rpc.make("GatewayCheckout", {
    payload: {
      ...as,
      reservationId: ReservationId,
      attendees: Schema.optionalKey(Schema.Array(Schema.NullOr(Schema.String)))
    },
    success: Order,
    error: refusals(HoldNotCheckoutable, PaymentProviderUnavailable, AttendeeNamesInvalid)
  }),
  Rpc.make("GatewayGetOrder", { payload: { ...as, orderId: OrderId }, success: Order, error: refusals(OrderNotFound) }),
  Rpc.make("GatewayListOrders", {
    payload: {
      ...as,
      limit: Schema.Int,
      before: Schema.optionalKey(Schema.Struct({ createdAt: Schema.DateFromString, id: Schema.String }))
    },
    success: Schema.Array(Order),
    error: refusals()
  }),
  Rpc.make("GatewayTicket", {
    payload: { ...as, ticketId: TicketId },
    success: Schema.Struct({ ticket: Ticket, code: Schema.NullOr(Schema.String) }),
    error: refusals(TicketNotFound)
  }),
  Rpc.make("GatewayRenameTicket", {
    payload: { ...as, ticketId: TicketId, name: Schema.NullOr(Schema.String) },
    success: Ticket,
    error: refusals(TicketNotFound, AttendeeNamesInvalid, AttendeeNameLocked)
  }),
  Rpc.make("GatewayTicketCode", {
    payload: { ...as, ticketId: TicketId },
    success: Schema.String,
    error: refusals(TicketNotFound)
  }),
  /** The codes of the order's tickets for its owner (by ticket id), none for anyone else: Orders.ownerCodes. */
  Rpc.make("GatewayOwnerCodes", {
    payload: { ...as, order: Order },
    success: Schema.Array(Schema.Tuple([TicketId, Schema.String])),
    error: refusals()
  }),
  Rpc.make("GatewayRefund", {
    payload: {
      ...as,
      orderId: OrderId,
      ticketIds: Schema.optionalKey(Schema.Array(TicketId)),
      idempotencyKey: Schema.optionalKey(Schema.String)
    },
    success: RefundRecord,
    error: refusals(OrderNotFound, RefundRefused)
  }),
  /** Support.resendConfirmation: the order's confirmation mail sent again, for whoever may see the order. */
  Rpc.make("GatewayResendConfirmation", {
    payload: { ...as, orderId: OrderId },
    success: ConfirmationSent,
    error: refusals(OrderNotFound, ConfirmationUnavailable, MailNotSent)
  }),
  Rpc.make("GatewayRefundCancelledEvent", { payload: { ...as, eventId: EventId }, error: refusals() }),
  Rpc.make("GatewayCheckIn", {
    payload: { ...as, eventId: EventId, code: Schema.String },
    success: Ticket,
    error: refusals(Forbidden, EventNotFound, CheckInRefused, AlreadyCheckedIn)
  }),
  Rpc.make("GatewayWaitForOrder", {
    payload: { ...as, orderId: OrderId, target: WaitTarget, timeoutMs: Schema.Int },
    success: Order,
    error: refusals(OrderNotFound)
  }),
  /**
   * OrderWatch.feed: nothing at all when there is nothing left to tell, else `FeedOpened` first (the caller may see
   * the order and holds a stream slot on the booking side until the stream ends or the caller goes), then each
   * status; refusals (OrderNotFound, TooManyOrderStreams) come before `FeedOpened`.
   */
  Rpc.make("GatewayOrderFeed", {
    payload: { ...as, orderId: OrderId, lastEventId: Schema.optionalKey(Schema.String) },
    success: FeedItem,
    error: refusals(OrderNotFound, TooManyOrderStreams),
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

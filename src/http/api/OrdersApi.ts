import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import {
  AlreadyCheckedIn,
  CheckInRefused,
  HoldNotCheckoutable,
  OrderNotFound,
  RefundRefused,
  TicketNotFound
} from "../../domain/orders/errors.ts"
import { CancelReason, OrderStatus, TicketStatus } from "../../domain/orders/Order.ts"
import { PaymentProviderUnavailable, WebhookRejected } from "../../domain/payments/PaymentGateway.ts"
import { EventId, OrderId, ReservationId, SeatId, TicketId, TicketTypeId } from "../../domain/shared/Ids.ts"
import { Currency } from "../../domain/shared/Money.ts"
import { PageLimit } from "../../domain/shared/Page.ts"
import { Authentication, RouteTagger } from "./Authentication.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"

export const TicketView = Schema.Struct({
  id: TicketId,
  orderId: OrderId,
  eventId: EventId,
  ticketTypeId: TicketTypeId,
  seatId: Schema.NullOr(SeatId),
  seatLabel: Schema.NullOr(Schema.String),
  priceMinor: Schema.Int,
  currency: Currency,
  status: TicketStatus,
  issuedAt: Schema.Date,
  voidedAt: Schema.NullOr(Schema.Date),
  checkedInAt: Schema.NullOr(Schema.Date),
  qrUrl: Schema.String.annotations({ description: "The ticket's QR image (SVG), for its owner" })
}).annotations({ identifier: "Ticket" })

export const OwnedTicketView = Schema.Struct({
  ...TicketView.fields,
  code: Schema.NullOr(Schema.String).annotations({
    description: "The signed code a scanner checks (null unless the caller owns the ticket)"
  })
}).annotations({ identifier: "TicketWithCode" })

export const PaymentView = Schema.Struct({
  provider: Schema.String,
  intentId: Schema.String,
  confirmUrl: Schema.String.annotations({
    description: "POST { card } here from the customer's client to pay (the provider's client-side confirmation)"
  })
}).annotations({ identifier: "Payment" })

export const OrderView = Schema.Struct({
  id: OrderId,
  eventId: EventId,
  reservationId: ReservationId,
  status: OrderStatus,
  totalMinor: Schema.Int,
  refundedMinor: Schema.Int,
  currency: Currency,
  payment: Schema.NullOr(PaymentView),
  cancelReason: Schema.NullOr(CancelReason),
  lines: Schema.Array(
    Schema.Struct({
      ticketTypeId: TicketTypeId,
      seatId: Schema.NullOr(SeatId),
      seatLabel: Schema.NullOr(Schema.String),
      unitPriceMinor: Schema.Int
    })
  ),
  tickets: Schema.Array(TicketView),
  createdAt: Schema.Date,
  confirmedAt: Schema.NullOr(Schema.Date),
  cancelledAt: Schema.NullOr(Schema.Date)
}).annotations({ identifier: "Order" })

export const CheckoutView = Schema.Struct({
  orderId: OrderId,
  status: OrderStatus,
  totalMinor: Schema.Int,
  currency: Currency,
  payment: Schema.NullOr(PaymentView)
}).annotations({ identifier: "Checkout" })

export const RefundView = Schema.Struct({
  id: Schema.String,
  orderId: OrderId,
  amountMinor: Schema.Int,
  ticketIds: Schema.Array(TicketId),
  status: Schema.Literal("pending", "completed"),
  createdAt: Schema.Date
}).annotations({ identifier: "Refund" })

export const OrderPage = Schema.Struct({
  items: Schema.Array(OrderView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "OrderPage" })

const OptionalIdempotencyHeaders = Schema.Struct({
  "idempotency-key": Schema.optional(
    Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)).annotations({
      description: "Retrying with the same key answers the first request's result"
    })
  )
})

const RefundRequest = Schema.Struct({
  ticketIds: Schema.optional(Schema.Array(TicketId).pipe(Schema.minItems(1), Schema.maxItems(100))).annotations({
    description: "The tickets to refund; all valid tickets of the order when absent"
  })
})

const CheckInRequest = Schema.Struct({
  eventId: EventId,
  code: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)).annotations({
    description: "The code scanned from the ticket's QR image"
  })
})

const reservationIdParam = HttpApiSchema.param("reservationId", ReservationId)
const orderIdParam = HttpApiSchema.param("orderId", OrderId)
const ticketIdParam = HttpApiSchema.param("ticketId", TicketId)

/** Checkout, orders and refunds. */
export class OrdersApi extends HttpApiGroup.make("orders")
  .add(
    HttpApiEndpoint.post("checkout")`/v1/reservations/${reservationIdParam}/checkout`
      .setHeaders(OptionalIdempotencyHeaders)
      .addSuccess(CheckoutView, { status: 202 })
      .addError(HoldNotCheckoutable, { status: 409 })
      .addError(PaymentProviderUnavailable, { status: 503 })
      .annotate(OpenApi.Summary, "Check out a hold: opens its order and a payment to confirm")
      .annotate(
        OpenApi.Description,
        "Opens the order of a live hold (once per hold: a retry answers the same order) and keeps the hold for the payment window. The client then pays by POSTing `{ card }` to `payment.confirmUrl`. The order becomes `confirmed` with tickets once the payment is authorised and captured, or `cancelled` (nothing charged) if it is declined or not paid in time. Poll GET /v1/orders/{orderId}."
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/v1/orders")
      .setUrlParams(
        Schema.Struct({
          cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
          limit: Schema.optional(PageLimit).annotations({ description: "Page size, 1 to 100 (default 20)" })
        })
      )
      .addSuccess(OrderPage)
      .annotate(OpenApi.Summary, "The caller's orders, newest first")
  )
  .add(
    HttpApiEndpoint.get("get")`/v1/orders/${orderIdParam}`
      .addSuccess(OrderView)
      .addError(OrderNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "One order with its lines and tickets (its customer, or the event's organizer)")
  )
  .add(
    HttpApiEndpoint.post("refund")`/v1/orders/${orderIdParam}/refund`
      .setHeaders(OptionalIdempotencyHeaders)
      .setPayload(payload(RefundRequest, "RefundRequest"))
      .addSuccess(RefundView, { status: 202 })
      .addError(OrderNotFound, { status: 404 })
      .addError(RefundRefused, { status: 409 })
      .annotate(OpenApi.Summary, "Refund some or all tickets of an order")
      .annotate(
        OpenApi.Description,
        "The customer may refund until the refund cutoff before the event starts; the organizer at any time. The tickets are void at once and their seats go back on sale; the money goes back through the payment provider (the refund is `pending` until it confirms). Refusals are 409 with a `code`: order_not_refundable, refund_window_closed, ticket_not_refundable, nothing_to_refund, not_allowed."
      )
  )
  .middleware(Authentication)
  .middleware(RouteTagger)
  .annotate(OpenApi.Title, "Orders") {}

/** The caller's tickets. */
export class TicketsApi extends HttpApiGroup.make("tickets")
  .add(
    HttpApiEndpoint.get("get")`/v1/tickets/${ticketIdParam}`
      .addSuccess(OwnedTicketView)
      .addError(TicketNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "One ticket, with its signed code for its owner")
  )
  .add(
    HttpApiEndpoint.get("qr")`/v1/tickets/${ticketIdParam}/qr.svg`
      .addSuccess(HttpApiSchema.Text({ contentType: "image/svg+xml" }))
      .addError(TicketNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "The ticket's QR image (SVG) for its owner")
  )
  .middleware(Authentication)
  .middleware(RouteTagger)
  .annotate(OpenApi.Title, "Tickets") {}

/** Door staff scanning tickets. */
export class CheckInsApi extends HttpApiGroup.make("checkIns")
  .add(
    HttpApiEndpoint.post("checkIn", "/v1/check-ins")
      .setPayload(payload(CheckInRequest, "CheckInRequest"))
      .addSuccess(TicketView)
      .addError(EventNotFound, { status: 404 })
      .addError(Forbidden403)
      .addError(AlreadyCheckedIn, { status: 409 })
      .addError(CheckInRefused, { status: 422 })
      .annotate(OpenApi.Summary, "Admit a ticket at the door (once)")
      .annotate(
        OpenApi.Description,
        "By the event's staff or organizer. A second scan of the same ticket is a 409 with `firstCheckedInAt`; a forged code, a ticket of another event or a refunded ticket is a 422 with its `code`: forged_code, other_event, ticket_voided."
      )
  )
  .middleware(Authentication)
  .middleware(RouteTagger)
  .annotate(OpenApi.Title, "Check-in") {}

/** The payment provider's callbacks. */
export class PaymentsApi extends HttpApiGroup.make("payments")
  .add(
    HttpApiEndpoint.post("webhook", "/v1/payments/webhook")
      .setHeaders(Schema.Struct({ "sandbox-signature": Schema.optional(Schema.String) }))
      .addSuccess(Schema.Struct({ received: Schema.Boolean, duplicate: Schema.Boolean }))
      .addError(WebhookRejected, { status: 400 })
      .annotate(OpenApi.Summary, "Payment provider webhook (signed)")
      .annotate(
        OpenApi.Description,
        "The provider's events, signed with HMAC-SHA256 over `timestamp.body` (`Sandbox-Signature: t=…,v1=…`). Forged, unsigned or stale (outside a 5-minute window) calls are refused; a redelivered event is acknowledged and has no second effect."
      )
  )
  .annotate(OpenApi.Title, "Payments") {}

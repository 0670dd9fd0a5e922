import { Duration, Schema, Struct } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { MAX_PER_ORDER_LIMIT } from "../../domain/catalog/TicketType.ts"
import { MAX_ATTENDEE_NAME_LENGTH } from "../../domain/orders/AttendeeNames.ts"
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
import { Order, OrderLine, OrderStatus, PaymentRef, RefundRecord, Ticket } from "../../domain/orders/Order.ts"
import { WaitTarget } from "../../domain/orders/OrderProgress.ts"
import { PaymentProviderUnavailable, WebhookRejected } from "../../domain/payments/PaymentGateway.ts"
import { EventId, OrderId, ReservationId, TicketId } from "../../domain/shared/Ids.ts"
import { IntegerText, PageLimit } from "../../domain/shared/Page.ts"
import { Authentication } from "./Authentication.ts"
import {
  ConfirmationSentView,
  ConfirmationUnavailable409,
  MailNotSent503,
  RESEND_RULES
} from "./ConfirmationResendViews.ts"
import { EventNotFound404 } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"

/*
 * The views are the domain's entities (domain/orders/Order.ts) as the API shows them, derived from their schemas: the
 * fields, their rules (formats, bounds, literals) and their encoding are the entity's; a view only leaves out what the
 * caller may not see (the customer) and adds what the API composes (links, codes).
 */

export const TicketView = Schema.Struct({
  ...Struct.omit(Ticket.fields, ["customerId"]),
  qrUrl: Schema.String.annotate({ format: "uri-reference", description: "The ticket's QR image (SVG), for its owner" })
}).annotate({ identifier: "Ticket" })

export const OwnedTicketView = Schema.Struct({
  ...TicketView.fields,
  code: Schema.NullOr(Schema.String).annotate({
    description: "The signed code a scanner checks (null unless the caller owns the ticket)"
  })
}).annotate({ identifier: "TicketWithCode" })

export const PaymentView = PaymentRef.mapFields((fields) => ({
  ...fields,
  confirmUrl: fields.confirmUrl.annotate({
    format: "uri",
    description:
      "POST { card } here from the customer's client to pay (the provider's client-side confirmation). This is the payment provider's API, not GoTicket's: its refusals come in the provider's shape (the sandbox's: 4xx `{ error: { code, message } }`), not as `{ _tag, message }`"
  })
})).annotate({ identifier: "Payment" })

export const OrderView = Schema.Struct({
  ...Struct.omit(Order.fields, ["customerId", "lines", "tickets", "payment"]),
  payment: Schema.NullOr(PaymentView),
  lines: Schema.Array(OrderLine.mapFields(Struct.omit(["position"]))).annotate({
    description: "One line per admission, in venue order"
  }),
  tickets: Schema.Array(OwnedTicketView).annotate({
    description:
      "The order's tickets once it is confirmed; to the buyer with their codes (what the QR images carry, what a scanner checks), to organizers and staff with `code: null`"
  })
}).annotate({ identifier: "Order" })

export const CheckoutView = Schema.Struct({
  orderId: Order.fields.id,
  ...Struct.pick(Order.fields, ["status", "totalMinor", "currency"]),
  payment: Schema.NullOr(PaymentView)
}).annotate({ identifier: "Checkout" })

export const RefundView = Schema.Struct(RefundRecord.fields).annotate({ identifier: "Refund" })

export const OrderPage = Schema.Struct({
  items: Schema.Array(OrderView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotate({ identifier: "OrderPage" })

export const OptionalIdempotencyHeaders = Schema.Struct({
  "idempotency-key": Schema.optional(
    Schema.String.check(
      Schema.isMinCodePoints(1, { message: "must not be empty" }),
      Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" })
    ).annotate({
      description: "Retrying with the same key answers the first request's result"
    })
  )
})

export const RefundRequest = Schema.Struct({
  ticketIds: Schema.optionalKey(Schema.Array(TicketId).check(Schema.isMinLength(1), Schema.isMaxLength(100))).annotate({
    description: "The tickets to refund; all valid tickets of the order when absent"
  })
})

/** An attendee name as sent: its rules (AttendeeNames) are the domain's; this only bounds what is read. */
const AttendeeNameText = Schema.String.check(
  Schema.isMaxCodePoints(1_000, { message: "must be at most 1000 characters" })
).annotate({
  description: `The attendee's name: one line of at most ${MAX_ATTENDEE_NAME_LENGTH} characters once spaces are tidied`
})

export const CheckoutRequest = Schema.Struct({
  attendees: Schema.optionalKey(
    Schema.Array(Schema.NullOr(AttendeeNameText)).check(
      Schema.isMaxLength(MAX_PER_ORDER_LIMIT * 10, { message: "must have one entry per ticket" })
    )
  ).annotate({
    description:
      "One attendee name per ticket (null or blank for none), aligned to the order's lines: the hold's general-admission units by ticket type id, then its seats in venue order. Required names (a ticket type with `attendeeNames: required`) must be given; a ticket type with `off` takes none"
  })
})

export const RenameTicketRequest = Schema.Struct({
  name: Schema.NullOr(AttendeeNameText).annotate({
    description: "The new attendee name; null (or blank) clears it where the ticket type's names are optional"
  })
})

const AttendeeNamesInvalid422 = AttendeeNamesInvalid.pipe(HttpApiSchema.status(422))

const CheckInRequest = Schema.Struct({
  eventId: EventId,
  code: Schema.String.check(
    Schema.isMinCodePoints(1, { message: "must not be empty" }),
    Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" })
  ).annotate({
    description: "The code scanned from the ticket's QR image"
  })
})

/** Longest long-poll (GET /v1/orders/{orderId}?waitFor=…). */
export const MAX_WAIT_MS = 30_000
/** A long-poll's timeout when `timeoutMs` is absent: under the 30 s many proxies and load balancers allow. */
export const DEFAULT_WAIT_MS = 25_000

const OrderWaitQuery = {
  waitFor: Schema.optional(WaitTarget).annotate({
    description:
      "Long-poll: answer once the order is in this status, or settled for `settled` (any status but pending_payment), or can no longer get there (e.g. cancelled while waiting for confirmed); else at `timeoutMs` with the order as it is. 200 with the order either way"
  }),
  timeoutMs: Schema.optional(IntegerText(0, MAX_WAIT_MS)).annotate({
    description: `With waitFor: the longest wait, 0 to ${MAX_WAIT_MS} milliseconds (default ${DEFAULT_WAIT_MS}; 0 answers at once). Ignored without waitFor`
  })
}

/** The data of an order status event: the order as read when its status was news. */
export const OrderStatusChange = Schema.Struct({
  status: OrderStatus,
  settled: Schema.Boolean.annotate({ description: "True on the last event: the stream ends after it" }),
  order: OrderView
}).annotate({ identifier: "OrderStatusChange" })

/** One Server-Sent Event of an order's status stream. */
export const OrderStatusEvent = Schema.Struct({
  id: Schema.String.annotate({
    description:
      "The status's place in the order's life: 1 pending_payment, 2 confirmed or cancelled, 3 partially_refunded, 4 refunded. Send the last one received as Last-Event-ID to resume"
  }),
  event: Schema.Literal("status"),
  data: Schema.fromJsonString(Schema.toCodecJson(OrderStatusChange))
}).annotate({ identifier: "OrderStatusEvent" })

/** Idle streams carry an SSE comment this often, so that proxies do not close them as silent. */
export const ORDER_STREAM_KEEP_ALIVE = Duration.seconds(15)

const OrderStatusStream = HttpApiSchema.StreamSse({ events: OrderStatusEvent, keepAlive: ORDER_STREAM_KEEP_ALIVE })
const NothingLeftToSee = HttpApiSchema.NoContent.annotate({
  description: "Last-Event-ID names a settled status and nothing came after it: the stream is over for this client"
})

const reservationIdParam = { reservationId: ReservationId }
const orderIdParam = { orderId: OrderId }
const ticketIdParam = { ticketId: TicketId }
export const OrderNotFound404 = OrderNotFound.pipe(HttpApiSchema.status(404))
const TicketNotFound404 = TicketNotFound.pipe(HttpApiSchema.status(404))

/** Checkout, orders and refunds. */
export class OrdersApi extends HttpApiGroup.make("orders")
  .add(
    HttpApiEndpoint.post("checkout", "/v1/reservations/:reservationId/checkout", {
      params: reservationIdParam,
      headers: OptionalIdempotencyHeaders,
      payload: [payload(CheckoutRequest, "CheckoutRequest"), HttpApiSchema.NoContent],
      success: CheckoutView.pipe(HttpApiSchema.status(202)),
      error: [
        AttendeeNamesInvalid422,
        HoldNotCheckoutable.pipe(HttpApiSchema.status(409)),
        PaymentProviderUnavailable.pipe(HttpApiSchema.status(503))
      ]
    })
      .annotate(OpenApi.Summary, "Check out a hold: opens its order and a payment to confirm")
      .annotate(
        OpenApi.Description,
        "Opens the order of a live hold (once per hold: a retry answers the same order) and keeps the hold for the payment window. The client then pays by POSTing `{ card }` to `payment.confirmUrl`. The order becomes `confirmed` with tickets once the payment is authorised and captured, or `cancelled` (nothing charged) if it is declined or not paid in time. Follow it with GET /v1/orders/{orderId}/events (a stream of its statuses) or GET /v1/orders/{orderId}?waitFor=settled (a long-poll) rather than polling."
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/v1/orders", {
      query: {
        cursor: Schema.optional(
          Schema.String.check(Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }))
        ),
        limit: Schema.optional(PageLimit).annotate({ description: "Page size, 1 to 100 (default 20)" })
      },
      success: OrderPage
    }).annotate(OpenApi.Summary, "The caller's orders, newest first")
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/orders/:orderId", {
      params: orderIdParam,
      query: OrderWaitQuery,
      success: OrderView,
      error: OrderNotFound404
    })
      .annotate(OpenApi.Summary, "One order with its lines and tickets (its customer, or the event's organizer)")
      .annotate(
        OpenApi.Description,
        `With \`waitFor\`, a long-poll: the answer comes as soon as the order is in that status (\`settled\`: any status but pending_payment, i.e. the checkout's outcome is decided: confirmed, cancelled, partially_refunded or refunded), or can no longer get there (a cancelled order never becomes confirmed), and at the latest after \`timeoutMs\` (0 to ${MAX_WAIT_MS}, default ${DEFAULT_WAIT_MS}) with the order as it then is: 200 and the same body either way, so look at its \`status\`. The wait is woken by the order's own change, not by polling.`
      )
  )
  .add(
    HttpApiEndpoint.get("events", "/v1/orders/:orderId/events", {
      params: orderIdParam,
      headers: {
        "last-event-id": Schema.optional(Schema.String).annotate({
          description:
            "The id of the last event received (EventSource sends it when it reconnects): only newer statuses are sent. An id this stream never sends is ignored"
        })
      },
      success: [OrderStatusStream, NothingLeftToSee],
      error: [OrderNotFound404, TooManyOrderStreams.pipe(HttpApiSchema.status(429))]
    })
      .annotate(OpenApi.Summary, "The order's status as it changes, until it settles (Server-Sent Events)")
      .annotate(
        OpenApi.Description,
        "A `text/event-stream` of `status` events (`event: status`, `id: <n>`, `data: {status, settled, order}` where `order` is the body of GET /v1/orders/{orderId}; listen with `addEventListener(\"status\", …)`). The first event is the current status; then each newer status as the order changes (pushed by the change itself, not by polling); the stream ends after the first settled status. Settled: the checkout's outcome is decided, i.e. any status but pending_payment (confirmed, cancelled, and partially_refunded or refunded, which follow a confirmation); later refunds are not waited for. Ids are the status's place in the order's life (1 pending_payment, 2 confirmed or cancelled, 3 partially_refunded, 4 refunded), which only grows: a client reconnecting with `Last-Event-ID` gets only statuses newer than that id, and 204 No Content (which stops an EventSource from reconnecting) when none is left because it already saw a settled status. Each event is the order as read, so a status that lasted less than the time between two reads may be skipped (confirmed, then at once refunded). Idle streams carry a `: keepalive` comment every 15 s. Visibility as GET /v1/orders/{orderId}: someone else's order is 404. A caller may keep ORDER_STREAMS_PER_CUSTOMER streams open at once (default 5, per server process); one more is refused with 429 TooManyOrderStreams, and the open ones are left alone."
      )
  )
  .add(
    HttpApiEndpoint.post("refund", "/v1/orders/:orderId/refund", {
      params: orderIdParam,
      headers: OptionalIdempotencyHeaders,
      payload: payload(RefundRequest, "RefundRequest"),
      success: RefundView.pipe(HttpApiSchema.status(202)),
      error: [OrderNotFound404, RefundRefused.pipe(HttpApiSchema.status(409))]
    })
      .annotate(OpenApi.Summary, "Refund some or all tickets of an order")
      .annotate(
        OpenApi.Description,
        "The customer may refund until the refund cutoff before the event starts; the organizer at any time. The tickets are void at once and their seats go back on sale; the money goes back through the payment provider (the refund is `pending` until it confirms). Refusals are 409 with a `code`: order_not_refundable, refund_window_closed, ticket_not_refundable, nothing_to_refund, not_allowed."
      )
  )
  .add(
    HttpApiEndpoint.post("resendConfirmation", "/v1/orders/:orderId/confirmation", {
      params: orderIdParam,
      success: ConfirmationSentView,
      error: [OrderNotFound404, ConfirmationUnavailable409, MailNotSent503]
    })
      .annotate(OpenApi.Summary, "Send the order's confirmation mail again (its customer)")
      .annotate(OpenApi.Description, `${RESEND_RULES} Someone else's order is 404.`)
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Orders") {}

/** The caller's tickets. */
export class TicketsApi extends HttpApiGroup.make("tickets")
  .add(
    HttpApiEndpoint.get("get", "/v1/tickets/:ticketId", {
      params: ticketIdParam,
      success: OwnedTicketView,
      error: TicketNotFound404
    }).annotate(OpenApi.Summary, "One ticket, with its signed code for its owner")
  )
  .add(
    HttpApiEndpoint.get("qr", "/v1/tickets/:ticketId/qr.svg", {
      params: ticketIdParam,
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "image/svg+xml" })),
      error: TicketNotFound404
    }).annotate(OpenApi.Summary, "The ticket's QR image (SVG) for its owner")
  )
  .add(
    HttpApiEndpoint.put("rename", "/v1/tickets/:ticketId/attendee-name", {
      params: ticketIdParam,
      payload: payload(RenameTicketRequest, "RenameTicketRequest"),
      success: OwnedTicketView,
      error: [TicketNotFound404, AttendeeNamesInvalid422, AttendeeNameLocked.pipe(HttpApiSchema.status(409))]
    })
      .annotate(OpenApi.Summary, "Change the attendee name on one of the caller's tickets")
      .annotate(
        OpenApi.Description,
        "By the ticket's buyer only (anyone else: 404), for a ticket type that takes names, until ATTENDEE_NAME_CUTOFF_HOURS (default 24) before the event starts. Refusals are 409 with a `code`: names_not_taken, name_cutoff_passed, ticket_not_valid (refunded or checked in); a name too long, not one line, or blank where names are required is 422 with its issues."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Tickets") {}

/** Door staff scanning tickets. */
export class CheckInsApi extends HttpApiGroup.make("checkIns")
  .add(
    HttpApiEndpoint.post("checkIn", "/v1/check-ins", {
      payload: payload(CheckInRequest, "CheckInRequest"),
      success: TicketView,
      error: [
        EventNotFound404,
        Forbidden403,
        AlreadyCheckedIn.pipe(HttpApiSchema.status(409)),
        CheckInRefused.pipe(HttpApiSchema.status(422))
      ]
    })
      .annotate(OpenApi.Summary, "Admit a ticket at the door (once)")
      .annotate(
        OpenApi.Description,
        "By the event's staff or organizer. A second scan of the same ticket is a 409 with `firstCheckedInAt`; a forged code, a ticket of another event or a refunded ticket is a 422 with its `code`: forged_code, other_event, ticket_voided."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Check-in") {}

/** The payment provider's callbacks. */
export class PaymentsApi extends HttpApiGroup.make("payments")
  .add(
    HttpApiEndpoint.post("webhook", "/v1/payments/webhook", {
      headers: { "sandbox-signature": Schema.optional(Schema.String) },
      success: Schema.Struct({ received: Schema.Boolean, duplicate: Schema.Boolean }),
      error: WebhookRejected.pipe(HttpApiSchema.status(400))
    })
      .annotate(OpenApi.Summary, "Payment provider webhook (signed)")
      .annotate(
        OpenApi.Description,
        "The provider's events, signed with HMAC-SHA256 over `timestamp.body` (`Sandbox-Signature: t=…,v1=…`). Forged, unsigned or stale (outside a 5-minute window) calls are refused; a redelivered event is acknowledged and has no second effect."
      )
  )
  .annotate(OpenApi.Title, "Payments") {}

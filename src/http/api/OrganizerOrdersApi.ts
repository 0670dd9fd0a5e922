import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { RefundRefused } from "../../domain/orders/errors.ts"
import { EXPORT_BATCH } from "../../domain/orders/OrderSearch.ts"
import { OrderId } from "../../domain/shared/Ids.ts"
import { OrganizerAuthentication } from "./Authentication.ts"
import {
  ConfirmationSentView,
  ConfirmationUnavailable409,
  MailNotSent503,
  RESEND_RULES
} from "./ConfirmationResendViews.ts"
import { EventNotFound404, eventIdParam } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"
import { OptionalIdempotencyHeaders, OrderNotFound404, OrderView, RefundRequest, RefundView } from "./OrdersApi.ts"
import {
  AttendeePage,
  AttendeeParams,
  OrderExportParams,
  OrderSearchPage,
  OrderSearchParams
} from "./OrganizerOrderViews.ts"
import { payload } from "./payload.ts"

const csv = HttpApiSchema.StreamUint8Array({ contentType: "text/csv; charset=utf-8" })
const CSV_RULES = `CRLF line ends, a header line first, RFC 4180 quoting; text a spreadsheet would run as a formula (starting with =, +, -, @) is prefixed with '. Streamed as it is read from the database, ${EXPORT_BATCH} rows at a time, so an event of any size exports in constant memory.`

const orderParams = { ...eventIdParam, orderId: OrderId }

/** An event's orders as its organizer (or the organizer's API keys) manages them. */
export class OrganizerOrdersApi extends HttpApiGroup.make("organizerOrders")
  .add(
    HttpApiEndpoint.get("search", "/v1/events/:eventId/orders", {
      params: eventIdParam,
      query: OrderSearchParams,
      success: OrderSearchPage,
      error: [EventNotFound404, Forbidden403]
    })
      .annotate(OpenApi.Summary, "Search the event's orders, newest first")
      .annotate(
        OpenApi.Description,
        "Every filter given must hold: `status`, the buyer's `email` (whole address, any case), a part of the buyer's account `name` (any case), the `ticketCode` of one of its tickets, the creation range `from`–`to` (inclusive). Newest first (creation time, then id), by pages: follow `nextCursor` until it is null. Invalid filters are 400 with every problem listed. Open to the organizer's API keys (read)."
      )
  )
  .add(
    HttpApiEndpoint.get("searchCsv", "/v1/events/:eventId/orders.csv", {
      params: eventIdParam,
      query: OrderExportParams,
      success: csv,
      error: [EventNotFound404, Forbidden403]
    })
      .annotate(OpenApi.Summary, "The event's orders as CSV (the search's filters)")
      .annotate(
        OpenApi.Description,
        `Every order the same filters find, newest first, one line each: orderId, status, buyerEmail, buyerName, tickets, validTickets, totalMinor, refundedMinor, currency, createdAt, confirmedAt, cancelledAt. ${CSV_RULES} Open to the organizer's API keys (read).`
      )
  )
  .add(
    HttpApiEndpoint.get("attendees", "/v1/events/:eventId/attendees", {
      params: eventIdParam,
      query: AttendeeParams,
      success: AttendeePage,
      error: [EventNotFound404, Forbidden403]
    })
      .annotate(OpenApi.Summary, "The event's attendees: one line per valid ticket")
      .annotate(
        OpenApi.Description,
        "Every ticket that admits (refunded tickets are left out), in the order they were issued (then by id), with its ticket type, seat, order, buyer and check-in. Tickets are named by id: their codes, which admit, are only ever given to their buyer. `attendeeName` is null until tickets carry a name. By pages: follow `nextCursor` until it is null. Open to the organizer's API keys (read)."
      )
  )
  .add(
    HttpApiEndpoint.get("attendeesCsv", "/v1/events/:eventId/attendees.csv", {
      params: eventIdParam,
      success: csv,
      error: [EventNotFound404, Forbidden403]
    })
      .annotate(OpenApi.Summary, "The event's attendees as CSV")
      .annotate(
        OpenApi.Description,
        `One line per valid ticket, in the order of GET /v1/events/{eventId}/attendees: ticketId, orderId, ticketTypeId, ticketType, seat, buyerEmail, buyerName, attendeeName, checkedIn (true/false), checkedInAt, issuedAt. ${CSV_RULES} Open to the organizer's API keys (read).`
      )
  )
  .add(
    HttpApiEndpoint.get("order", "/v1/events/:eventId/orders/:orderId", {
      params: orderParams,
      success: OrderView,
      error: [EventNotFound404, OrderNotFound404, Forbidden403]
    })
      .annotate(OpenApi.Summary, "One order of the event, for its organizer")
      .annotate(
        OpenApi.Description,
        "The order with its lines and tickets (without their codes). An order of another event, or of someone else's event, is 404. Open to the organizer's API keys (read)."
      )
  )
  .add(
    HttpApiEndpoint.post("refund", "/v1/events/:eventId/orders/:orderId/refund", {
      params: orderParams,
      headers: OptionalIdempotencyHeaders,
      payload: payload(RefundRequest, "OrganizerRefundRequest"),
      success: RefundView.pipe(HttpApiSchema.status(202)),
      error: [EventNotFound404, OrderNotFound404, Forbidden403, RefundRefused.pipe(HttpApiSchema.status(409))]
    })
      .annotate(OpenApi.Summary, "Refund (cancel) an order of the event, or some of its tickets")
      .annotate(
        OpenApi.Description,
        "The organizer's refund of POST /v1/orders/{orderId}/refund, at any time (no cutoff): without `ticketIds` every valid ticket is refunded, which cancels the order for its customer. The tickets are void at once and their seats go back on sale; the money goes back through the payment provider (`pending` until it confirms). Refusals are 409 with a `code`: order_not_refundable (not paid), ticket_not_refundable, nothing_to_refund. An order of another event is 404. Open to the organizer's API keys (write)."
      )
  )
  .add(
    HttpApiEndpoint.post("resendConfirmation", "/v1/events/:eventId/orders/:orderId/confirmation", {
      params: orderParams,
      success: ConfirmationSentView,
      error: [EventNotFound404, OrderNotFound404, Forbidden403, ConfirmationUnavailable409, MailNotSent503]
    })
      .annotate(OpenApi.Summary, "Send an order's confirmation mail again to its buyer")
      .annotate(
        OpenApi.Description,
        `${RESEND_RULES} An order of another event is 404. Open to the organizer's API keys (write).`
      )
  )
  .middleware(OrganizerAuthentication)
  .annotate(HttpApi.QueryParseOptions, { errors: "all" })
  .annotate(OpenApi.Title, "Organizer orders") {}

import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { RefundRefused } from "../../domain/orders/errors.ts"
import { OrderId } from "../../domain/shared/Ids.ts"
import { OrganizerAuthentication } from "./Authentication.ts"
import { EventNotFound404, eventIdParam } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"
import { OptionalIdempotencyHeaders, OrderNotFound404, OrderView, RefundRequest, RefundView } from "./OrdersApi.ts"
import { payload } from "./payload.ts"

const orderParams = { ...eventIdParam, orderId: OrderId }

/** An event's orders as its organizer (or the organizer's API keys) manages them. */
export class OrganizerOrdersApi extends HttpApiGroup.make("organizerOrders")
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
  .middleware(OrganizerAuthentication)
  .annotate(OpenApi.Title, "Organizer orders") {}

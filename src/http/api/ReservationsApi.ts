import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { EventNotFound } from "../../domain/catalog/errors.ts"
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
import { ReservationStatus } from "../../domain/reservations/Reservation.ts"
import { EventId, ReservationId, SeatId, TicketTypeId } from "../../domain/shared/Ids.ts"
import { Currency } from "../../domain/shared/Money.ts"
import { Authentication, RouteTagger } from "./Authentication.ts"
import { RateLimited } from "./errors.ts"
import { payload } from "./payload.ts"

export const ReservationView = Schema.Struct({
  id: ReservationId,
  eventId: EventId,
  status: ReservationStatus,
  expiresAt: Schema.Date,
  createdAt: Schema.Date,
  tickets: Schema.Int,
  items: Schema.Array(Schema.Struct({ ticketTypeId: TicketTypeId, quantity: Schema.Int, unitPriceMinor: Schema.Int })),
  seats: Schema.Array(
    Schema.Struct({
      seatId: SeatId,
      ticketTypeId: TicketTypeId,
      section: Schema.String,
      row: Schema.String,
      label: Schema.String,
      unitPriceMinor: Schema.Int
    })
  ),
  totalMinor: Schema.Int,
  currency: Currency
}).annotations({ identifier: "Reservation" })

export const IdempotencyHeaders = Schema.Struct({
  "idempotency-key": Schema.String.pipe(
    Schema.minLength(1),
    Schema.maxLength(200),
    Schema.annotations({ description: "A unique key per intended hold; retrying with it replays the first answer" })
  )
})

const reservationIdParam = HttpApiSchema.param("reservationId", ReservationId)

export class ReservationsApi extends HttpApiGroup.make("reservations")
  .add(
    HttpApiEndpoint.post("hold", "/v1/reservations")
      .setHeaders(IdempotencyHeaders)
      .setPayload(payload(HoldRequest, "HoldRequest"))
      .addSuccess(ReservationView, { status: 201 })
      .addError(EventNotFound, { status: 404 })
      .addError(SoldOut, { status: 409 })
      .addError(SeatUnavailable, { status: 409 })
      .addError(LimitExceeded, { status: 409 })
      .addError(SalesClosed, { status: 409 })
      .addError(EventNotOnSale, { status: 409 })
      .addError(InvalidHold, { status: 422 })
      .addError(IdempotencyKeyReused, { status: 422 })
      .addError(RateLimited)
      .annotate(
        OpenApi.Description,
        "Holds tickets until `expiresAt`: general admission `items`, chosen `seats` (all or nothing), or the `bestAvailable` seats. Refusals are 409 with a `code`: sold_out, seat_unavailable, max_per_order_exceeded, customer_limit_exceeded, sales_closed, event_not_on_sale. The same Idempotency-Key with the same body replays the first hold; with another body it is a 422."
      )
      .annotate(OpenApi.Summary, "Hold tickets")
  )
  .add(
    HttpApiEndpoint.get("get")`/v1/reservations/${reservationIdParam}`
      .addSuccess(ReservationView)
      .addError(ReservationNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "One of the caller's holds")
  )
  .add(
    HttpApiEndpoint.del("release")`/v1/reservations/${reservationIdParam}`
      .addSuccess(ReservationView)
      .addError(ReservationNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "Release a hold at once (releasing an ended hold again changes nothing)")
  )
  .middleware(Authentication)
  .middleware(RouteTagger)
  .annotate(OpenApi.Title, "Reservations") {}

import { Schema, Struct } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
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
import { ReservationId } from "../../domain/shared/Ids.ts"
import { VoucherNotValid, VoucherUsedUp } from "../../domain/vouchers/errors.ts"
import { Authentication } from "./Authentication.ts"
import { EventNotFound404 } from "./EventsApi.ts"
import { RateLimited } from "./errors.ts"
import { payload } from "./payload.ts"

/** A hold as the API shows it: the domain's Reservation (its fields, rules and encoding) without its customer and end. */
export const ReservationView = Reservation.mapFields(Struct.omit(["customerId", "endedAt"])).annotate({
  identifier: "Reservation"
})

export const IdempotencyHeaders = Schema.Struct({
  "idempotency-key": Schema.String.check(
    Schema.isMinCodePoints(1, { message: "must not be empty" }),
    Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" })
  ).annotate({
    description: "A unique key per intended hold; retrying with it replays the first answer"
  })
})

/** The body of POST /v1/reservations (also decoded by the lean hold route, HoldRoute.ts). */
export const HoldRequestPayload = payload(HoldRequest, "HoldRequest")

const reservationIdParam = { reservationId: ReservationId }
const ReservationNotFound404 = ReservationNotFound.pipe(HttpApiSchema.status(404))

export class ReservationsApi extends HttpApiGroup.make("reservations")
  .add(
    HttpApiEndpoint.post("hold", "/v1/reservations", {
      headers: IdempotencyHeaders,
      payload: HoldRequestPayload,
      success: ReservationView.pipe(HttpApiSchema.status(201)),
      error: [
        EventNotFound404,
        SoldOut.pipe(HttpApiSchema.status(409)),
        SeatUnavailable.pipe(HttpApiSchema.status(409)),
        LimitExceeded.pipe(HttpApiSchema.status(409)),
        SalesClosed.pipe(HttpApiSchema.status(409)),
        EventNotOnSale.pipe(HttpApiSchema.status(409)),
        InvalidHold.pipe(HttpApiSchema.status(422)),
        IdempotencyKeyReused.pipe(HttpApiSchema.status(422)),
        VoucherNotValid.pipe(HttpApiSchema.status(422)),
        VoucherUsedUp.pipe(HttpApiSchema.status(409)),
        RateLimited
      ]
    })
      .annotate(
        OpenApi.Description,
        "Holds tickets until `expiresAt`: general admission `items`, chosen `seats` (all or nothing), or the `bestAvailable` seats. Refusals are 409 with a `code`: sold_out, seat_unavailable, max_per_order_exceeded, customer_limit_exceeded, sales_closed, event_not_on_sale. The same Idempotency-Key with the same body replays the first hold; with another body it is a 422. An optional `voucherCode` takes the voucher's discount off `totalMinor` (what the order will charge): a code that cannot be used for this hold (unknown, expired, not yet valid, for other ticket types) is one 422 `VoucherNotValid` whatever the reason, and wrong codes are rate-limited per customer (429); a voucher whose redemptions are all taken is 409 `VoucherUsedUp`. The redemption is given back when the hold is released or expires, or its order is cancelled before it is paid."
      )
      .annotate(OpenApi.Summary, "Hold tickets")
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/reservations/:reservationId", {
      params: reservationIdParam,
      success: ReservationView,
      error: ReservationNotFound404
    }).annotate(OpenApi.Summary, "One of the caller's holds")
  )
  .add(
    HttpApiEndpoint.delete("release", "/v1/reservations/:reservationId", {
      params: reservationIdParam,
      success: ReservationView,
      error: ReservationNotFound404
    }).annotate(OpenApi.Summary, "Release a hold at once (releasing an ended hold again changes nothing)")
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Reservations") {}

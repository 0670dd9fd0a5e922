import { Schema } from "effect"

/** Every refusal of a hold carries a distinct `code` a client can branch on. */
export class SoldOut extends Schema.TaggedError<SoldOut>()("SoldOut", {
  code: Schema.Literal("sold_out"),
  ticketTypeId: Schema.String,
  message: Schema.String
}) {}

export class SeatUnavailable extends Schema.TaggedError<SeatUnavailable>()("SeatUnavailable", {
  code: Schema.Literal("seat_unavailable"),
  message: Schema.String
}) {}

export class LimitExceeded extends Schema.TaggedError<LimitExceeded>()("LimitExceeded", {
  code: Schema.Literals(["max_per_order_exceeded", "customer_limit_exceeded"]),
  limit: Schema.Int,
  message: Schema.String
}) {}

export class SalesClosed extends Schema.TaggedError<SalesClosed>()("SalesClosed", {
  code: Schema.Literal("sales_closed"),
  message: Schema.String
}) {}

export class EventNotOnSale extends Schema.TaggedError<EventNotOnSale>()("EventNotOnSale", {
  code: Schema.Literal("event_not_on_sale"),
  message: Schema.String
}) {}

export class InvalidHold extends Schema.TaggedError<InvalidHold>()("InvalidHold", {
  code: Schema.Literal("invalid_hold"),
  message: Schema.String
}) {}

export class ReservationNotFound extends Schema.TaggedError<ReservationNotFound>()("ReservationNotFound", {
  message: Schema.String
}) {}

export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  message: Schema.String
}) {}

export type HoldRefused = SoldOut | SeatUnavailable | LimitExceeded | SalesClosed | EventNotOnSale | InvalidHold

export const soldOut = (ticketTypeId: string) =>
  new SoldOut({ code: "sold_out", ticketTypeId, message: "this ticket type is sold out" })
export const seatUnavailable = (message = "one of these seats is no longer available") =>
  new SeatUnavailable({ code: "seat_unavailable", message })
export const salesClosed = (message = "sales are not open for this event") =>
  new SalesClosed({ code: "sales_closed", message })
export const notOnSale = () => new EventNotOnSale({ code: "event_not_on_sale", message: "this event is not on sale" })
export const invalidHold = (message: string) => new InvalidHold({ code: "invalid_hold", message })

import { Schema } from "effect"

export class OrderNotFound extends Schema.TaggedError<OrderNotFound>()("OrderNotFound", {
  message: Schema.String
}) {}

export class TicketNotFound extends Schema.TaggedError<TicketNotFound>()("TicketNotFound", {
  message: Schema.String
}) {}

/** Checkout of a hold that is not the caller's live hold. */
export class HoldNotCheckoutable extends Schema.TaggedError<HoldNotCheckoutable>()("HoldNotCheckoutable", {
  code: Schema.Literal("hold_not_active"),
  message: Schema.String
}) {}

export class RefundRefused extends Schema.TaggedError<RefundRefused>()("RefundRefused", {
  code: Schema.Literals([
    "order_not_refundable",
    "refund_window_closed",
    "ticket_not_refundable",
    "nothing_to_refund",
    "not_allowed"
  ]),
  message: Schema.String
}) {}

/** A scan that does not admit: each reason is distinct so the door staff know what to say. */
export class CheckInRefused extends Schema.TaggedError<CheckInRefused>()("CheckInRefused", {
  code: Schema.Literals(["forged_code", "other_event", "ticket_voided", "event_not_checkinable"]),
  message: Schema.String
}) {}

export class AlreadyCheckedIn extends Schema.TaggedError<AlreadyCheckedIn>()("AlreadyCheckedIn", {
  code: Schema.Literal("already_checked_in"),
  firstCheckedInAt: Schema.DateFromString,
  message: Schema.String
}) {}

/** Why a checkout saga ended without tickets. */
export class CheckoutFailed extends Schema.TaggedError<CheckoutFailed>()("CheckoutFailed", {
  reason: Schema.Literals(["payment_declined", "payment_timed_out", "units_unavailable", "payment_failed"]),
  message: Schema.String
}) {}

/** The provider declined the card (delivered through a webhook). */
export class PaymentDeclined extends Schema.TaggedError<PaymentDeclined>()("PaymentDeclined", {
  declineCode: Schema.String
}) {}

/** A customer asked for one more order status stream than they may keep open at once. */
export class TooManyOrderStreams extends Schema.TaggedError<TooManyOrderStreams>()("TooManyOrderStreams", {
  limit: Schema.Int,
  message: Schema.String
}) {}

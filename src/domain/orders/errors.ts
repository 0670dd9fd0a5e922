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

/** One problem with the attendee names of a checkout, with where it is (`["attendees", 2]`). */
export const AttendeeNameIssue = Schema.Struct({
  code: Schema.Literals(["missing", "too_long", "too_short", "invalid_value", "unexpected"]),
  path: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  message: Schema.String
}).annotate({ identifier: "AttendeeNameIssue" })

/** Attendee names that do not fit the ticket types' rules (AttendeeNames): nothing was changed. */
export class AttendeeNamesInvalid extends Schema.TaggedError<AttendeeNamesInvalid>()("AttendeeNamesInvalid", {
  issues: Schema.Array(AttendeeNameIssue),
  message: Schema.String
}) {}

/** A ticket's attendee name that can no longer (or never) be changed. */
export class AttendeeNameLocked extends Schema.TaggedError<AttendeeNameLocked>()("AttendeeNameLocked", {
  code: Schema.Literals(["names_not_taken", "name_cutoff_passed", "ticket_not_valid"]),
  message: Schema.String
}) {}

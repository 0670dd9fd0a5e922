import { Schema } from "effect"
import { withDefault } from "../shared/Defaults.ts"
import { EventId, OrderId, ReservationId, SeatId, TicketId, TicketTypeId, UserId } from "../shared/Ids.ts"
import { Currency, MinorAmount, MinorUnits } from "../shared/Money.ts"
import { Timestamp } from "../shared/Text.ts"

/**
 * An order's life (see ARCHITECTURE.md for the saga that drives it):
 *   pending_payment → confirmed → partially_refunded → refunded
 *                   ↘ cancelled (declined, timed out, units gone, event cancelled)
 */
export const OrderStatus = Schema.Literals([
  "pending_payment",
  "confirmed",
  "cancelled",
  "partially_refunded",
  "refunded"
])
export type OrderStatus = typeof OrderStatus.Type

export const CancelReason = Schema.Literals([
  "payment_declined",
  "payment_timed_out",
  "units_unavailable",
  "payment_failed",
  "event_cancelled"
])
export type CancelReason = typeof CancelReason.Type

/** A ticket is valid until it is voided (refunded); check-in marks it, once. */
export const TicketStatus = Schema.Literals(["valid", "voided"])
export type TicketStatus = typeof TicketStatus.Type

export class Ticket extends Schema.Class<Ticket>("Ticket")({
  id: TicketId,
  orderId: OrderId,
  eventId: EventId,
  customerId: UserId,
  ticketTypeId: TicketTypeId,
  seatId: Schema.NullOr(SeatId),
  seatLabel: Schema.NullOr(Schema.String),
  priceMinor: MinorUnits,
  currency: Currency,
  status: TicketStatus,
  issuedAt: Timestamp,
  voidedAt: Schema.NullOr(Timestamp),
  checkedInAt: Schema.NullOr(Timestamp),
  /** The attendee's name, when the ticket type asks for names and the buyer gave one (AttendeeNames). */
  attendeeName: withDefault(Schema.NullOr(Schema.String), () => null).annotate({
    description: "The attendee's name (null when none was given, or the ticket type does not take names)"
  })
}) {}

/** One admission bought: a unit of a general-admission type, or one seat. */
export const OrderLine = Schema.Struct({
  /** 1, 2, …: the line's place in venue order. */
  position: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  ticketTypeId: TicketTypeId,
  seatId: Schema.NullOr(SeatId),
  seatLabel: Schema.NullOr(Schema.String),
  unitPriceMinor: MinorUnits
})
export type OrderLine = typeof OrderLine.Type

export const PaymentRef = Schema.Struct({
  provider: Schema.String,
  intentId: Schema.String,
  confirmUrl: Schema.String
})
export type PaymentRef = typeof PaymentRef.Type

export class Order extends Schema.Class<Order>("Order")({
  id: OrderId,
  customerId: UserId,
  eventId: EventId,
  reservationId: ReservationId,
  status: OrderStatus,
  totalMinor: MinorAmount,
  refundedMinor: MinorAmount,
  currency: Currency,
  payment: Schema.NullOr(PaymentRef),
  cancelReason: Schema.NullOr(CancelReason),
  lines: Schema.Array(OrderLine),
  tickets: Schema.Array(Ticket),
  createdAt: Timestamp,
  confirmedAt: Schema.NullOr(Timestamp),
  cancelledAt: Schema.NullOr(Timestamp)
}) {}

/** Money handed back for some tickets of an order; `pending` until the provider confirms it. */
export const RefundStatus = Schema.Literals(["pending", "completed"])
export type RefundStatus = typeof RefundStatus.Type

export class RefundRecord extends Schema.Class<RefundRecord>("RefundRecord")({
  id: Schema.String,
  orderId: OrderId,
  amountMinor: MinorAmount,
  ticketIds: Schema.Array(TicketId),
  status: RefundStatus,
  createdAt: Timestamp
}) {}

import { Context, type Effect, Schema } from "effect"
import type { KeysetPosition } from "../shared/Cursor.ts"
import { EventId, OrderId, TicketId, TicketTypeId, UserId } from "../shared/Ids.ts"
import { Currency, MinorAmount } from "../shared/Money.ts"
import { Timestamp } from "../shared/Text.ts"
import { OrderStatus } from "./Order.ts"

/** One order of an event as its organizer lists it: the buyer, the money, how many of its tickets still admit. */
export class OrderSummary extends Schema.Class<OrderSummary>("OrderSummary")({
  id: OrderId,
  eventId: EventId,
  customerId: UserId,
  buyerEmail: Schema.String,
  buyerName: Schema.String,
  status: OrderStatus,
  totalMinor: MinorAmount,
  refundedMinor: MinorAmount,
  currency: Currency,
  tickets: Schema.Int,
  validTickets: Schema.Int,
  createdAt: Timestamp,
  confirmedAt: Schema.NullOr(Timestamp),
  cancelledAt: Schema.NullOr(Timestamp)
}) {}

/** One admission of an event: a valid (not voided, not refunded) ticket, with who bought it and its check-in. */
export class AttendeeLine extends Schema.Class<AttendeeLine>("AttendeeLine")({
  ticketId: TicketId,
  orderId: OrderId,
  eventId: EventId,
  ticketTypeId: TicketTypeId,
  ticketTypeName: Schema.String,
  seatLabel: Schema.NullOr(Schema.String),
  buyerEmail: Schema.String,
  buyerName: Schema.String,
  /** The name on the ticket. Reserved: tickets carry no attendee name yet (always null until they do). */
  attendeeName: Schema.NullOr(Schema.String),
  issuedAt: Timestamp,
  checkedInAt: Schema.NullOr(Timestamp)
}) {}

/**
 * What an organizer searches an event's orders by; every given criterion must hold. `email` is the buyer's address
 * (whole, any case), `name` a part of the buyer's account name (any case), `ticketId` a ticket of the order,
 * `createdFrom`/`createdTo` bound the order's creation (both inclusive).
 */
export interface OrderFilter {
  readonly status?: OrderStatus | undefined
  readonly email?: string | undefined
  readonly name?: string | undefined
  readonly ticketId?: TicketId | undefined
  readonly createdFrom?: Date | undefined
  readonly createdTo?: Date | undefined
}

/**
 * Port: an event's orders and attendees as its organizer reads them, in pages over a keyset, so that a page (or an
 * export, page after page) costs the same wherever it is in a large event.
 */
export interface EventOrdersShape {
  /** Orders of the event matching the filter, newest first (createdAt, then id, descending), after `after`. */
  readonly searchOrders: (
    eventId: EventId,
    filter: OrderFilter,
    after: KeysetPosition | undefined,
    limit: number
  ) => Effect.Effect<ReadonlyArray<OrderSummary>>
  /** The event's valid tickets in the order they were issued (issuedAt, then id, ascending), after `after`. */
  readonly attendees: (
    eventId: EventId,
    after: KeysetPosition | undefined,
    limit: number
  ) => Effect.Effect<ReadonlyArray<AttendeeLine>>
}

export class EventOrders extends Context.Service<EventOrders, EventOrdersShape>()("goticket/EventOrders") {}

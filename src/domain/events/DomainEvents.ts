import { Schema } from "effect"
import { EventId, OrderId, ReservationId, SeatId, TicketId, TicketTypeId, UserId, Uuid } from "../shared/Ids.ts"
import { Currency } from "../shared/Money.ts"

/*
 * What happened to an event, a hold, an order or a ticket, as other parts of the system and other services see it.
 * Each is the payload of an `EventEnvelope` whose `type` is the class's tag; amounts are in minor units.
 */

export class EventPublished extends Schema.TaggedClass<EventPublished>()("EventPublished", {
  eventId: EventId,
  organizerId: UserId,
  title: Schema.String,
  startsAt: Schema.DateFromString
}) {}

export class EventCancelled extends Schema.TaggedClass<EventCancelled>()("EventCancelled", {
  eventId: EventId,
  organizerId: UserId,
  title: Schema.String,
  startsAt: Schema.DateFromString
}) {}

export class ReservationCreated extends Schema.TaggedClass<ReservationCreated>()("ReservationCreated", {
  reservationId: ReservationId,
  customerId: UserId,
  eventId: EventId,
  tickets: Schema.Int,
  totalMinor: Schema.Int,
  currency: Currency,
  expiresAt: Schema.DateFromString
}) {}

export class ReservationExpired extends Schema.TaggedClass<ReservationExpired>()("ReservationExpired", {
  reservationId: ReservationId,
  customerId: UserId,
  eventId: EventId,
  tickets: Schema.Int
}) {}

export class ReservationReleased extends Schema.TaggedClass<ReservationReleased>()("ReservationReleased", {
  reservationId: ReservationId,
  customerId: UserId,
  eventId: EventId,
  tickets: Schema.Int
}) {}

export class OrderConfirmed extends Schema.TaggedClass<OrderConfirmed>()("OrderConfirmed", {
  orderId: OrderId,
  customerId: UserId,
  eventId: EventId,
  totalMinor: Schema.Int,
  currency: Currency,
  tickets: Schema.Int
}) {}

export class OrderCancelled extends Schema.TaggedClass<OrderCancelled>()("OrderCancelled", {
  orderId: OrderId,
  customerId: UserId,
  eventId: EventId,
  reason: Schema.String
}) {}

/** Money returned: one per completed refund (an order can be refunded in parts). */
export class OrderRefunded extends Schema.TaggedClass<OrderRefunded>()("OrderRefunded", {
  orderId: OrderId,
  customerId: UserId,
  eventId: EventId,
  refundId: Schema.String,
  amountMinor: Schema.Int,
  currency: Currency,
  ticketIds: Schema.Array(TicketId)
}) {}

export class TicketIssued extends Schema.TaggedClass<TicketIssued>()("TicketIssued", {
  ticketId: TicketId,
  orderId: OrderId,
  eventId: EventId,
  customerId: UserId,
  ticketTypeId: TicketTypeId,
  seatId: Schema.NullOr(SeatId),
  priceMinor: Schema.Int,
  currency: Currency
}) {}

export class TicketVoided extends Schema.TaggedClass<TicketVoided>()("TicketVoided", {
  ticketId: TicketId,
  orderId: OrderId,
  eventId: EventId,
  customerId: UserId,
  ticketTypeId: TicketTypeId,
  priceMinor: Schema.Int,
  currency: Currency
}) {}

export class TicketCheckedIn extends Schema.TaggedClass<TicketCheckedIn>()("TicketCheckedIn", {
  ticketId: TicketId,
  orderId: OrderId,
  eventId: EventId,
  ticketTypeId: TicketTypeId,
  checkedInAt: Schema.DateFromString,
  checkedInBy: Schema.NullOr(UserId)
}) {}

/** A hold took one redemption of a voucher: its discount is off the hold's total (and the order's). */
export class VoucherRedeemed extends Schema.TaggedClass<VoucherRedeemed>()("VoucherRedeemed", {
  reservationId: ReservationId,
  voucherId: Uuid,
  eventId: EventId,
  code: Schema.String,
  discountMinor: Schema.Int
}) {}

/**
 * An account was registered (or an unverified one taken over by a new registration) and its address is still to be
 * confirmed: the confirmation mail goes out from it. Internal: organizers' webhooks never receive it. It carries the
 * account's id only: no token (the link is made when the mail is) and no address (read from the account then), so
 * an erased account leaves nothing personal in the outbox.
 */
export class AccountRegistered extends Schema.TaggedClass<AccountRegistered>()("AccountRegistered", {
  userId: UserId
}) {}

/**
 * Units came back to a sold-out ticket type and one was offered to a customer of its waiting list: a single-use
 * voucher of their account, withholding that unit until `expiresAt`. Internal (organizers' webhooks never receive
 * it); it carries ids only: the mail's consumer reads the code and the address when it makes the mail.
 */
export class WaitingListOffered extends Schema.TaggedClass<WaitingListOffered>()("WaitingListOffered", {
  entryId: Uuid,
  customerId: UserId,
  eventId: EventId,
  ticketTypeId: TicketTypeId,
  voucherId: Uuid,
  expiresAt: Schema.DateFromString
}) {}

export const DomainEvent = Schema.Union([
  EventPublished,
  EventCancelled,
  ReservationCreated,
  ReservationExpired,
  ReservationReleased,
  OrderConfirmed,
  OrderCancelled,
  OrderRefunded,
  TicketIssued,
  TicketVoided,
  TicketCheckedIn,
  VoucherRedeemed,
  AccountRegistered,
  WaitingListOffered
])
export type DomainEvent = typeof DomainEvent.Type

/** The events an organizer's webhook may subscribe to: those about events, sales, orders and tickets. */
export const PublicEventType = Schema.Literals([
  "EventPublished",
  "EventCancelled",
  "ReservationCreated",
  "ReservationExpired",
  "ReservationReleased",
  "OrderConfirmed",
  "OrderCancelled",
  "OrderRefunded",
  "TicketIssued",
  "TicketVoided",
  "TicketCheckedIn",
  "VoucherRedeemed"
])
export type PublicEventType = typeof PublicEventType.Type

/** Every event type: the public ones and those only this service's own consumers see (AccountRegistered, WaitingListOffered). */
export const EventType = Schema.Literals([...PublicEventType.literals, "AccountRegistered", "WaitingListOffered"])
export type EventType = typeof EventType.Type

/** What each event is about: the aggregate whose events are published in the order they happened. */
export const AggregateType = Schema.Literals([
  "event",
  "reservation",
  "order",
  "ticket",
  "account",
  "waiting_list_entry"
])
export type AggregateType = typeof AggregateType.Type

export const aggregateOf: Record<EventType, AggregateType> = {
  EventPublished: "event",
  EventCancelled: "event",
  ReservationCreated: "reservation",
  ReservationExpired: "reservation",
  ReservationReleased: "reservation",
  OrderConfirmed: "order",
  OrderCancelled: "order",
  OrderRefunded: "order",
  TicketIssued: "ticket",
  TicketVoided: "ticket",
  TicketCheckedIn: "ticket",
  VoucherRedeemed: "reservation",
  AccountRegistered: "account",
  WaitingListOffered: "waiting_list_entry"
}

/** The topic routing key: `<aggregate>.<event>`, e.g. `order.OrderConfirmed`, so `order.*` binds every order event. */
export const routingKeyOf = (type: EventType): string => `${aggregateOf[type]}.${type}`

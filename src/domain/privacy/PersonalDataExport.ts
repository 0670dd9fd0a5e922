import { Schema } from "effect"
import { AccountType } from "../accounts/User.ts"
import { EventStatus } from "../catalog/Event.ts"
import { EventType } from "../events/DomainEvents.ts"
import { CancelReason, OrderStatus, TicketStatus } from "../orders/Order.ts"
import { ReservationStatus } from "../reservations/Reservation.ts"
import { EventId, OrderId, ReservationId, SeatId, TicketId, TicketTypeId, UserId } from "../shared/Ids.ts"
import { Currency } from "../shared/Money.ts"
import { WebhookId } from "../webhooks/Webhook.ts"

/*
 * The document `GET /v1/me/export` returns (GDPR access and portability): everything the platform holds about one
 * account, and nothing about anyone else. Credentials are left out on purpose: the password hash, ticket codes
 * (bearer credentials, derived from the ticket id with a server key), webhook secrets and payment confirm URLs
 * (they carry the provider's client secret). No card data exists to export: the platform never receives any.
 */

export class ExportedAccount extends Schema.Class<ExportedAccount>("ExportedAccount")({
  id: UserId,
  email: Schema.String,
  name: Schema.String,
  accountType: AccountType,
  isAdmin: Schema.Boolean,
  createdAt: Schema.DateFromString
}) {}

export class ExportedOrderLine extends Schema.Class<ExportedOrderLine>("ExportedOrderLine")({
  position: Schema.Int,
  ticketTypeId: TicketTypeId,
  ticketTypeName: Schema.String,
  seatId: Schema.NullOr(SeatId),
  seatLabel: Schema.NullOr(Schema.String),
  unitPriceMinor: Schema.Int
}) {}

export class ExportedOrder extends Schema.Class<ExportedOrder>("ExportedOrder")({
  id: OrderId,
  eventId: EventId,
  eventTitle: Schema.String,
  reservationId: ReservationId,
  status: OrderStatus,
  totalMinor: Schema.Int,
  refundedMinor: Schema.Int,
  currency: Currency,
  /** The provider and its payment reference; never a card (the platform never sees one). */
  payment: Schema.NullOr(Schema.Struct({ provider: Schema.String, intentId: Schema.String })),
  cancelReason: Schema.NullOr(CancelReason),
  createdAt: Schema.DateFromString,
  confirmedAt: Schema.NullOr(Schema.DateFromString),
  cancelledAt: Schema.NullOr(Schema.DateFromString),
  lines: Schema.Array(ExportedOrderLine)
}) {}

/** A ticket without its code: the code admits whoever shows it, so it never travels in an export. */
export class ExportedTicket extends Schema.Class<ExportedTicket>("ExportedTicket")({
  id: TicketId,
  orderId: OrderId,
  eventId: EventId,
  eventTitle: Schema.String,
  ticketTypeId: TicketTypeId,
  ticketTypeName: Schema.String,
  seatLabel: Schema.NullOr(Schema.String),
  priceMinor: Schema.Int,
  currency: Currency,
  status: TicketStatus,
  issuedAt: Schema.DateFromString,
  voidedAt: Schema.NullOr(Schema.DateFromString),
  checkedInAt: Schema.NullOr(Schema.DateFromString),
  /** The attendee's name on the ticket (AttendeeNames), when one was given. */
  attendeeName: Schema.NullOr(Schema.String)
}) {}

export class ExportedReservation extends Schema.Class<ExportedReservation>("ExportedReservation")({
  id: ReservationId,
  eventId: EventId,
  eventTitle: Schema.String,
  status: ReservationStatus,
  tickets: Schema.Int,
  totalMinor: Schema.Int,
  currency: Currency,
  createdAt: Schema.DateFromString,
  expiresAt: Schema.DateFromString,
  endedAt: Schema.NullOr(Schema.DateFromString)
}) {}

export class ExportedRefund extends Schema.Class<ExportedRefund>("ExportedRefund")({
  id: Schema.String,
  orderId: OrderId,
  amountMinor: Schema.Int,
  currency: Currency,
  ticketIds: Schema.Array(TicketId),
  status: Schema.Literals(["pending", "completed"]),
  createdAt: Schema.DateFromString,
  completedAt: Schema.NullOr(Schema.DateFromString)
}) {}

/** An event the account organizes (its own data as an organizer; its buyers are not listed). */
export class ExportedEvent extends Schema.Class<ExportedEvent>("ExportedEvent")({
  id: EventId,
  title: Schema.String,
  status: EventStatus,
  venueName: Schema.String,
  startsAt: Schema.DateFromString,
  endsAt: Schema.NullOr(Schema.DateFromString),
  createdAt: Schema.DateFromString,
  publishedAt: Schema.NullOr(Schema.DateFromString),
  cancelledAt: Schema.NullOr(Schema.DateFromString)
}) {}

/** A grant to check tickets in at an event (door staff). */
export class ExportedStaffRole extends Schema.Class<ExportedStaffRole>("ExportedStaffRole")({
  eventId: EventId,
  eventTitle: Schema.String,
  grantedAt: Schema.DateFromString
}) {}

/** An organizer webhook endpoint, without its signing secret; deliveries (other people's events) are left out. */
export class ExportedWebhook extends Schema.Class<ExportedWebhook>("ExportedWebhook")({
  id: WebhookId,
  url: Schema.String,
  eventTypes: Schema.Array(EventType),
  active: Schema.Boolean,
  createdAt: Schema.DateFromString,
  deactivatedAt: Schema.NullOr(Schema.DateFromString)
}) {}

/**
 * Everything held about one account. Lists are ordered: orders, reservations and refunds newest first; tickets
 * by order (newest first) then position; events by start; staff roles and webhooks oldest first.
 */
export class PersonalDataExport extends Schema.Class<PersonalDataExport>("PersonalDataExport")(
  {
    generatedAt: Schema.DateFromString,
    account: ExportedAccount,
    orders: Schema.Array(ExportedOrder),
    tickets: Schema.Array(ExportedTicket),
    reservations: Schema.Array(ExportedReservation),
    refunds: Schema.Array(ExportedRefund),
    eventsOrganized: Schema.Array(ExportedEvent),
    staffRoles: Schema.Array(ExportedStaffRole),
    webhooks: Schema.Array(ExportedWebhook)
  },
  { description: "Everything GoTicket holds about the caller's account" }
) {}

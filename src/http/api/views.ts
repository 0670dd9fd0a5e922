import { Schema, Struct } from "effect"
import { AccountType } from "../../domain/accounts/User.ts"
import { Event, EventStatus, RefundCutoffHours } from "../../domain/catalog/Event.ts"
import { SeatStatus } from "../../domain/catalog/Seating.ts"
import { Capacity, TicketType } from "../../domain/catalog/TicketType.ts"
import { EventId, SeatId, SectionId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import { Currency, MinorAmount } from "../../domain/shared/Money.ts"
import { Timestamp } from "../../domain/shared/Text.ts"

/** What the API returns. Dates are ISO 8601 strings in UTC; money is integer minor units plus currency. */

/** A number of tickets: a whole number, zero or more. */
const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const Role = Schema.Literals(["customer", "organizer", "admin"])

export const UserView = Schema.Struct({
  id: UserId,
  email: Schema.String,
  name: Schema.String,
  accountType: AccountType,
  roles: Schema.Array(Role),
  createdAt: Timestamp
}).annotate({ identifier: "User" })

export const AccessTokenView = Schema.Struct({
  accessToken: Schema.String,
  tokenType: Schema.Literal("Bearer"),
  expiresIn: Schema.Int.annotate({ description: "Seconds until the access token expires" }),
  refreshToken: Schema.String.annotate({
    description: "Single-use: exchange it at /v1/auth/refresh for a new access token and the next refresh token"
  }),
  refreshExpiresIn: Schema.Int.annotate({ description: "Seconds until the refresh token expires" })
}).annotate({ identifier: "AccessToken" })

export const VenueView = Schema.Struct({
  name: Schema.String,
  address: Schema.NullOr(Schema.String),
  timezone: Schema.String
}).annotate({ identifier: "Venue" })

/** An event as the API shows it: the domain's Event (its fields, rules and encoding), with its status as of now. */
export const EventView = Schema.Struct({
  ...Struct.pick(Event.fields, ["id", "organizerId", "title", "description"]),
  venue: VenueView,
  ...Struct.pick(Event.fields, ["startsAt", "endsAt", "salesStartAt", "salesEndAt"]),
  refundCutoffHours: Schema.NullOr(RefundCutoffHours),
  status: EventStatus.annotate({ description: "`ended` once a published event's end has passed" }),
  ...Struct.pick(Event.fields, ["version", "createdAt", "updatedAt", "publishedAt", "cancelledAt"])
}).annotate({ identifier: "Event" })

/** A ticket type as the API shows it: the domain's TicketType without its counters, with what is left for sale. */
export const TicketTypeView = Schema.Struct({
  ...Struct.pick(TicketType.fields, ["id", "eventId", "name", "priceMinor", "currency", "capacity"]),
  available: Count.annotate({ description: "Tickets of this type still for sale (neither held nor sold)" }),
  ...Struct.pick(TicketType.fields, ["maxPerOrder", "seated", "attendeeNames"])
}).annotate({ identifier: "TicketType" })

export const EventDetailView = Schema.Struct({
  ...EventView.fields,
  ticketTypes: Schema.Array(TicketTypeView)
}).annotate({ identifier: "EventDetail" })

export const SeatView = Schema.Struct({
  id: SeatId,
  label: Schema.String,
  ticketTypeId: TicketTypeId,
  status: SeatStatus
}).annotate({ identifier: "Seat" })

export const SeatMapView = Schema.Struct({
  eventId: EventId,
  sections: Schema.Array(
    Schema.Struct({
      id: SectionId,
      name: Schema.String,
      rows: Schema.Array(Schema.Struct({ label: Schema.String, seats: Schema.Array(SeatView) }))
    })
  )
}).annotate({ identifier: "SeatMap" })

export const StaffView = Schema.Struct({
  eventId: EventId,
  userId: UserId,
  email: Schema.String,
  name: Schema.String,
  grantedAt: Timestamp
}).annotate({ identifier: "StaffMember" })

export const EventPage = Schema.Struct({
  items: Schema.Array(EventView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotate({ identifier: "EventPage" })

const SalesLineFields = {
  sold: Count,
  refunded: Count,
  checkedIn: Count,
  grossMinor: MinorAmount,
  refundedMinor: MinorAmount,
  revenueMinor: MinorAmount.annotate({ description: "gross minus refunded, in minor units" })
}

export const EventSalesView = Schema.Struct({
  eventId: EventId,
  currency: Schema.NullOr(Currency),
  totals: Schema.Struct(SalesLineFields),
  ticketTypes: Schema.Array(
    Schema.Struct({ ticketTypeId: TicketTypeId, name: Schema.String, capacity: Capacity, ...SalesLineFields })
  ),
  vouchers: Schema.Struct({
    redemptions: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
      description: "Holds and orders that carry a voucher of the event now"
    }),
    discountMinor: MinorAmount.annotate({ description: "The discount those vouchers give, in minor units" })
  }).annotate({ description: "Vouchers redeemed (read live, not from the projection)" }),
  updatedAt: Schema.NullOr(Timestamp).annotate({ description: "when the last counted event was projected" })
}).annotate({ identifier: "EventSales" })

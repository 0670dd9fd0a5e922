import { Schema } from "effect"
import { AccountType } from "../../domain/accounts/User.ts"
import { EventStatus } from "../../domain/catalog/Event.ts"
import { SeatStatus } from "../../domain/catalog/Seating.ts"
import { EventId, SeatId, SectionId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import { Currency } from "../../domain/shared/Money.ts"

/** What the API returns. Dates are ISO 8601 strings in UTC; money is integer minor units plus currency. */

export const Role = Schema.Literals(["customer", "organizer", "admin"])

export const UserView = Schema.Struct({
  id: UserId,
  email: Schema.String,
  name: Schema.String,
  accountType: AccountType,
  roles: Schema.Array(Role),
  createdAt: Schema.Date
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

export const EventView = Schema.Struct({
  id: EventId,
  organizerId: UserId,
  title: Schema.String,
  description: Schema.NullOr(Schema.String),
  venue: VenueView,
  startsAt: Schema.Date,
  endsAt: Schema.NullOr(Schema.Date),
  salesStartAt: Schema.NullOr(Schema.Date),
  salesEndAt: Schema.NullOr(Schema.Date),
  refundCutoffHours: Schema.NullOr(Schema.Int).annotate({
    description: "Customers may refund until this many hours before the start (null: the platform default)"
  }),
  status: EventStatus,
  version: Schema.Int,
  createdAt: Schema.Date,
  updatedAt: Schema.Date,
  publishedAt: Schema.NullOr(Schema.Date),
  cancelledAt: Schema.NullOr(Schema.Date)
}).annotate({ identifier: "Event" })

export const TicketTypeView = Schema.Struct({
  id: TicketTypeId,
  eventId: EventId,
  name: Schema.String,
  priceMinor: Schema.Int,
  currency: Currency,
  capacity: Schema.Int,
  available: Schema.Int,
  maxPerOrder: Schema.Int,
  seated: Schema.Boolean
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
  grantedAt: Schema.Date
}).annotate({ identifier: "StaffMember" })

export const EventPage = Schema.Struct({
  items: Schema.Array(EventView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotate({ identifier: "EventPage" })

const SalesLineFields = {
  sold: Schema.Int,
  refunded: Schema.Int,
  checkedIn: Schema.Int,
  grossMinor: Schema.Int,
  refundedMinor: Schema.Int,
  revenueMinor: Schema.Int.annotate({ description: "gross minus refunded, in minor units" })
}

export const EventSalesView = Schema.Struct({
  eventId: EventId,
  currency: Schema.NullOr(Currency),
  totals: Schema.Struct(SalesLineFields),
  ticketTypes: Schema.Array(
    Schema.Struct({ ticketTypeId: TicketTypeId, name: Schema.String, capacity: Schema.Int, ...SalesLineFields })
  ),
  vouchers: Schema.Struct({
    redemptions: Schema.Int.annotate({ description: "Holds and orders that carry a voucher of the event now" }),
    discountMinor: Schema.Int.annotate({ description: "The discount those vouchers give, in minor units" })
  }).annotate({ description: "Vouchers redeemed (read live, not from the projection)" }),
  updatedAt: Schema.NullOr(Schema.Date).annotate({ description: "when the last counted event was projected" })
}).annotate({ identifier: "EventSales" })

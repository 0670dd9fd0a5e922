import { Option, Schema } from "effect"
import { Email } from "../../domain/accounts/User.ts"
import { OrderStatus } from "../../domain/orders/Order.ts"
import { DEFAULT_SEARCH_PAGE, MAX_SEARCH_PAGE, rangeProblem } from "../../domain/orders/OrderSearch.ts"
import { decodeCursor } from "../../domain/shared/Cursor.ts"
import { EventId, OrderId, TicketId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import { Currency, MinorAmount } from "../../domain/shared/Money.ts"
import { IntegerText } from "../../domain/shared/Page.ts"
import { Instant, Timestamp } from "../../domain/shared/Text.ts"

const PageCursor = Schema.String.check(
  Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }),
  Schema.makeFilter((cursor: string) => Option.isSome(decodeCursor(cursor)), {
    message: "must be the nextCursor of a previous page"
  })
).annotate({ description: "nextCursor of the previous page" })

const SearchLimit = IntegerText(1, MAX_SEARCH_PAGE)

const page = {
  cursor: Schema.optional(PageCursor),
  limit: Schema.optional(SearchLimit).annotate({
    description: `Page size, 1 to ${MAX_SEARCH_PAGE} (default ${DEFAULT_SEARCH_PAGE})`
  })
}

/** A ticket's code as printed on it and in its QR image: `GT1.<ids>.<MAC>`. */
const TicketCodeText = Schema.String.check(
  Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }),
  Schema.isPattern(/^GT1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/u, {
    message: "must be a ticket code as printed on the ticket (GT1.….…)"
  })
)

const orderFilters = {
  status: Schema.optional(OrderStatus).annotate({ description: "Only orders in this status" }),
  email: Schema.optional(Email).annotate({ description: "Only the orders of the buyer with this address (any case)" }),
  name: Schema.optional(
    Schema.String.check(
      Schema.isMinLength(1, { message: "must not be empty" }),
      Schema.isMaxCodePoints(120, { message: "must be at most 120 characters" })
    )
  ).annotate({ description: "Only buyers whose account name contains this (any case)" }),
  ticketCode: Schema.optional(TicketCodeText).annotate({
    description: "Only the order of the ticket with this code (a code of another event, or forged, finds nothing)"
  }),
  from: Schema.optional(Instant).annotate({ description: "Orders created at or after" }),
  to: Schema.optional(Instant).annotate({ description: "Orders created at or before (not before `from`)" })
}

const rangeCheck = Schema.makeFilter((q: { readonly from?: Date | undefined; readonly to?: Date | undefined }) => {
  const problem = rangeProblem(q.from, q.to)
  return problem === undefined ? undefined : { path: ["to"], issue: problem }
})

/** The search's query: every problem is reported at once (QueryParseOptions on the group). */
export const OrderSearchParams = Schema.Struct({ ...orderFilters, ...page }).check(rangeCheck)
export const OrderExportParams = Schema.Struct(orderFilters).check(rangeCheck)
export const AttendeeParams = Schema.Struct(page)

export const OrderSummaryView = Schema.Struct({
  id: OrderId,
  status: OrderStatus,
  customerId: UserId,
  buyerEmail: Schema.String,
  buyerName: Schema.String,
  tickets: Schema.Int.annotate({ description: "Tickets issued (none before the order is confirmed)" }),
  validTickets: Schema.Int.annotate({ description: "Tickets that still admit (not refunded)" }),
  totalMinor: MinorAmount,
  refundedMinor: MinorAmount,
  currency: Currency,
  createdAt: Timestamp,
  confirmedAt: Schema.NullOr(Timestamp),
  cancelledAt: Schema.NullOr(Timestamp)
}).annotate({ identifier: "OrderSummary" })

export const OrderSearchPage = Schema.Struct({
  items: Schema.Array(OrderSummaryView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotate({ identifier: "OrderSearchPage" })

export const AttendeeView = Schema.Struct({
  ticketId: TicketId,
  orderId: OrderId,
  eventId: EventId,
  ticketTypeId: TicketTypeId,
  ticketType: Schema.String.annotate({ description: "The ticket type's name" }),
  seatLabel: Schema.NullOr(Schema.String).annotate({ description: "Section, row and seat; null: general admission" }),
  buyerEmail: Schema.String,
  buyerName: Schema.String,
  attendeeName: Schema.NullOr(Schema.String).annotate({
    description: "The name on the ticket; null until tickets carry one"
  }),
  checkedIn: Schema.Boolean,
  checkedInAt: Schema.NullOr(Timestamp),
  issuedAt: Timestamp
}).annotate({ identifier: "Attendee" })

export const AttendeePage = Schema.Struct({
  items: Schema.Array(AttendeeView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotate({ identifier: "AttendeePage" })

import type { KeysetPosition } from "../shared/Cursor.ts"
import type { AttendeeLine, OrderFilter, OrderSummary } from "./EventOrders.ts"
import type { Ticket } from "./Order.ts"

/** Page sizes of the organizer's order search and attendee list: at most this many per page. */
export const MAX_SEARCH_PAGE = 200
export const DEFAULT_SEARCH_PAGE = 50
/** Rows an export reads from the database at a time: its memory is bounded by one batch, whatever the event's size. */
export const EXPORT_BATCH = 1_000

/** A buyer's name matches a searched name when it contains it, ignoring case. */
export const nameMatches = (name: string, searched: string): boolean =>
  name.toLowerCase().includes(searched.toLowerCase())

/** Whether an order meets every criterion of the filter (`ticketIds`: the ids of the order's tickets). */
export const matchesFilter = (order: OrderSummary, ticketIds: ReadonlyArray<string>, filter: OrderFilter): boolean =>
  (filter.status === undefined || order.status === filter.status) &&
  (filter.email === undefined || order.buyerEmail === filter.email.trim().toLowerCase()) &&
  (filter.name === undefined || nameMatches(order.buyerName, filter.name)) &&
  (filter.ticketId === undefined || ticketIds.includes(filter.ticketId)) &&
  (filter.createdFrom === undefined || order.createdAt.getTime() >= filter.createdFrom.getTime()) &&
  (filter.createdTo === undefined || order.createdAt.getTime() <= filter.createdTo.getTime())

/** A ticket is on the attendee list while it admits: not voided (refunded). */
export const isAttending = (ticket: Ticket): boolean => ticket.status === "valid"

const compare = (a: KeysetPosition, b: KeysetPosition): number =>
  a.at.getTime() - b.at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** An order's place in the search: (createdAt, id), listed newest first. */
export const orderPosition = (o: OrderSummary): KeysetPosition => ({ at: o.createdAt, id: o.id })
/** An attendee's place in the list: (issuedAt, ticket id), listed in the order tickets were issued. */
export const attendeePosition = (a: AttendeeLine): KeysetPosition => ({ at: a.issuedAt, id: a.ticketId })

/** True when `p` comes after the cursor in the search's order (newest first). */
export const isAfterInSearch = (p: KeysetPosition, cursor: KeysetPosition | undefined): boolean =>
  cursor === undefined || compare(p, cursor) < 0
/** True when `p` comes after the cursor in the attendee list's order (oldest first). */
export const isAfterInAttendees = (p: KeysetPosition, cursor: KeysetPosition | undefined): boolean =>
  cursor === undefined || compare(p, cursor) > 0

export const newestFirst = (a: OrderSummary, b: OrderSummary): number => compare(orderPosition(b), orderPosition(a))
export const inIssueOrder = (a: AttendeeLine, b: AttendeeLine): number =>
  compare(attendeePosition(a), attendeePosition(b))

/** Why a search's date range cannot match anything, if it cannot. */
export const rangeProblem = (from: Date | undefined, to: Date | undefined): string | undefined =>
  from !== undefined && to !== undefined && from.getTime() > to.getTime() ? "must not be before `from`" : undefined

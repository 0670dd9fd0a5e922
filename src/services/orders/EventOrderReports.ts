import { Context, Effect, Layer, Option, Stream } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { type AttendeeLine, EventOrders, type OrderFilter, type OrderSummary } from "../../domain/orders/EventOrders.ts"
import { attendeePosition, EXPORT_BATCH, orderPosition } from "../../domain/orders/OrderSearch.ts"
import { TicketCodes } from "../../domain/orders/TicketCodes.ts"
import { csvLine } from "../../domain/shared/Csv.ts"
import { decodeCursor, type KeysetPosition } from "../../domain/shared/Cursor.ts"
import type { EventId } from "../../domain/shared/Ids.ts"
import { type PageOf, pageOf } from "../../domain/shared/Page.ts"
import { Catalog } from "../catalog/Catalog.ts"

/** The search as a caller asks it: the filter, with a ticket's code (as printed) rather than its id. */
export interface OrderQuery extends Omit<OrderFilter, "ticketId"> {
  readonly ticketCode?: string | undefined
}

const ORDER_COLUMNS = [
  "orderId",
  "status",
  "buyerEmail",
  "buyerName",
  "tickets",
  "validTickets",
  "totalMinor",
  "refundedMinor",
  "currency",
  "createdAt",
  "confirmedAt",
  "cancelledAt"
]
const orderLine = (o: OrderSummary) =>
  csvLine([
    o.id,
    o.status,
    o.buyerEmail,
    o.buyerName,
    o.tickets,
    o.validTickets,
    o.totalMinor,
    o.refundedMinor,
    o.currency,
    o.createdAt,
    o.confirmedAt,
    o.cancelledAt
  ])

const ATTENDEE_COLUMNS = [
  "ticketId",
  "orderId",
  "ticketTypeId",
  "ticketType",
  "seat",
  "buyerEmail",
  "buyerName",
  "attendeeName",
  "checkedIn",
  "checkedInAt",
  "issuedAt"
]
const attendeeLine = (a: AttendeeLine) =>
  csvLine([
    a.ticketId,
    a.orderId,
    a.ticketTypeId,
    a.ticketTypeName,
    a.seatLabel,
    a.buyerEmail,
    a.buyerName,
    a.attendeeName,
    a.checkedInAt !== null,
    a.checkedInAt,
    a.issuedAt
  ])

/**
 * A CSV document read from the database a batch at a time (keyset pages of EXPORT_BATCH rows): each batch is sent
 * before the next is read, and the response's back-pressure holds the reading, so memory stays one batch whatever
 * the event's size.
 */
const csvStream = <A>(
  columns: ReadonlyArray<string>,
  batch: (after: KeysetPosition | undefined, limit: number) => Effect.Effect<ReadonlyArray<A>>,
  line: (a: A) => string,
  position: (a: A) => KeysetPosition
): Stream.Stream<Uint8Array> =>
  Stream.concat(
    Stream.succeed(csvLine(columns)),
    Stream.paginate(undefined as KeysetPosition | undefined, (after) =>
      Effect.map(batch(after, EXPORT_BATCH), (rows) => {
        const last = rows[rows.length - 1]
        return [
          rows.length === 0 ? [] : [rows.map(line).join("")],
          rows.length < EXPORT_BATCH || last === undefined ? Option.none() : Option.some(position(last))
        ] as const
      })
    )
  ).pipe(Stream.encodeText)

/**
 * An event's orders and attendees for its organizer (or the organizer's API keys, or an admin): searched and listed
 * by pages, exported as CSV. Someone else's event is 403 (404 for a draft), as everywhere (Catalog.requireManaged).
 */
export class EventOrderReports extends Context.Service<EventOrderReports>()("goticket/EventOrderReports", {
  make: Effect.gen(function* () {
    const catalog = yield* Catalog
    const eventOrders = yield* EventOrders
    const codes = yield* TicketCodes

    /** The filter a query means; none when it names a ticket code that is no ticket of this event (no match). */
    const filterOf = (eventId: EventId, query: OrderQuery) =>
      Effect.gen(function* () {
        const { ticketCode, ...rest } = query
        if (ticketCode === undefined) return Option.some<OrderFilter>(rest)
        const named = yield* codes.verify(ticketCode)
        if (Option.isNone(named) || named.value.eventId !== eventId) return Option.none<OrderFilter>()
        return Option.some<OrderFilter>({ ...rest, ticketId: named.value.ticketId })
      })

    const after = (cursor: string | undefined) =>
      cursor === undefined ? undefined : Option.getOrUndefined(decodeCursor(cursor))

    const search = Effect.fn("EventOrderReports.search")(function* (
      actor: Actor,
      eventId: EventId,
      query: OrderQuery,
      page: { readonly cursor?: string | undefined; readonly limit: number }
    ) {
      yield* catalog.requireManaged(actor, eventId)
      const filter = yield* filterOf(eventId, query)
      if (Option.isNone(filter)) return { items: [], nextCursor: null } satisfies PageOf<OrderSummary>
      const rows = yield* eventOrders.searchOrders(eventId, filter.value, after(page.cursor), page.limit + 1)
      return pageOf(rows, page.limit, orderPosition)
    })

    const attendees = Effect.fn("EventOrderReports.attendees")(function* (
      actor: Actor,
      eventId: EventId,
      page: { readonly cursor?: string | undefined; readonly limit: number }
    ) {
      yield* catalog.requireManaged(actor, eventId)
      const rows = yield* eventOrders.attendees(eventId, after(page.cursor), page.limit + 1)
      return pageOf(rows, page.limit, attendeePosition)
    })

    const ordersCsv = Effect.fn("EventOrderReports.ordersCsv")(function* (
      actor: Actor,
      eventId: EventId,
      query: OrderQuery
    ) {
      yield* catalog.requireManaged(actor, eventId)
      const filter = yield* filterOf(eventId, query)
      return csvStream(
        ORDER_COLUMNS,
        (position, limit) =>
          Option.isNone(filter) ? Effect.succeed([]) : eventOrders.searchOrders(eventId, filter.value, position, limit),
        orderLine,
        orderPosition
      )
    })

    const attendeesCsv = Effect.fn("EventOrderReports.attendeesCsv")(function* (actor: Actor, eventId: EventId) {
      yield* catalog.requireManaged(actor, eventId)
      return csvStream(
        ATTENDEE_COLUMNS,
        (position, limit) => eventOrders.attendees(eventId, position, limit),
        attendeeLine,
        attendeePosition
      )
    })

    return { search, attendees, ordersCsv, attendeesCsv } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

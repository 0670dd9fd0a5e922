import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { AttendeeLine, EventOrders, OrderSummary } from "../../domain/orders/EventOrders.ts"
import type { OrderStatus } from "../../domain/orders/Order.ts"
import type { EventId, OrderId, TicketId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"

interface OrderRow {
  readonly id: string
  readonly eventId: string
  readonly customerId: string
  readonly buyerEmail: string
  readonly buyerName: string
  readonly status: string
  readonly totalMinor: string | number | bigint
  readonly refundedMinor: string | number | bigint
  readonly currency: string
  readonly tickets: number
  readonly validTickets: number
  readonly createdAt: Date
  readonly confirmedAt: Date | null
  readonly cancelledAt: Date | null
}

interface AttendeeRow {
  readonly ticketId: string
  readonly orderId: string
  readonly eventId: string
  readonly ticketTypeId: string
  readonly ticketTypeName: string
  readonly seatLabel: string | null
  readonly buyerEmail: string
  readonly buyerName: string
  readonly attendeeName: string | null
  readonly issuedAt: Date
  readonly checkedInAt: Date | null
}

// Rows the tables' constraints keep valid: the schema checks are skipped.
const trusted = { disableChecks: true } as const

const summaryOf = (r: OrderRow) =>
  new OrderSummary(
    {
      id: r.id as OrderId,
      eventId: r.eventId as EventId,
      customerId: r.customerId as UserId,
      buyerEmail: r.buyerEmail,
      buyerName: r.buyerName,
      status: r.status as OrderStatus,
      totalMinor: Number(r.totalMinor),
      refundedMinor: Number(r.refundedMinor),
      currency: r.currency as Currency,
      tickets: Number(r.tickets),
      validTickets: Number(r.validTickets),
      createdAt: r.createdAt,
      confirmedAt: r.confirmedAt,
      cancelledAt: r.cancelledAt
    },
    trusted
  )

const attendeeOf = (r: AttendeeRow) =>
  new AttendeeLine(
    {
      ticketId: r.ticketId as TicketId,
      orderId: r.orderId as OrderId,
      eventId: r.eventId as EventId,
      ticketTypeId: r.ticketTypeId as TicketTypeId,
      ticketTypeName: r.ticketTypeName,
      seatLabel: r.seatLabel,
      buyerEmail: r.buyerEmail,
      buyerName: r.buyerName,
      attendeeName: r.attendeeName,
      issuedAt: r.issuedAt,
      checkedInAt: r.checkedInAt
    },
    trusted
  )

/**
 * An event's orders and attendees from `orders`, `tickets` and `users`, one keyset page per statement (the indexes
 * of migrations/0028_order_search.sql): a page deep in a large event costs what the first one does.
 */
export const EventOrdersPg = Layer.effect(
  EventOrders,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const none = sql``

    return EventOrders.of({
      searchOrders: (eventId, filter, after, limit) =>
        sql<OrderRow>`
          SELECT o.id, o.event_id, o.customer_id, u.email AS buyer_email, u.name AS buyer_name, o.status,
                 o.total_minor, o.refunded_minor, o.currency,
                 n.tickets, n.valid_tickets, o.created_at, o.confirmed_at, o.cancelled_at
          FROM orders o JOIN users u ON u.id = o.customer_id
            CROSS JOIN LATERAL (
              SELECT count(*)::integer AS tickets, (count(*) FILTER (WHERE t.status = 'valid'))::integer AS valid_tickets
              FROM tickets t WHERE t.order_id = o.id) n
          WHERE o.event_id = ${eventId}
            ${filter.status === undefined ? none : sql`AND o.status = ${filter.status}`}
            ${
              filter.email === undefined
                ? none
                : sql`AND o.customer_id = (SELECT x.id FROM users x WHERE x.email = ${filter.email.trim().toLowerCase()})`
            }
            ${filter.name === undefined ? none : sql`AND strpos(lower(u.name), lower(${filter.name})) > 0`}
            ${
              filter.ticketId === undefined
                ? none
                : sql`AND o.id = (SELECT t.order_id FROM tickets t WHERE t.id = ${filter.ticketId})`
            }
            ${filter.createdFrom === undefined ? none : sql`AND o.created_at >= ${filter.createdFrom}`}
            ${filter.createdTo === undefined ? none : sql`AND o.created_at <= ${filter.createdTo}`}
            ${after === undefined ? none : sql`AND (o.created_at, o.id) < (${after.at}, ${after.id})`}
          ORDER BY o.created_at DESC, o.id DESC
          LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.map(summaryOf)),
          Effect.orDie,
          Effect.withSpan("EventOrders.searchOrders")
        ),
      attendees: (eventId, after, limit) =>
        sql<AttendeeRow>`
          SELECT t.id AS ticket_id, t.order_id, t.event_id, t.ticket_type_id, tt.name AS ticket_type_name,
                 seat_label(t.seat_id) AS seat_label, u.email AS buyer_email, u.name AS buyer_name,
                 t.attendee_name, t.issued_at, t.checked_in_at
          FROM tickets t JOIN ticket_types tt ON tt.id = t.ticket_type_id JOIN users u ON u.id = t.customer_id
          WHERE t.event_id = ${eventId} AND t.status = 'valid'
            ${after === undefined ? none : sql`AND (t.issued_at, t.id) > (${after.at}, ${after.id})`}
          ORDER BY t.issued_at, t.id
          LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.map(attendeeOf)),
          Effect.orDie,
          Effect.withSpan("EventOrders.attendees")
        )
    })
  })
)

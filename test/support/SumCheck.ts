import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The books of the PostgreSQL inventory, for tests: every counter must equal what it counts.
 *   ticket_types.held = units of active holds (items + seats)
 *   ticket_types.sold = valid tickets + lines of pending orders whose units are claimed (not yet confirmed)
 *   a seated type's held/sold = its seats in status held/sold
 *   customer_event_tickets.tickets = tickets of the customer's active holds + valid tickets + claimed pending lines
 * Returns one row per counter that disagrees (empty when the books balance), for the given events or all of them.
 */
export const inventoryMismatches = (eventIds?: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const events = eventIds ? `{${eventIds.join(",")}}` : null
    const types = yield* sql<{
      ticketTypeId: string
      name: string
      held: number
      sold: number
      expectedHeld: number
      expectedSold: number
      seatsHeld: number | null
      seatsSold: number | null
    }>`
      WITH holding AS (
        SELECT ticket_type_id, sum(n)::int AS n FROM (
          SELECT i.ticket_type_id, i.quantity AS n FROM reservation_items i
            JOIN reservations r ON r.id = i.reservation_id WHERE r.status = 'active'
          UNION ALL
          SELECT rs.ticket_type_id, 1 FROM reservation_seats rs
            JOIN reservations r ON r.id = rs.reservation_id WHERE r.status = 'active') u
        GROUP BY 1),
      selling AS (
        SELECT ticket_type_id, count(*)::int AS n FROM (
          SELECT t.ticket_type_id FROM tickets t WHERE t.status = 'valid'
          UNION ALL
          SELECT l.ticket_type_id FROM order_lines l JOIN orders o ON o.id = l.order_id
            WHERE o.units_claimed AND o.status = 'pending_payment') u
        GROUP BY 1),
      seat_counts AS (
        SELECT ticket_type_id, count(*) FILTER (WHERE status = 'held')::int AS held,
               count(*) FILTER (WHERE status = 'sold')::int AS sold
        FROM seats GROUP BY 1)
      SELECT t.id AS ticket_type_id, t.name, t.held, t.sold,
             coalesce(h.n, 0) AS expected_held, coalesce(s.n, 0) AS expected_sold,
             c.held AS seats_held, c.sold AS seats_sold
      FROM ticket_types t
        LEFT JOIN holding h ON h.ticket_type_id = t.id
        LEFT JOIN selling s ON s.ticket_type_id = t.id
        LEFT JOIN seat_counts c ON c.ticket_type_id = t.id
      WHERE (${events}::uuid[] IS NULL OR t.event_id = ANY (${events}::uuid[]))
        AND (t.held <> coalesce(h.n, 0) OR t.sold <> coalesce(s.n, 0)
             OR (t.seated AND (t.held <> coalesce(c.held, 0) OR t.sold <> coalesce(c.sold, 0))))`
    const customers = yield* sql<{ customerId: string; eventId: string; tickets: number; expected: number }>`
      WITH counted AS (
        SELECT customer_id, event_id, sum(n)::int AS n FROM (
          SELECT r.customer_id, r.event_id, r.tickets AS n FROM reservations r WHERE r.status = 'active'
          UNION ALL
          SELECT t.customer_id, t.event_id, 1 FROM tickets t WHERE t.status = 'valid'
          UNION ALL
          SELECT o.customer_id, o.event_id, 1 FROM order_lines l JOIN orders o ON o.id = l.order_id
            WHERE o.units_claimed AND o.status = 'pending_payment') u
        GROUP BY 1, 2)
      SELECT c.customer_id, c.event_id, c.tickets, coalesce(x.n, 0) AS expected
      FROM customer_event_tickets c
        LEFT JOIN counted x ON x.customer_id = c.customer_id AND x.event_id = c.event_id
      WHERE (${events}::uuid[] IS NULL OR c.event_id = ANY (${events}::uuid[]))
        AND c.tickets <> coalesce(x.n, 0)`
    return [
      ...types.map((t) => ({ kind: "ticket type" as const, ...t })),
      ...customers.map((c) => ({ kind: "customer count" as const, ...c }))
    ]
  }).pipe(Effect.orDie)

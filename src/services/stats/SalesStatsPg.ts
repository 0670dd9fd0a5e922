import { Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { SalesStats, TicketTypeSales } from "../../domain/stats/SalesStats.ts"

const decodeSales = Schema.decodeUnknownSync(TicketTypeSales)

/** The sales projection in `event_sales` (migrations/0005_domain_events.sql): one counter row per ticket type. */
export const SalesStatsPg = Layer.effect(
  SalesStats,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return SalesStats.of({
      record: (fact) => {
        const delta =
          fact._tag === "TicketIssued"
            ? { sold: 1, refunded: 0, checkedIn: 0, gross: fact.priceMinor, refundedMinor: 0, currency: fact.currency }
            : fact._tag === "TicketVoided"
              ? {
                  sold: 0,
                  refunded: 1,
                  checkedIn: 0,
                  gross: 0,
                  refundedMinor: fact.priceMinor,
                  currency: fact.currency
                }
              : { sold: 0, refunded: 0, checkedIn: 1, gross: 0, refundedMinor: 0, currency: null }
        // A check-in row may come first (events of different tickets are not ordered); its currency is then
        // taken from the ticket type.
        return sql`
          INSERT INTO event_sales (event_id, ticket_type_id, currency, sold, refunded, checked_in, gross_minor, refunded_minor)
          VALUES (${fact.eventId}, ${fact.ticketTypeId},
                  coalesce(${delta.currency}::char(3), (SELECT t.currency FROM ticket_types t WHERE t.id = ${fact.ticketTypeId}), 'XXX'),
                  ${delta.sold}, ${delta.refunded}, ${delta.checkedIn}, ${delta.gross}, ${delta.refundedMinor})
          ON CONFLICT (event_id, ticket_type_id) DO UPDATE SET
            sold = event_sales.sold + EXCLUDED.sold, refunded = event_sales.refunded + EXCLUDED.refunded,
            checked_in = event_sales.checked_in + EXCLUDED.checked_in,
            gross_minor = event_sales.gross_minor + EXCLUDED.gross_minor,
            refunded_minor = event_sales.refunded_minor + EXCLUDED.refunded_minor, updated_at = now()`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("SalesStats.record", { attributes: { event: fact._tag } })
        )
      },
      forEvent: (eventId) =>
        sql`SELECT event_id, ticket_type_id, currency, sold, refunded, checked_in, gross_minor::float8 AS gross_minor,
                   refunded_minor::float8 AS refunded_minor, updated_at
            FROM event_sales WHERE event_id = ${eventId} ORDER BY ticket_type_id`.pipe(
          Effect.map((rows) =>
            rows.map((row) => decodeSales({ ...row, updatedAt: (row.updatedAt as Date).toISOString() }))
          ),
          Effect.orDie,
          Effect.withSpan("SalesStats.forEvent")
        )
    })
  })
)

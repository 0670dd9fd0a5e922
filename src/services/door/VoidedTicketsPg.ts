import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { VoidedTickets } from "../../domain/door/VoidedTickets.ts"
import type { TicketId } from "../../domain/shared/Ids.ts"

/** Voided tickets from `tickets` (its `(event_id, status)` index). */
export const VoidedTicketsPg = Layer.effect(
  VoidedTickets,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return VoidedTickets.of({
      ofEvent: (eventId) =>
        sql<{ id: string }>`SELECT id FROM tickets WHERE event_id = ${eventId} AND status = 'voided' ORDER BY id`.pipe(
          Effect.map((rows) => rows.map((r) => r.id as TicketId)),
          Effect.orDie,
          Effect.withSpan("VoidedTickets.ofEvent")
        )
    })
  })
)

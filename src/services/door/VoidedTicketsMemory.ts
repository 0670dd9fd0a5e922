import { Effect, Layer, Ref } from "effect"
import { VoidedTickets } from "../../domain/door/VoidedTickets.ts"
import type { TicketId } from "../../domain/shared/Ids.ts"
import { MemoryStore, MemoryStoreLive } from "../memory/MemoryStore.ts"

/** The in-memory twin of VoidedTicketsPg, over the in-memory adapters' shared tables. */
export const VoidedTicketsMemory = Layer.effect(
  VoidedTickets,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return VoidedTickets.of({
      ofEvent: (eventId) =>
        Effect.map(Ref.get(store), (tables) =>
          [...tables.tickets.values()]
            .filter((row) => row.ticket.eventId === eventId && row.ticket.status === "voided")
            .map((row) => row.ticket.id as TicketId)
            .sort()
        )
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

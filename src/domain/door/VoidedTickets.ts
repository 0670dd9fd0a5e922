import { Context, type Effect } from "effect"
import type { EventId, TicketId } from "../shared/Ids.ts"

/**
 * Port: the tickets of an event that were voided (refunded), for the gate devices that validate codes offline: a
 * code is genuine by its MAC, and valid unless it is on this list.
 */
export interface VoidedTicketsShape {
  /** The event's voided tickets, in id order. */
  readonly ofEvent: (eventId: EventId) => Effect.Effect<ReadonlyArray<TicketId>>
}

export class VoidedTickets extends Context.Service<VoidedTickets, VoidedTicketsShape>()("goticket/VoidedTickets") {}

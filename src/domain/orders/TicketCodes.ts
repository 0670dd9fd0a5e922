import { Context, type Effect, type Option } from "effect"
import type { EventId, TicketId } from "../shared/Ids.ts"

/**
 * Port: the code printed on a ticket (and in its QR image). It names the ticket and its event and carries a MAC,
 * so a scanner holding the event's key can tell a forged code from a real one without asking the server.
 */
export interface TicketCodesShape {
  readonly sign: (ticketId: TicketId, eventId: EventId) => Effect.Effect<string>
  /** The ticket and event a genuine code names; none for anything forged or malformed. */
  readonly verify: (
    code: string
  ) => Effect.Effect<Option.Option<{ readonly ticketId: TicketId; readonly eventId: EventId }>>
}

export class TicketCodes extends Context.Service<TicketCodes, TicketCodesShape>()("goticket/TicketCodes") {}

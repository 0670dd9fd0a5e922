import { Context, type Effect, Schema } from "effect"
import type { TicketCheckedIn, TicketIssued, TicketVoided } from "../events/DomainEvents.ts"
import { EventId, TicketTypeId } from "../shared/Ids.ts"
import { Currency } from "../shared/Money.ts"

/** An event's sales of one ticket type, as the sales projection counts them. Revenue is gross minus refunded. */
export class TicketTypeSales extends Schema.Class<TicketTypeSales>("TicketTypeSales")({
  eventId: EventId,
  ticketTypeId: TicketTypeId,
  currency: Currency,
  sold: Schema.Int,
  refunded: Schema.Int,
  checkedIn: Schema.Int,
  grossMinor: Schema.Int,
  refundedMinor: Schema.Int,
  updatedAt: Schema.DateFromString
}) {}

/** The events the projection counts. */
export type SalesFact = TicketIssued | TicketVoided | TicketCheckedIn

/**
 * Port: the per-event sales projection, kept up to date from domain events (at least once; the consumer's inbox
 * makes each event count once).
 */
export interface SalesStatsShape {
  readonly record: (fact: SalesFact) => Effect.Effect<void>
  readonly forEvent: (eventId: EventId) => Effect.Effect<ReadonlyArray<TicketTypeSales>>
}

export class SalesStats extends Context.Service<SalesStats, SalesStatsShape>()("goticket/SalesStats") {}

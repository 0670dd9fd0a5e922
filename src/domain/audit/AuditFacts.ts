import type { Event } from "../catalog/Event.ts"
import type { TicketType } from "../catalog/TicketType.ts"
import type { AuditSummary, SummaryFields } from "./AuditLog.ts"

/** The facts of catalog resources an audit summary shows: what an organizer set, nothing about people. */

const iso = (at: Date | null) => (at === null ? null : at.toISOString())

/** An event as the audit trail shows it (the description only by its length). */
export const eventFacts = (event: Event): SummaryFields => ({
  title: event.title,
  status: event.status,
  venue: event.venue.name,
  timezone: event.venue.timezone,
  startsAt: iso(event.startsAt),
  endsAt: iso(event.endsAt),
  salesStartAt: iso(event.salesStartAt),
  salesEndAt: iso(event.salesEndAt),
  refundCutoffHours: event.refundCutoffHours,
  descriptionLength: event.description?.length ?? 0,
  version: event.version
})

export const ticketTypeFacts = (ticketType: TicketType): SummaryFields => ({
  typeName: ticketType.name,
  priceMinor: ticketType.priceMinor,
  currency: ticketType.currency,
  capacity: ticketType.capacity,
  maxPerOrder: ticketType.maxPerOrder,
  seated: ticketType.seated,
  attendeeNames: ticketType.attendeeNames
})

/** Before and after, limited to the fields that differ. */
export const changes = (before: SummaryFields, after: SummaryFields): AuditSummary => {
  const was: Record<string, SummaryFields[string]> = {}
  const is: Record<string, SummaryFields[string]> = {}
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key] ?? null
    const b = after[key] ?? null
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      was[key] = a
      is[key] = b
    }
  }
  return { before: was, after: is }
}

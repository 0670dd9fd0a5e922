import type { EventStatus } from "../catalog/Event.ts"
import type { Seat, Section } from "../catalog/Seating.ts"
import type { TicketType } from "../catalog/TicketType.ts"
import type { EventId, SectionId, TicketTypeId } from "../shared/Ids.ts"

export interface TicketTypeAvailability {
  readonly ticketTypeId: TicketTypeId
  readonly name: string
  readonly seated: boolean
  readonly capacity: number
  readonly held: number
  readonly sold: number
  readonly available: number
}

export interface SectionAvailability {
  readonly sectionId: SectionId
  readonly name: string
  readonly seats: number
  readonly available: number
  readonly byTicketType: ReadonlyArray<{ readonly ticketTypeId: TicketTypeId; readonly available: number }>
}

/** What is left of an event to sell, per ticket type and per section of its seat map, without a version yet. */
export interface AvailabilityFigures {
  readonly eventId: EventId
  readonly status: EventStatus
  readonly ticketTypes: ReadonlyArray<TicketTypeAvailability>
  readonly sections: ReadonlyArray<SectionAvailability>
}

/** The figures of an event from its ticket types and (seated events) its seat map; sections in their order. */
export const availabilityOf = (
  eventId: EventId,
  status: EventStatus,
  ticketTypes: ReadonlyArray<TicketType>,
  seating: { readonly sections: ReadonlyArray<Section>; readonly seats: ReadonlyArray<Seat> }
): AvailabilityFigures => {
  const perSection = new Map<string, { seats: number; available: number; byType: Map<TicketTypeId, number> }>()
  for (const seat of seating.seats) {
    const entry = perSection.get(seat.sectionId) ?? { seats: 0, available: 0, byType: new Map() }
    entry.seats++
    if (seat.status === "available") {
      entry.available++
      entry.byType.set(seat.ticketTypeId, (entry.byType.get(seat.ticketTypeId) ?? 0) + 1)
    }
    perSection.set(seat.sectionId, entry)
  }
  return {
    eventId,
    status,
    ticketTypes: ticketTypes.map((t) => ({
      ticketTypeId: t.id,
      name: t.name,
      seated: t.seated,
      capacity: t.capacity,
      held: t.held,
      sold: t.sold,
      available: t.available
    })),
    sections: [...seating.sections]
      .sort((a, b) => a.position - b.position)
      .map((section) => {
        const entry = perSection.get(section.id)
        return {
          sectionId: section.id,
          name: section.name,
          seats: entry?.seats ?? 0,
          available: entry?.available ?? 0,
          byTicketType: [...(entry?.byType ?? new Map<TicketTypeId, number>())]
            .map(([ticketTypeId, available]) => ({ ticketTypeId, available }))
            .sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1))
        }
      })
  }
}

/** Whether two readings of an event differ in anything a buyer would notice. */
export const sameFigures = (a: AvailabilityFigures, b: AvailabilityFigures): boolean =>
  a.status === b.status && JSON.stringify([a.ticketTypes, a.sections]) === JSON.stringify([b.ticketTypes, b.sections])

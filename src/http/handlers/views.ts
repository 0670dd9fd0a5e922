import { Struct } from "effect"
import type { User } from "../../domain/accounts/User.ts"
import type { Event } from "../../domain/catalog/Event.ts"
import type { StaffMember } from "../../domain/catalog/EventRepository.ts"
import { statusAt } from "../../domain/catalog/EventRules.ts"
import type { Seat, Section } from "../../domain/catalog/Seating.ts"
import type { TicketType } from "../../domain/catalog/TicketType.ts"
import type { EventId } from "../../domain/shared/Ids.ts"
import type { EventView, SeatMapView, StaffView, TicketTypeView, UserView } from "../api/views.ts"

/** Domain objects → API views. */

export const userView = (user: User): typeof UserView.Type => ({
  id: user.id,
  email: user.email,
  name: user.name,
  accountType: user.accountType,
  roles: user.isAdmin ? [user.accountType, "admin"] : [user.accountType],
  createdAt: user.createdAt
})

export const eventView = (event: Event, now: Date): typeof EventView.Type => ({
  ...Struct.omit(event, ["venue", "status"]),
  venue: Struct.pick(event.venue, ["name", "address", "timezone"]),
  status: statusAt(event, now)
})

export const ticketTypeView = (t: TicketType): typeof TicketTypeView.Type => ({
  ...Struct.pick(t, [
    "id",
    "eventId",
    "name",
    "priceMinor",
    "currency",
    "capacity",
    "maxPerOrder",
    "seated",
    "attendeeNames"
  ]),
  available: t.available
})

export const staffView = (eventId: EventId, m: StaffMember): typeof StaffView.Type => ({
  eventId,
  userId: m.user.id,
  email: m.user.email,
  name: m.user.name,
  grantedAt: m.grantedAt
})

/** Seats arrive ordered by section, row and position; they are grouped in that order. */
export const seatMapView = (
  eventId: EventId,
  map: { readonly sections: ReadonlyArray<Section>; readonly seats: ReadonlyArray<Seat> }
): typeof SeatMapView.Type => {
  const bySection = new Map<string, Map<string, Array<Seat>>>()
  for (const seat of map.seats) {
    const rows = bySection.get(seat.sectionId) ?? new Map<string, Array<Seat>>()
    bySection.set(seat.sectionId, rows)
    const row = rows.get(seat.row) ?? []
    rows.set(seat.row, row)
    row.push(seat)
  }
  return {
    eventId,
    sections: map.sections.map((section) => ({
      id: section.id,
      name: section.name,
      rows: [...(bySection.get(section.id) ?? new Map<string, Array<Seat>>()).entries()].map(([label, seats]) => ({
        label,
        seats: seats.map((s) => ({ id: s.id, label: s.label, ticketTypeId: s.ticketTypeId, status: s.status }))
      }))
    }))
  }
}

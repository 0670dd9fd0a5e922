import { Context, type Effect, type Option } from "effect"
import type { User } from "../accounts/User.ts"
import type { AttendeeNamesPolicy } from "../orders/AttendeeNames.ts"
import type { EventId, TicketTypeId, UserId } from "../shared/Ids.ts"
import type { PageOf } from "../shared/Page.ts"
import type { Event } from "./Event.ts"
import type { CapacityBelowCommitted, EventChangedConcurrently } from "./errors.ts"
import type { Seat, Section } from "./Seating.ts"
import type { TicketType } from "./TicketType.ts"

export interface EventSearch {
  readonly text?: string | undefined
  readonly from?: Date | undefined
  readonly to?: Date | undefined
  readonly cursor?: string | undefined
  readonly limit: number
}

export interface TicketTypeChange {
  readonly name?: string | undefined
  readonly priceMinor?: number | undefined
  readonly capacity?: number | undefined
  readonly maxPerOrder?: number | undefined
  readonly attendeeNames?: AttendeeNamesPolicy | undefined
}

export interface StaffMember {
  readonly user: User
  readonly grantedAt: Date
}

/**
 * Port: events, their ticket types, seat maps and staff.
 * Pages are ordered by (startsAt, id); the cursor is opaque to callers.
 */
export interface EventRepositoryShape {
  readonly insert: (event: Event) => Effect.Effect<void>
  /** Optimistic concurrency: writes only if the stored version is still `event.version`, and bumps it. */
  readonly update: (event: Event) => Effect.Effect<Event, EventChangedConcurrently>
  readonly findById: (id: EventId) => Effect.Effect<Option.Option<Event>>
  readonly listByOrganizer: (
    organizerId: UserId,
    page: { readonly cursor?: string | undefined; readonly limit: number }
  ) => Effect.Effect<PageOf<Event>>
  /** Status `published` only, startsAt within [from, to], `text` matched case-insensitively in title, description and venue. */
  readonly searchPublished: (search: EventSearch) => Effect.Effect<PageOf<Event>>
  readonly insertTicketType: (ticketType: TicketType) => Effect.Effect<void>
  readonly listTicketTypes: (eventId: EventId) => Effect.Effect<ReadonlyArray<TicketType>>
  /** The capacity guard (capacity ≥ held + sold) is checked by the store itself, atomically. */
  readonly updateTicketType: (
    id: TicketTypeId,
    change: TicketTypeChange
  ) => Effect.Effect<Option.Option<TicketType>, CapacityBelowCommitted>
  /** Replaces the whole seat map in one step and sets each seated type's capacity to its seat count. */
  readonly replaceSeating: (
    eventId: EventId,
    sections: ReadonlyArray<Section>,
    seats: ReadonlyArray<Seat>
  ) => Effect.Effect<void>
  readonly seatMap: (
    eventId: EventId
  ) => Effect.Effect<{ readonly sections: ReadonlyArray<Section>; readonly seats: ReadonlyArray<Seat> }>
  /** Idempotent: granting twice keeps the first grant. */
  readonly grantStaff: (eventId: EventId, userId: UserId, grantedBy: UserId, at: Date) => Effect.Effect<void>
  readonly isStaff: (eventId: EventId, userId: UserId) => Effect.Effect<boolean>
  readonly listStaff: (eventId: EventId) => Effect.Effect<ReadonlyArray<StaffMember>>
}

export class EventRepository extends Context.Service<EventRepository, EventRepositoryShape>()(
  "goticket/EventRepository"
) {}

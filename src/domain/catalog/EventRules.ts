import { Result } from "effect"
import type { EventId, UserId } from "../shared/Ids.ts"
import { Event, type EventStatus, type Schedule, type Venue } from "./Event.ts"
import { CapacityBelowCommitted, EventRuleViolation } from "./errors.ts"
import type { SeatingPlan } from "./Seating.ts"
import type { TicketType } from "./TicketType.ts"

/** Pure rules of the catalog: every function decides, none performs I/O. */

const MAX_EVENT_LENGTH_MS = 366 * 24 * 3600 * 1000
const MAX_YEARS_AHEAD = 10

export const violationOf = (rule: string, message: string) => new EventRuleViolation({ rule, message })
const violation = (rule: string, message: string) => Result.fail(violationOf(rule, message))

export const endOf = (s: Schedule): Date => s.endsAt ?? s.startsAt

/** What the public sees: a published event whose end has passed has ended. */
export const statusAt = (event: Event, now: Date): EventStatus =>
  event.status === "published" && endOf(event).getTime() < now.getTime() ? "ended" : event.status

export const isPubliclyVisible = (event: Event): boolean => event.status !== "draft"

export const validateSchedule = (s: Schedule, now: Date): Result.Result<Schedule, EventRuleViolation> => {
  const start = s.startsAt.getTime()
  const end = endOf(s).getTime()
  const limit = new Date(now)
  limit.setUTCFullYear(limit.getUTCFullYear() + MAX_YEARS_AHEAD)
  if (start > limit.getTime()) return violation("starts_too_far", "startsAt is more than ten years ahead")
  if (s.endsAt !== null && s.endsAt.getTime() <= start)
    return violation("ends_before_start", "endsAt must be after startsAt")
  if (end - start > MAX_EVENT_LENGTH_MS) return violation("too_long", "an event may last at most 366 days")
  if (s.salesStartAt !== null && s.salesEndAt !== null && s.salesStartAt.getTime() >= s.salesEndAt.getTime())
    return violation("sales_window_empty", "salesStartAt must be before salesEndAt")
  if (s.salesStartAt !== null && s.salesStartAt.getTime() >= end)
    return violation("sales_start_after_event", "sales must open before the event ends")
  if (s.salesEndAt !== null && s.salesEndAt.getTime() > end)
    return violation("sales_end_after_event", "sales must close no later than the end of the event")
  return Result.succeed(s)
}

export interface DraftInput extends Schedule {
  readonly title: string
  readonly description: string | null
  readonly venue: Venue
  readonly refundCutoffHours?: number | null
}

export const createDraft = (
  input: DraftInput,
  ids: { readonly id: EventId; readonly organizerId: UserId },
  now: Date
): Result.Result<Event, EventRuleViolation> => {
  if (input.startsAt.getTime() <= now.getTime()) return violation("starts_in_past", "startsAt must be in the future")
  if (input.salesEndAt !== null && input.salesEndAt.getTime() <= now.getTime())
    return violation("sales_closed", "salesEndAt is already past")
  return Result.map(
    validateSchedule(input, now),
    () =>
      new Event({
        ...input,
        id: ids.id,
        organizerId: ids.organizerId,
        status: "draft",
        version: 1,
        createdAt: now,
        updatedAt: now,
        publishedAt: null,
        cancelledAt: null
      })
  )
}

/** Fields left undefined stay as they are. */
export type EventPatch = { readonly [K in keyof DraftInput]?: DraftInput[K] | undefined }

/** Edits are allowed until the event is cancelled or over; the merged schedule must still hold. */
export const applyEdit = (event: Event, patch: EventPatch, now: Date): Result.Result<Event, EventRuleViolation> => {
  const status = statusAt(event, now)
  if (status === "cancelled" || status === "ended")
    return violation("event_closed", `a ${status} event can no longer be changed`)
  const next: DraftInput = { ...pickEvent(event), ...definedOnly(patch) }
  if (patch.startsAt !== undefined && patch.startsAt.getTime() <= now.getTime())
    return violation("starts_in_past", "startsAt must be in the future")
  if (patch.endsAt != null && patch.endsAt.getTime() <= now.getTime())
    return violation("ends_in_past", "endsAt must be in the future")
  return Result.map(validateSchedule(next, now), () => new Event({ ...event, ...next, updatedAt: now }))
}

export const publish = (
  event: Event,
  ticketTypes: ReadonlyArray<TicketType>,
  now: Date
): Result.Result<Event, EventRuleViolation> => {
  if (event.status !== "draft")
    return violation("not_draft", `only a draft can be published; this event is ${event.status}`)
  if (ticketTypes.length === 0) return violation("no_ticket_types", "add at least one ticket type before publishing")
  const emptySeated = ticketTypes.find((t) => t.seated && t.capacity === 0)
  if (emptySeated) return violation("seated_without_seats", `seated ticket type "${emptySeated.name}" has no seats`)
  if (ticketTypes.every((t) => t.capacity === 0)) return violation("no_capacity", "no ticket type has any capacity")
  if (event.startsAt.getTime() <= now.getTime()) return violation("starts_in_past", "the event has already started")
  if (event.salesEndAt !== null && event.salesEndAt.getTime() <= now.getTime())
    return violation("sales_closed", "the sales window has already closed")
  return Result.succeed(new Event({ ...event, status: "published", publishedAt: now, updatedAt: now }))
}

export const cancel = (event: Event, now: Date): Result.Result<Event, EventRuleViolation> => {
  const status = statusAt(event, now)
  if (status !== "draft" && status !== "published")
    return violation("not_cancellable", `a ${status} event cannot be cancelled`)
  return Result.succeed(new Event({ ...event, status: "cancelled", cancelledAt: now, updatedAt: now }))
}

/** Ticket types can be added to a draft or a published event; one event sells in one currency. */
export const checkNewTicketType = (
  event: Event,
  existing: ReadonlyArray<TicketType>,
  candidate: { readonly name: string; readonly currency: string },
  now: Date
): Result.Result<void, EventRuleViolation> => {
  const status = statusAt(event, now)
  if (status !== "draft" && status !== "published")
    return violation("event_closed", `ticket types cannot be added to a ${status} event`)
  const other = existing.find((t) => t.currency !== candidate.currency)
  if (other)
    return violation("currency_mismatch", `this event sells in ${other.currency}; every ticket type must use it`)
  return checkTicketTypeName(existing, candidate.name)
}

/** Ticket-type names are unique per event, compared without regard to case. */
export const checkTicketTypeName = (
  existing: ReadonlyArray<TicketType>,
  name: string,
  except?: string
): Result.Result<void, EventRuleViolation> =>
  existing.some((t) => t.id !== except && t.name.toLowerCase() === name.toLowerCase())
    ? violation("duplicate_name", `a ticket type named "${name}" already exists`)
    : Result.succeed(undefined)

/** Capacity can move freely above what is committed (held + sold + withheld), never below it. */
export const checkCapacityChange = (
  ticketType: TicketType,
  capacity: number
): Result.Result<number, EventRuleViolation | CapacityBelowCommitted> => {
  if (ticketType.seated && capacity !== ticketType.capacity)
    return violation("seated_capacity", "a seated ticket type's capacity is its number of seats; change the seating")
  const committed = ticketType.held + ticketType.sold + ticketType.withheld
  if (capacity < committed)
    return Result.fail(
      new CapacityBelowCommitted({
        committed,
        message: `capacity cannot drop below the ${committed} tickets already held or sold`
      })
    )
  return Result.succeed(capacity)
}

/** Checks a seating plan and counts its seats per ticket type (the seated types' new capacities). */
export const planSeating = (
  event: Event,
  ticketTypes: ReadonlyArray<TicketType>,
  plan: SeatingPlan,
  maxSeats: number
): Result.Result<ReadonlyMap<string, number>, EventRuleViolation> => {
  if (event.status !== "draft")
    return violation("seating_locked", "the seating can only be changed while the event is a draft")
  const known = new Set(ticketTypes.map((t) => t.id as string))
  const counts = new Map<string, number>()
  let total = 0
  const sectionNames = new Set<string>()
  for (const section of plan.sections) {
    if (sectionNames.has(section.name)) return violation("duplicate_section", `section "${section.name}" appears twice`)
    sectionNames.add(section.name)
    const rowLabels = new Set<string>()
    for (const row of section.rows) {
      if (rowLabels.has(row.label))
        return violation("duplicate_row", `row "${row.label}" appears twice in section "${section.name}"`)
      rowLabels.add(row.label)
      const seatLabels = new Set<string>()
      for (const seat of row.seats) {
        if (seatLabels.has(seat.label))
          return violation(
            "duplicate_seat",
            `seat "${seat.label}" appears twice in row "${row.label}" of "${section.name}"`
          )
        seatLabels.add(seat.label)
        if (!known.has(seat.ticketTypeId))
          return violation("unknown_ticket_type", `ticket type ${seat.ticketTypeId} does not belong to this event`)
        counts.set(seat.ticketTypeId, (counts.get(seat.ticketTypeId) ?? 0) + 1)
        total++
      }
    }
  }
  if (total > maxSeats) return violation("too_many_seats", `a seating plan may have at most ${maxSeats} seats`)
  return Result.succeed(counts)
}

const pickEvent = (e: Event): DraftInput => ({
  title: e.title,
  description: e.description,
  venue: e.venue,
  startsAt: e.startsAt,
  endsAt: e.endsAt,
  salesStartAt: e.salesStartAt,
  salesEndAt: e.salesEndAt,
  refundCutoffHours: e.refundCutoffHours
})

const definedOnly = (patch: EventPatch): Partial<DraftInput> =>
  Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<DraftInput>

import { Context, Effect, Layer, Option } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Forbidden, UserNotFound } from "../../domain/accounts/errors.ts"
import type { Email } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { changes, eventFacts, ticketTypeFacts } from "../../domain/audit/AuditFacts.ts"
import { AuditEntry, AuditLog, actedBy } from "../../domain/audit/AuditLog.ts"
import type { Event } from "../../domain/catalog/Event.ts"
import { canManage, canView } from "../../domain/catalog/EventAccess.ts"
import { EventRepository, type EventSearch, type TicketTypeChange } from "../../domain/catalog/EventRepository.ts"
import * as Rules from "../../domain/catalog/EventRules.ts"
import { EventNotFound, TicketTypeNotFound } from "../../domain/catalog/errors.ts"
import { MAX_SEATS_PER_EVENT, Seat, type SeatingPlan, Section } from "../../domain/catalog/Seating.ts"
import { DEFAULT_MAX_PER_ORDER, TicketType } from "../../domain/catalog/TicketType.ts"
import type { AttendeeNamesPolicy } from "../../domain/orders/AttendeeNames.ts"
import { InventoryCache } from "../../domain/reservations/InventoryCache.ts"
import type { EventId, SeatId, SectionId, TicketTypeId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { now } from "../../domain/shared/Now.ts"

export interface NewTicketType {
  readonly name: string
  readonly priceMinor: number
  readonly currency: Currency
  readonly capacity: number
  readonly maxPerOrder?: number | undefined
  readonly attendeeNames?: AttendeeNamesPolicy | undefined
}

const orFail = Effect.fromResult

/** The catalog: organizers build and publish events, everyone browses what is published. */
export class Catalog extends Context.Service<Catalog>()("goticket/Catalog", {
  make: Effect.gen(function* () {
    const events = yield* EventRepository
    const users = yield* UserRepository
    const cache = yield* InventoryCache
    const audit = yield* AuditLog
    /** An entry about one of the actor's successful changes to an event (or to something of it). */
    const done = (
      actor: Actor,
      eventId: EventId,
      fields: Pick<AuditEntry, "action" | "resourceType" | "resourceId" | "summary">
    ) => new AuditEntry({ ...actedBy(actor), outcome: "success", eventId, ...fields })
    const eventChange = (actor: Actor, action: string, before: Event | null) => (after: Event) =>
      done(actor, after.id, {
        action,
        resourceType: "event",
        resourceId: after.id,
        summary: before === null ? { after: eventFacts(after) } : changes(eventFacts(before), eventFacts(after))
      })
    /** Every change to an event's details or inventory makes its cached public views stale. */
    const changed =
      (eventId: EventId) =>
      <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.tap(effect, () => cache.invalidate(eventId))

    /** Loads an event the actor may manage. Someone else's draft is not found; someone else's public event is forbidden. */
    const manageable = (actor: Actor, eventId: EventId) =>
      Effect.flatMap(events.findById(eventId), (found): Effect.Effect<Event, EventNotFound | Forbidden> => {
        if (Option.isNone(found)) return Effect.fail(EventNotFound.forId(eventId))
        const event = found.value
        if (canManage(actor, event)) return Effect.succeed(event)
        return Rules.isPubliclyVisible(event)
          ? Effect.fail(new Forbidden({ message: "you do not manage this event" }))
          : Effect.fail(EventNotFound.forId(eventId))
      })

    const requireOrganizer = (actor: Actor) =>
      actor.isOrganizer
        ? Effect.void
        : Effect.fail(new Forbidden({ message: "only organizer accounts can create events" }))

    const createEvent = Effect.fn("Catalog.createEvent")(function* (actor: Actor, input: Rules.DraftInput) {
      yield* requireOrganizer(actor)
      const event = yield* orFail(
        Rules.createDraft(input, { id: crypto.randomUUID() as EventId, organizerId: actor.userId }, yield* now)
      )
      yield* audit.audited(events.insert(event), () => eventChange(actor, "event.created", null)(event))
      return event
    })

    const updateEvent = Effect.fn("Catalog.updateEvent")(function* (
      actor: Actor,
      eventId: EventId,
      patch: Rules.EventPatch
    ) {
      const event = yield* manageable(actor, eventId)
      const edited = yield* orFail(Rules.applyEdit(event, patch, yield* now))
      return yield* audit
        .audited(events.update(edited), eventChange(actor, "event.updated", event))
        .pipe(changed(eventId))
    })

    const addTicketType = Effect.fn("Catalog.addTicketType")(function* (
      actor: Actor,
      eventId: EventId,
      input: NewTicketType
    ) {
      const event = yield* manageable(actor, eventId)
      const existing = yield* events.listTicketTypes(eventId)
      const at = yield* now
      yield* orFail(Rules.checkNewTicketType(event, existing, input, at))
      const ticketType = new TicketType({
        id: crypto.randomUUID() as TicketTypeId,
        eventId,
        name: input.name,
        priceMinor: input.priceMinor,
        currency: input.currency,
        capacity: input.capacity,
        maxPerOrder: input.maxPerOrder ?? Math.min(DEFAULT_MAX_PER_ORDER, Math.max(1, input.capacity)),
        seated: false,
        held: 0,
        sold: 0,
        createdAt: at,
        attendeeNames: input.attendeeNames ?? "off"
      })
      yield* audit
        .audited(events.insertTicketType(ticketType), () =>
          done(actor, eventId, {
            action: "ticket_type.added",
            resourceType: "ticket_type",
            resourceId: ticketType.id,
            summary: { after: ticketTypeFacts(ticketType) }
          })
        )
        .pipe(changed(eventId))
      return ticketType
    })

    const updateTicketType = Effect.fn("Catalog.updateTicketType")(function* (
      actor: Actor,
      eventId: EventId,
      ticketTypeId: TicketTypeId,
      change: TicketTypeChange
    ) {
      const event = yield* manageable(actor, eventId)
      const status = Rules.statusAt(event, yield* now)
      if (status === "cancelled" || status === "ended")
        return yield* Effect.fail(
          Rules.violationOf("event_closed", `ticket types of a ${status} event can no longer be changed`)
        )
      const ticketTypes = yield* events.listTicketTypes(eventId)
      const current = ticketTypes.find((t) => t.id === ticketTypeId)
      if (!current) return yield* new TicketTypeNotFound({ message: `No ticket type ${ticketTypeId} in this event` })
      if (change.capacity !== undefined) yield* orFail(Rules.checkCapacityChange(current, change.capacity))
      if (change.name !== undefined) yield* orFail(Rules.checkTicketTypeName(ticketTypes, change.name, ticketTypeId))
      const updated = yield* audit
        .audited(events.updateTicketType(ticketTypeId, change), (result) =>
          Option.isNone(result)
            ? null
            : done(actor, eventId, {
                action: "ticket_type.updated",
                resourceType: "ticket_type",
                resourceId: ticketTypeId,
                summary: changes(ticketTypeFacts(current), ticketTypeFacts(result.value))
              })
        )
        .pipe(changed(eventId))
      return yield* Option.match(updated, {
        onNone: () => Effect.fail(new TicketTypeNotFound({ message: `No ticket type ${ticketTypeId} in this event` })),
        onSome: Effect.succeed
      })
    })

    const setSeating = Effect.fn("Catalog.setSeating")(function* (actor: Actor, eventId: EventId, plan: SeatingPlan) {
      const event = yield* manageable(actor, eventId)
      const ticketTypes = yield* events.listTicketTypes(eventId)
      yield* orFail(Rules.planSeating(event, ticketTypes, plan, MAX_SEATS_PER_EVENT))
      const sections: Array<Section> = []
      const seats: Array<Seat> = []
      for (const [sectionPosition, s] of plan.sections.entries()) {
        const section = new Section(
          { id: crypto.randomUUID() as SectionId, eventId, name: s.name, position: sectionPosition },
          { disableChecks: true }
        )
        sections.push(section)
        for (const [rowPosition, row] of s.rows.entries())
          for (const [position, seat] of row.seats.entries())
            seats.push(
              new Seat(
                {
                  id: crypto.randomUUID() as SeatId,
                  eventId,
                  sectionId: section.id,
                  row: row.label,
                  rowPosition,
                  label: seat.label,
                  position,
                  ticketTypeId: seat.ticketTypeId,
                  status: "available"
                },
                { disableChecks: true }
              )
            )
      }
      const seatsBefore = ticketTypes.reduce((n, t) => n + (t.seated ? t.capacity : 0), 0)
      yield* audit
        .audited(events.replaceSeating(eventId, sections, seats), () =>
          done(actor, eventId, {
            action: "event.seating_replaced",
            resourceType: "event",
            resourceId: eventId,
            summary: { before: { seats: seatsBefore }, after: { sections: sections.length, seats: seats.length } }
          })
        )
        .pipe(changed(eventId))
      return yield* events.listTicketTypes(eventId)
    })

    const publish = Effect.fn("Catalog.publish")(function* (actor: Actor, eventId: EventId) {
      const event = yield* manageable(actor, eventId)
      const ticketTypes = yield* events.listTicketTypes(eventId)
      const published = yield* orFail(Rules.publish(event, ticketTypes, yield* now))
      return yield* audit
        .audited(events.update(published), eventChange(actor, "event.published", event))
        .pipe(changed(eventId))
    })

    const cancel = Effect.fn("Catalog.cancel")(function* (actor: Actor, eventId: EventId) {
      const event = yield* manageable(actor, eventId)
      const cancelled = yield* orFail(Rules.cancel(event, yield* now))
      return yield* audit
        .audited(events.update(cancelled), eventChange(actor, "event.cancelled", event))
        .pipe(changed(eventId))
    })

    const grantStaff = Effect.fn("Catalog.grantStaff")(function* (actor: Actor, eventId: EventId, email: Email) {
      yield* manageable(actor, eventId)
      const user = yield* users.findByEmail(email)
      if (Option.isNone(user))
        return yield* new UserNotFound({ message: "no account has this email; ask them to register first" })
      const staffId = user.value.user.id
      yield* audit.audited(events.grantStaff(eventId, staffId, actor.userId, yield* now), () =>
        done(actor, eventId, {
          action: "staff.granted",
          resourceType: "user",
          resourceId: staffId,
          summary: { after: { role: "staff" } }
        })
      )
      const staff = yield* events.listStaff(eventId)
      return staff.find((m) => m.user.id === user.value.user.id) ?? { user: user.value.user, grantedAt: yield* now }
    })

    const listStaff = Effect.fn("Catalog.listStaff")(function* (actor: Actor, eventId: EventId) {
      yield* manageable(actor, eventId)
      return yield* events.listStaff(eventId)
    })

    /** An event the actor manages (its audit trail); refused as `manageable` refuses. */
    const requireManaged = Effect.fn("Catalog.requireManaged")(manageable)

    /** An event the actor manages, with its ticket types (for reports about it). */
    const managed = Effect.fn("Catalog.managed")(function* (actor: Actor, eventId: EventId) {
      const event = yield* manageable(actor, eventId)
      return { event, ticketTypes: yield* events.listTicketTypes(eventId) }
    })

    const listMine = Effect.fn("Catalog.listMine")(function* (
      actor: Actor,
      page: { readonly cursor?: string | undefined; readonly limit: number }
    ) {
      yield* requireOrganizer(actor)
      return yield* events.listByOrganizer(actor.userId, page)
    })

    const browse = Effect.fn("Catalog.browse")(function* (search: EventSearch) {
      return yield* events.searchPublished(search)
    })

    /** One event with its ticket types, as the caller may see it. */
    const details = Effect.fn("Catalog.details")(function* (actor: Option.Option<Actor>, eventId: EventId) {
      const event = yield* visible(actor, eventId)
      const ticketTypes = yield* events.listTicketTypes(eventId)
      return { event, status: Rules.statusAt(event, yield* now), ticketTypes }
    })

    const seatMap = Effect.fn("Catalog.seatMap")(function* (actor: Option.Option<Actor>, eventId: EventId) {
      yield* visible(actor, eventId)
      return yield* events.seatMap(eventId)
    })

    const visible = (actor: Option.Option<Actor>, eventId: EventId) =>
      Effect.flatMap(events.findById(eventId), (found) =>
        Option.isSome(found) && canView(Option.getOrUndefined(actor), found.value)
          ? Effect.succeed<Event>(found.value)
          : Effect.fail(EventNotFound.forId(eventId))
      )

    return {
      createEvent,
      updateEvent,
      addTicketType,
      updateTicketType,
      setSeating,
      publish,
      cancel,
      grantStaff,
      listStaff,
      requireManaged,
      managed,
      listMine,
      browse,
      details,
      seatMap
    } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

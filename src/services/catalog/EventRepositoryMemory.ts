import { Effect, Layer, Option, Ref } from "effect"
import type { User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { Event } from "../../domain/catalog/Event.ts"
import { EventRepository, type EventRepositoryShape } from "../../domain/catalog/EventRepository.ts"
import { CapacityBelowCommitted, EventChangedConcurrently } from "../../domain/catalog/errors.ts"
import { TicketType } from "../../domain/catalog/TicketType.ts"
import { decodeCursor, isAfter } from "../../domain/shared/Cursor.ts"
import { type PageOf, pageOf } from "../../domain/shared/Page.ts"
import { MemoryStore, MemoryStoreLive, type MemoryTables } from "../memory/MemoryStore.ts"

type State = MemoryTables

const byStartThenId = (a: Event, b: Event) =>
  a.startsAt.getTime() - b.startsAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

const paginate = (events: ReadonlyArray<Event>, cursor: string | undefined, limit: number): PageOf<Event> => {
  const position = Option.flatMap(Option.fromNullishOr(cursor), decodeCursor)
  const sorted = [...events]
    .sort(byStartThenId)
    .filter((e) =>
      Option.match(position, { onNone: () => true, onSome: (c) => isAfter({ at: e.startsAt, id: e.id }, c) })
    )
  return pageOf(sorted, limit, (e) => ({ at: e.startsAt, id: e.id }))
}

/** The in-memory twin of EventRepositoryPg: same contract, over the shared MemoryStore. Needs a UserRepository for staff. */
export const EventRepositoryMemory = Layer.effect(
  EventRepository,
  Effect.gen(function* () {
    const users = yield* UserRepository
    const state = yield* MemoryStore
    const typesOf = (s: State, eventId: string) =>
      [...s.ticketTypes.values()]
        .filter((t) => t.eventId === eventId)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))

    const repository: EventRepositoryShape = {
      insert: (event) => Ref.update(state, (s) => ({ ...s, events: new Map(s.events).set(event.id, event) })),
      update: (event) =>
        Ref.modify(state, (s) => {
          const stored = s.events.get(event.id)
          if (!stored || stored.version !== event.version) return [Option.none<Event>(), s] as const
          const next = new Event({ ...event, version: event.version + 1 }, { disableChecks: true })
          return [Option.some(next), { ...s, events: new Map(s.events).set(event.id, next) }] as const
        }).pipe(
          Effect.flatMap(
            Option.match({
              onNone: () =>
                Effect.fail(
                  new EventChangedConcurrently({
                    message: "the event was changed by another request; read it and retry"
                  })
                ),
              onSome: Effect.succeed
            })
          )
        ),
      findById: (id) => Effect.map(Ref.get(state), (s) => Option.fromNullishOr(s.events.get(id))),
      listByOrganizer: (organizerId, { cursor, limit }) =>
        Effect.map(Ref.get(state), (s) =>
          paginate(
            [...s.events.values()].filter((e) => e.organizerId === organizerId),
            cursor,
            limit
          )
        ),
      searchPublished: ({ text, from, to, cursor, limit }) =>
        Effect.map(Ref.get(state), (s) => {
          const needle = text?.toLowerCase()
          return paginate(
            [...s.events.values()].filter(
              (e) =>
                e.status === "published" &&
                (from === undefined || e.startsAt.getTime() >= from.getTime()) &&
                (to === undefined || e.startsAt.getTime() <= to.getTime()) &&
                (needle === undefined ||
                  [e.title, e.description ?? "", e.venue.name].some((field) => field.toLowerCase().includes(needle)))
            ),
            cursor,
            limit
          )
        }),
      insertTicketType: (t) => Ref.update(state, (s) => ({ ...s, ticketTypes: new Map(s.ticketTypes).set(t.id, t) })),
      listTicketTypes: (eventId) => Effect.map(Ref.get(state), (s) => typesOf(s, eventId)),
      updateTicketType: (id, change) =>
        Ref.modify(state, (s): readonly [Effect.Effect<Option.Option<TicketType>, CapacityBelowCommitted>, State] => {
          const current = s.ticketTypes.get(id)
          if (!current) return [Effect.succeed(Option.none<TicketType>()), s] as const
          const committed = current.held + current.sold + current.withheld
          if (change.capacity !== undefined && change.capacity < committed)
            return [
              Effect.fail(
                new CapacityBelowCommitted({
                  committed,
                  message: `capacity cannot drop below the ${committed} tickets already held or sold`
                })
              ),
              s
            ] as const
          const next = new TicketType(
            {
              ...current,
              name: change.name ?? current.name,
              priceMinor: change.priceMinor ?? current.priceMinor,
              capacity: change.capacity ?? current.capacity,
              maxPerOrder: change.maxPerOrder ?? current.maxPerOrder,
              attendeeNames: change.attendeeNames ?? current.attendeeNames
            },
            { disableChecks: true }
          )
          return [
            Effect.succeed(Option.some(next)),
            { ...s, ticketTypes: new Map(s.ticketTypes).set(id, next) }
          ] as const
        }).pipe(Effect.flatten),
      replaceSeating: (eventId, sections, seats) =>
        Ref.update(state, (s) => {
          const counts = new Map<string, number>()
          for (const seat of seats) counts.set(seat.ticketTypeId, (counts.get(seat.ticketTypeId) ?? 0) + 1)
          const ticketTypes = new Map(s.ticketTypes)
          for (const t of typesOf(s, eventId)) {
            const n = counts.get(t.id) ?? 0
            ticketTypes.set(
              t.id,
              new TicketType(
                { ...t, seated: n > 0, capacity: n > 0 ? n : t.seated ? 0 : t.capacity },
                { disableChecks: true }
              )
            )
          }
          return {
            ...s,
            ticketTypes,
            sections: new Map(s.sections).set(
              eventId,
              [...sections].sort((a, b) => a.position - b.position)
            ),
            seats: new Map(s.seats).set(eventId, seats)
          }
        }),
      seatMap: (eventId) =>
        Effect.map(Ref.get(state), (s) => {
          const sections = s.sections.get(eventId) ?? []
          const order = new Map(sections.map((c) => [c.id as string, c.position]))
          const seats = [...(s.seats.get(eventId) ?? [])].sort(
            (a, b) =>
              (order.get(a.sectionId) ?? 0) - (order.get(b.sectionId) ?? 0) ||
              a.rowPosition - b.rowPosition ||
              a.position - b.position
          )
          return { sections, seats }
        }),
      grantStaff: (eventId, userId, _grantedBy, at) =>
        Ref.update(state, (s) => {
          const current = s.staff.get(eventId) ?? []
          if (current.some((m) => m.userId === userId)) return s
          return { ...s, staff: new Map(s.staff).set(eventId, [...current, { userId, grantedAt: at }]) }
        }),
      isStaff: (eventId, userId) =>
        Effect.map(Ref.get(state), (s) => (s.staff.get(eventId) ?? []).some((m) => m.userId === userId)),
      listStaff: (eventId) =>
        Effect.gen(function* () {
          const s = yield* Ref.get(state)
          const members: Array<{ user: User; grantedAt: Date }> = []
          for (const m of s.staff.get(eventId) ?? []) {
            const user = yield* users.findById(m.userId as never)
            if (Option.isSome(user)) members.push({ user: user.value, grantedAt: m.grantedAt })
          }
          return members.sort(
            (a, b) => a.grantedAt.getTime() - b.grantedAt.getTime() || (a.user.id < b.user.id ? -1 : 1)
          )
        })
    }
    return repository
  })
).pipe(Layer.provide(MemoryStoreLive))

import { expect, it } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import type { User } from "../../src/domain/accounts/User.ts"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { Event, Venue } from "../../src/domain/catalog/Event.ts"
import { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { Seat, Section } from "../../src/domain/catalog/Seating.ts"
import { TicketType } from "../../src/domain/catalog/TicketType.ts"
import type { EventId, SeatId, SectionId, TicketTypeId, UserId } from "../../src/domain/shared/Ids.ts"
import type { Currency } from "../../src/domain/shared/Money.ts"
import { aUser } from "./UserRepositoryContract.ts"

const at = (iso: string) => new Date(iso)
const HOUR = 3600 * 1000

/** A published-or-not event; endsAt follows startsAt unless given, so the schedule always holds. */
export const anEvent = (organizerId: UserId, overrides: Partial<ConstructorParameters<typeof Event>[0]> = {}) => {
  const startsAt = overrides.startsAt ?? at("2027-06-01T19:30:00.123Z")
  return new Event({
    id: crypto.randomUUID() as EventId,
    organizerId,
    title: "Spring Concert",
    description: "An evening of chamber music",
    venue: new Venue({ name: "Main Hall", address: "1 Main Street, Lyon", timezone: "Europe/Paris" }),
    startsAt,
    endsAt: new Date(startsAt.getTime() + 2 * HOUR),
    salesStartAt: at("2027-01-01T00:00:00.000Z"),
    salesEndAt: new Date(startsAt.getTime() - HOUR),
    status: "draft",
    version: 1,
    createdAt: at("2026-01-01T10:00:00.000Z"),
    updatedAt: at("2026-01-01T10:00:00.000Z"),
    publishedAt: null,
    cancelledAt: null,
    ...overrides
  })
}

export const aTicketType = (eventId: EventId, overrides: Partial<ConstructorParameters<typeof TicketType>[0]> = {}) =>
  new TicketType({
    id: crypto.randomUUID() as TicketTypeId,
    eventId,
    name: "General admission",
    priceMinor: 2500,
    currency: "EUR" as Currency,
    capacity: 100,
    maxPerOrder: 10,
    seated: false,
    held: 0,
    sold: 0,
    createdAt: at("2026-01-02T00:00:00.000Z"),
    ...overrides
  })

export const aSection = (eventId: EventId, name: string, position: number) =>
  new Section({ id: crypto.randomUUID() as SectionId, eventId, name, position })

export const aSeat = (
  section: Section,
  row: string,
  rowPosition: number,
  label: string,
  position: number,
  ticketType: TicketType
) =>
  new Seat({
    id: crypto.randomUUID() as SeatId,
    eventId: section.eventId,
    sectionId: section.id,
    row,
    rowPosition,
    label,
    position,
    ticketTypeId: ticketType.id,
    status: "available"
  })

/** A word of lower-case letters only, unique to one test, so that global searches see only that test's events. */
const marker = () =>
  crypto
    .randomUUID()
    .replaceAll("-", "")
    .slice(0, 12)
    .replace(/[0-9]/g, (d) => "ghijklmnop"[Number(d)] ?? "q")

const byStartThenId = (a: Event, b: Event) =>
  a.startsAt.getTime() - b.startsAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** Events reference their organizer: every test starts by storing one. */
export const anOrganizer = Effect.gen(function* () {
  const users = yield* UserRepository
  const organizer = aUser({ accountType: "organizer" })
  yield* users.insert(organizer, "hash")
  return organizer
})

const aStoredUser = (id: UserId = crypto.randomUUID() as UserId) =>
  Effect.gen(function* () {
    const users = yield* UserRepository
    const user: User = aUser({ id })
    yield* users.insert(user, "hash")
    return user
  })

const titles = (events: ReadonlyArray<Event>) => events.map((e) => e.title)

/** One contract, every adapter: what any EventRepository must do. */
export const eventRepositoryContract = (name: string, layer: Layer.Layer<EventRepository | UserRepository>) =>
  it.layer(layer, { timeout: "60 seconds" })(`EventRepository contract: ${name}`, (it) => {
    it.effect("stores an event and finds the same event by id", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const full = anEvent(organizer.id, {
          status: "published",
          publishedAt: at("2026-02-01T08:15:30.456Z"),
          updatedAt: at("2026-02-01T08:15:30.456Z")
        })
        const sparse = anEvent(organizer.id, {
          description: null,
          venue: new Venue({ name: "Open Air", address: null, timezone: "America/New_York" }),
          endsAt: null,
          salesStartAt: null,
          salesEndAt: null,
          status: "cancelled",
          cancelledAt: at("2026-03-01T00:00:00.000Z")
        })
        yield* repo.insert(full)
        yield* repo.insert(sparse)
        expect(Option.getOrThrow(yield* repo.findById(full.id))).toEqual(full)
        expect(Option.getOrThrow(yield* repo.findById(sparse.id))).toEqual(sparse)
        expect(Option.isNone(yield* repo.findById(crypto.randomUUID() as EventId))).toBe(true)
      })
    )

    it.effect("updates only from the stored version, bumps it, and refuses a stale write", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const original = anEvent(organizer.id)
        yield* repo.insert(original)

        const edited = new Event({
          ...original,
          title: "Summer Concert",
          venue: new Venue({ name: "Riverside Stage", address: null, timezone: "Europe/Paris" }),
          updatedAt: at("2026-01-05T12:00:00.000Z")
        })
        const updated = yield* repo.update(edited)
        expect(updated).toEqual(new Event({ ...edited, version: 2 }))
        expect(Option.getOrThrow(yield* repo.findById(original.id))).toEqual(updated)

        // A second writer still holding version 1 must not overwrite the first one's change.
        const stale = new Event({ ...original, title: "Stale write" })
        const error = yield* Effect.flip(repo.update(stale))
        expect(error._tag).toBe("EventChangedConcurrently")
        expect(Option.getOrThrow(yield* repo.findById(original.id))).toEqual(updated)

        // Whoever re-reads gets the current version and can write again.
        const again = yield* repo.update(new Event({ ...updated, title: "Autumn Concert" }))
        expect(again.version).toBe(3)
        expect(Option.getOrThrow(yield* repo.findById(original.id)).title).toBe("Autumn Concert")
      })
    )

    it.effect("pages an organizer's events by (startsAt, id) with cursors, and only that organizer's", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const other = yield* anOrganizer
        const t = (hour: number) => new Date(Date.UTC(2027, 4, 1, hour))
        // Two events share a start, so that a page boundary falls between them and the id decides.
        const mine = [t(12), t(9), t(10), t(10), t(11)].map((startsAt, i) =>
          anEvent(organizer.id, { startsAt, title: `Mine ${i}` })
        )
        const theirs = [t(9), t(10), t(11)].map((startsAt, i) => anEvent(other.id, { startsAt, title: `Theirs ${i}` }))
        for (const event of [...theirs.slice(0, 2), ...mine, ...theirs.slice(2)]) yield* repo.insert(event)
        const expected = [...mine].sort(byStartThenId)

        const first = yield* repo.listByOrganizer(organizer.id, { limit: 2 })
        expect(first.items).toEqual(expected.slice(0, 2))
        expect(first.nextCursor).not.toBeNull()
        const second = yield* repo.listByOrganizer(organizer.id, { limit: 2, cursor: first.nextCursor ?? undefined })
        expect(second.items).toEqual(expected.slice(2, 4))
        expect(second.nextCursor).not.toBeNull()
        const third = yield* repo.listByOrganizer(organizer.id, { limit: 2, cursor: second.nextCursor ?? undefined })
        expect(third.items).toEqual(expected.slice(4))
        expect(third.nextCursor).toBeNull()

        // A page that exactly holds the rest announces no further page.
        const whole = yield* repo.listByOrganizer(organizer.id, { limit: 5 })
        expect(whole.items).toEqual(expected)
        expect(whole.nextCursor).toBeNull()
        expect((yield* repo.listByOrganizer(crypto.randomUUID() as UserId, { limit: 5 })).items).toEqual([])
      })
    )

    it.effect("searches published events only, matching text case-insensitively in title, description, venue", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const word = marker()
        const t = (day: number) => new Date(Date.UTC(2027, 6, day, 20))
        const published = { status: "published" as const, publishedAt: at("2026-02-01T00:00:00.000Z") }
        const inTitle = anEvent(organizer.id, { ...published, startsAt: t(3), title: `Jazz ${word} Night` })
        const inDescription = anEvent(organizer.id, {
          ...published,
          startsAt: t(1),
          title: "Quiet evening",
          description: `Featuring the ${word.toUpperCase()} quartet`
        })
        const inVenue = anEvent(organizer.id, {
          ...published,
          startsAt: t(2),
          title: "Open rehearsal",
          venue: new Venue({ name: `Salle ${word}`, address: null, timezone: "Europe/Paris" })
        })
        const unrelated = anEvent(organizer.id, { ...published, startsAt: t(2), title: "Something else" })
        const draft = anEvent(organizer.id, { startsAt: t(2), title: `Draft ${word}` })
        const cancelled = anEvent(organizer.id, {
          ...published,
          status: "cancelled",
          cancelledAt: at("2026-03-01T00:00:00.000Z"),
          startsAt: t(2),
          title: `Cancelled ${word}`
        })
        for (const e of [inTitle, inDescription, inVenue, unrelated, draft, cancelled]) yield* repo.insert(e)

        const mixedCase = word.slice(0, 6).toUpperCase() + word.slice(6)
        const found = yield* repo.searchPublished({ text: mixedCase, limit: 10 })
        expect(found.items).toEqual([inDescription, inVenue, inTitle])
        expect(found.nextCursor).toBeNull()
        expect(titles((yield* repo.searchPublished({ text: `jAzZ ${word} nIGHT`, limit: 10 })).items)).toEqual([
          inTitle.title
        ])
        expect((yield* repo.searchPublished({ text: `${word}-nowhere`, limit: 10 })).items).toEqual([])
      })
    )

    it.effect("bounds searches by startsAt within [from, to] and pages the results", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const word = marker()
        const t = (day: number) => new Date(Date.UTC(2027, 8, day, 18, 0, 0, 250))
        const [e1, e2, e3] = [1, 2, 3].map((day) =>
          anEvent(organizer.id, {
            status: "published",
            publishedAt: at("2026-02-01T00:00:00.000Z"),
            startsAt: t(day),
            title: `Day ${day} ${word}`
          })
        )
        if (!e1 || !e2 || !e3) throw new Error("unreachable")
        for (const e of [e3, e1, e2]) yield* repo.insert(e)
        const search = (bounds: { from?: Date; to?: Date }) =>
          Effect.map(repo.searchPublished({ text: word, limit: 10, ...bounds }), (page) => titles(page.items))

        expect(yield* search({})).toEqual(titles([e1, e2, e3]))
        expect(yield* search({ from: t(2) })).toEqual(titles([e2, e3]))
        expect(yield* search({ to: t(2) })).toEqual(titles([e1, e2]))
        expect(yield* search({ from: t(2), to: t(2) })).toEqual(titles([e2]))
        expect(yield* search({ from: new Date(t(1).getTime() + 1), to: new Date(t(3).getTime() - 1) })).toEqual(
          titles([e2])
        )
        expect(yield* search({ from: t(4) })).toEqual([])

        const first = yield* repo.searchPublished({ text: word, limit: 2 })
        expect(first.items).toEqual([e1, e2])
        const rest = yield* repo.searchPublished({ text: word, limit: 2, cursor: first.nextCursor ?? undefined })
        expect(first.nextCursor).not.toBeNull()
        expect(rest.items).toEqual([e3])
        expect(rest.nextCursor).toBeNull()
      })
    )

    it.effect("matches % and _ (and \\) in the search text literally, not as wildcards", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const word = marker()
        const published = { status: "published" as const, publishedAt: at("2026-02-01T00:00:00.000Z") }
        const events = Object.fromEntries(
          [
            ["percent", `${word} 50% off`],
            ["percentLookalike", `${word} 50 and more off`],
            ["underscore", `${word} late_show`],
            ["underscoreLookalike", `${word} lateXshow`],
            ["backslash", `${word} back\\slash`],
            ["backslashLookalike", `${word} backslash`]
          ].map(([key, title], i) => [
            key,
            anEvent(organizer.id, { ...published, title: title ?? "", startsAt: new Date(Date.UTC(2027, 9, 1 + i)) })
          ])
        )
        for (const e of Object.values(events)) yield* repo.insert(e)
        const search = (text: string) =>
          Effect.map(repo.searchPublished({ text, limit: 10 }), (page) => titles(page.items))

        expect(yield* search(`${word} 50% off`)).toEqual([events.percent?.title])
        expect(yield* search(`${word} late_show`)).toEqual([events.underscore?.title])
        expect(yield* search(`${word} back\\slash`)).toEqual([events.backslash?.title])
        expect(yield* search(`${word} 50%`)).toEqual([events.percent?.title])
        expect(yield* search(`${word}%off`)).toEqual([])
        expect(yield* search(`${word}_`)).toEqual([])
      })
    )

    it.effect("lists an event's ticket types in creation order", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const event = anEvent(organizer.id)
        const otherEvent = anEvent(organizer.id)
        yield* repo.insert(event)
        yield* repo.insert(otherEvent)
        const late = aTicketType(event.id, { name: "Late bird", createdAt: at("2026-01-03T00:00:00.000Z") })
        const early = aTicketType(event.id, { name: "Early bird", createdAt: at("2026-01-01T00:00:00.000Z") })
        const regular = aTicketType(event.id, {
          name: "Regular",
          priceMinor: 4200,
          currency: "USD" as Currency,
          maxPerOrder: 4,
          createdAt: at("2026-01-02T00:00:00.000Z")
        })
        const elsewhere = aTicketType(otherEvent.id, { createdAt: at("2026-01-01T12:00:00.000Z") })
        for (const t of [late, early, elsewhere, regular]) yield* repo.insertTicketType(t)

        expect(yield* repo.listTicketTypes(event.id)).toEqual([early, regular, late])
        expect(yield* repo.listTicketTypes(otherEvent.id)).toEqual([elsewhere])
        expect(yield* repo.listTicketTypes(crypto.randomUUID() as EventId)).toEqual([])
      })
    )

    it.effect("renames and reprices a ticket type, leaving the other fields as they were", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const event = anEvent(organizer.id)
        yield* repo.insert(event)
        const type = aTicketType(event.id, { held: 1, sold: 2 })
        yield* repo.insertTicketType(type)

        const renamed = yield* repo.updateTicketType(type.id, { name: "Standing", priceMinor: 3100 })
        const expected = new TicketType({ ...type, name: "Standing", priceMinor: 3100 })
        expect(Option.getOrThrow(renamed)).toEqual(expected)
        expect(yield* repo.listTicketTypes(event.id)).toEqual([expected])

        const resized = yield* repo.updateTicketType(type.id, { capacity: 250, maxPerOrder: 6 })
        expect(Option.getOrThrow(resized)).toEqual(new TicketType({ ...expected, capacity: 250, maxPerOrder: 6 }))
      })
    )

    it.effect("stores whether a ticket type asks for attendee names (off unless set), and changes it", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const event = anEvent(organizer.id)
        yield* repo.insert(event)
        const plain = aTicketType(event.id)
        const named = aTicketType(event.id, { name: "Named seats", attendeeNames: "required" })
        yield* repo.insertTicketType(plain)
        yield* repo.insertTicketType(named)
        expect((yield* repo.listTicketTypes(event.id)).map((t) => t.attendeeNames).sort()).toEqual(["off", "required"])
        const changed = yield* repo.updateTicketType(plain.id, { attendeeNames: "optional" })
        expect(Option.getOrThrow(changed).attendeeNames).toBe("optional")
        expect(Option.getOrThrow(yield* repo.updateTicketType(plain.id, { name: "Renamed" })).attendeeNames).toBe(
          "optional"
        )
      })
    )

    it.effect("refuses a capacity below held + sold, changing nothing, and accepts exactly held + sold", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const event = anEvent(organizer.id)
        yield* repo.insert(event)
        const type = aTicketType(event.id, { capacity: 10, held: 3, sold: 2 })
        yield* repo.insertTicketType(type)

        const error = yield* Effect.flip(repo.updateTicketType(type.id, { capacity: 4, name: "Shrunk" }))
        expect(error._tag).toBe("CapacityBelowCommitted")
        expect(error.committed).toBe(5)
        expect(yield* repo.listTicketTypes(event.id)).toEqual([type])

        const atCommitted = yield* repo.updateTicketType(type.id, { capacity: 5 })
        expect(Option.getOrThrow(atCommitted)).toEqual(new TicketType({ ...type, capacity: 5 }))
      })
    )

    it.effect("answers none when updating an unknown ticket type", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const unknown = crypto.randomUUID() as TicketTypeId
        expect(Option.isNone(yield* repo.updateTicketType(unknown, { name: "Ghost" }))).toBe(true)
        expect(Option.isNone(yield* repo.updateTicketType(unknown, { capacity: 0 }))).toBe(true)
      })
    )

    it.effect("replaces the seat map, orders it, and makes the seated types' capacity their seat count", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        const event = anEvent(organizer.id)
        const neighbour = anEvent(organizer.id)
        yield* repo.insert(event)
        yield* repo.insert(neighbour)
        const front = aTicketType(event.id, { name: "Front", capacity: 100, createdAt: at("2026-01-01T00:00:00.000Z") })
        const back = aTicketType(event.id, { name: "Back", capacity: 100, createdAt: at("2026-01-02T00:00:00.000Z") })
        const standing = aTicketType(event.id, {
          name: "Standing",
          capacity: 50,
          createdAt: at("2026-01-03T00:00:00.000Z")
        })
        for (const t of [front, back, standing]) yield* repo.insertTicketType(t)
        expect(yield* repo.seatMap(event.id)).toEqual({ sections: [], seats: [] })

        const balcony = aSection(event.id, "Balcony", 2)
        const stalls = aSection(event.id, "Stalls", 1)
        // Labels sort differently from positions ("10" < "2"), and the balcony's first row has a lower
        // row position than the stalls' second row: only (section, row, seat) positions give this order.
        const expectedSeats = [
          aSeat(stalls, "A", 1, "1", 1, front),
          aSeat(stalls, "A", 1, "2", 2, front),
          aSeat(stalls, "A", 1, "10", 3, front),
          aSeat(stalls, "B", 2, "1", 1, back),
          aSeat(stalls, "B", 2, "2", 2, back),
          aSeat(balcony, "A", 1, "1", 1, back),
          aSeat(balcony, "A", 1, "2", 2, back)
        ]
        const shuffled = [4, 6, 2, 0, 5, 3, 1].map((i) => expectedSeats[i]).filter((s) => s !== undefined)
        yield* repo.replaceSeating(event.id, [balcony, stalls], shuffled)

        expect(yield* repo.seatMap(event.id)).toEqual({ sections: [stalls, balcony], seats: expectedSeats })
        expect(yield* repo.listTicketTypes(event.id)).toEqual([
          new TicketType({ ...front, seated: true, capacity: 3 }),
          new TicketType({ ...back, seated: true, capacity: 4 }),
          standing
        ])
        expect(yield* repo.seatMap(neighbour.id)).toEqual({ sections: [], seats: [] })

        // The second plan replaces the first: old seats are gone, a type no longer referenced is unseated.
        const floor = aSection(event.id, "Floor", 1)
        const floorSeats = [aSeat(floor, "1", 1, "1", 1, front), aSeat(floor, "1", 1, "2", 2, front)]
        yield* repo.replaceSeating(event.id, [floor], floorSeats)

        expect(yield* repo.seatMap(event.id)).toEqual({ sections: [floor], seats: floorSeats })
        expect(yield* repo.listTicketTypes(event.id)).toEqual([
          new TicketType({ ...front, seated: true, capacity: 2 }),
          new TicketType({ ...back, seated: false, capacity: 0 }),
          standing
        ])
      })
    )

    it.effect("grants staff idempotently, keeping the first grant, and tells who is staff", () =>
      Effect.gen(function* () {
        const repo = yield* EventRepository
        const organizer = yield* anOrganizer
        // The first grant goes to the greater id, so that ordering by id instead of grant time shows.
        const [lowerId, greaterId] = [crypto.randomUUID(), crypto.randomUUID()].sort() as [UserId, UserId]
        const usher = yield* aStoredUser(lowerId)
        const cashier = yield* aStoredUser(greaterId)
        const outsider = yield* aStoredUser()
        const event = anEvent(organizer.id)
        const otherEvent = anEvent(organizer.id)
        yield* repo.insert(event)
        yield* repo.insert(otherEvent)
        expect(yield* repo.listStaff(event.id)).toEqual([])

        yield* repo.grantStaff(event.id, usher.id, organizer.id, at("2026-04-02T10:00:00.000Z"))
        yield* repo.grantStaff(event.id, cashier.id, organizer.id, at("2026-04-01T10:00:00.000Z"))
        yield* repo.grantStaff(event.id, usher.id, organizer.id, at("2026-04-03T10:00:00.000Z"))

        expect(yield* repo.isStaff(event.id, usher.id)).toBe(true)
        expect(yield* repo.isStaff(event.id, cashier.id)).toBe(true)
        expect(yield* repo.isStaff(event.id, outsider.id)).toBe(false)
        expect(yield* repo.isStaff(otherEvent.id, usher.id)).toBe(false)
        expect(yield* repo.listStaff(event.id)).toEqual([
          { user: cashier, grantedAt: at("2026-04-01T10:00:00.000Z") },
          { user: usher, grantedAt: at("2026-04-02T10:00:00.000Z") }
        ])
        expect(yield* repo.listStaff(otherEvent.id)).toEqual([])
      })
    )
  })

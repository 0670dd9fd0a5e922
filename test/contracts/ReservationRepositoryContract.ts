import { expect, layer } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { Event } from "../../src/domain/catalog/Event.ts"
import { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { Seat, Section } from "../../src/domain/catalog/Seating.ts"
import type { TicketType } from "../../src/domain/catalog/TicketType.ts"
import {
  type EndedHold,
  type LiveKey,
  type PlaceHold,
  type PlaceOutcome,
  ReservationRepository
} from "../../src/domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, SeatId, SectionId, TicketTypeId, UserId } from "../../src/domain/shared/Ids.ts"
import { now } from "../../src/domain/shared/Now.ts"
import { anEvent, aTicketType } from "./EventRepositoryContract.ts"
import { aUser } from "./UserRepositoryContract.ts"

/*
 * Time: every adapter takes it from the Effect Clock (the PostgreSQL one passes it to place_hold, end_holds and its
 * key reads instead of the database's now()), so the contract runs on a TestClock, set to the real time when each
 * test starts and moved by hand: a hold or a key expires because the clock moved past it, never by sleeping.
 */

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const after = (date: Date, ms: number) => new Date(date.getTime() + ms)
const newReservationId = () => crypto.randomUUID() as ReservationId
/** Two fresh ids, the first sorting before the second (place_hold takes ticket types in id order). */
const orderedIds = () => [crypto.randomUUID(), crypto.randomUUID()].sort() as [TicketTypeId, TicketTypeId]
const byId = <A extends { readonly id: string }>(a: A, b: A) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

const aStoredUser = (accountType: "customer" | "organizer" = "customer") =>
  Effect.gen(function* () {
    const user = aUser({ accountType })
    yield* (yield* UserRepository).insert(user, "hash")
    return user
  })

/** An event whose sales are open now: it starts in about 30 days; sales opened yesterday. */
const anEventOnSale = (overrides: Partial<ConstructorParameters<typeof Event>[0]> = {}) =>
  Effect.gen(function* () {
    const organizer = yield* aStoredUser("organizer")
    const at = yield* now
    const event = anEvent(organizer.id, {
      startsAt: after(at, 30 * DAY),
      salesStartAt: after(at, -DAY),
      status: "published",
      publishedAt: after(at, -DAY),
      ...overrides
    })
    yield* (yield* EventRepository).insert(event)
    return event
  })

const aStoredTicketType = (event: Event, overrides: Partial<ConstructorParameters<typeof TicketType>[0]> = {}) =>
  Effect.gen(function* () {
    const type = aTicketType(event.id, overrides)
    yield* (yield* EventRepository).insertTicketType(type)
    return type
  })

const aSection = (event: Event, name: string, position: number) =>
  new Section({ id: crypto.randomUUID() as SectionId, eventId: event.id, name, position })

const aSeat = (section: Section, row: string, rowPosition: number, position: number, type: TicketType) =>
  new Seat({
    id: crypto.randomUUID() as SeatId,
    eventId: section.eventId,
    sectionId: section.id,
    row,
    rowPosition,
    label: String(position),
    position,
    ticketTypeId: type.id,
    status: "available"
  })

/**
 * A seated event: Stalls (position 1) and Balcony (position 2), two price categories.
 *   Stalls  row A (rowPosition 1): front 1..4, back 5        → row size 5
 *   Stalls  row B (rowPosition 2): back 1..3                 → row size 3
 *   Balcony row A (rowPosition 1): front 1..2, back 3        → row size 3
 * The seats are stored in a shuffled order, so only venue order (section, row, seat positions) sorts them.
 */
const aSeatedEvent = Effect.gen(function* () {
  const event = yield* anEventOnSale()
  const front = yield* aStoredTicketType(event, { name: "Front", priceMinor: 5000 })
  const back = yield* aStoredTicketType(event, { name: "Back", priceMinor: 3000 })
  const stalls = aSection(event, "Stalls", 1)
  const balcony = aSection(event, "Balcony", 2)
  const stallsA = [1, 2, 3, 4].map((p) => aSeat(stalls, "A", 1, p, front))
  const stallsA5 = aSeat(stalls, "A", 1, 5, back)
  const stallsB = [1, 2, 3].map((p) => aSeat(stalls, "B", 2, p, back))
  const balconyA = [1, 2].map((p) => aSeat(balcony, "A", 1, p, front))
  const balconyA3 = aSeat(balcony, "A", 1, 3, back)
  const venueOrder = [...stallsA, stallsA5, ...stallsB, ...balconyA, balconyA3]
  const shuffled = [7, 2, 10, 0, 5, 9, 3, 1, 8, 4, 6].map((i) => venueOrder[i] as Seat)
  yield* (yield* EventRepository).replaceSeating(event.id, [balcony, stalls], shuffled)
  return { event, front, back, stalls, balcony, stallsA, stallsA5, stallsB, balconyA, balconyA3, venueOrder }
})

const hold = (
  customerId: UserId,
  event: Event,
  request: Pick<PlaceHold, "items"> | Pick<PlaceHold, "seatIds">,
  overrides: Partial<PlaceHold> = {}
) =>
  Effect.gen(function* () {
    const at = yield* now
    const placed: PlaceHold = {
      reservationId: newReservationId(),
      customerId,
      eventId: event.id,
      ...request,
      expiresAt: after(at, HOUR),
      customerLimit: 100,
      ...overrides
    }
    return yield* (yield* ReservationRepository).place(placed)
  })

const heldId = (outcome: PlaceOutcome): ReservationId => {
  if (outcome._tag !== "Held") throw new Error(`expected Held, got ${JSON.stringify(outcome)}`)
  return outcome.reservation.id
}

const refusal = (outcome: PlaceOutcome) => {
  if (outcome._tag !== "Refused") throw new Error(`expected Refused, got ${JSON.stringify(outcome)}`)
  return outcome.reason
}

/** `held` of each of the event's ticket types, as EventRepository sees it. */
const heldOf = (event: Event) =>
  Effect.map(
    Effect.flatMap(EventRepository, (repo) => repo.listTicketTypes(event.id)),
    (types) => Object.fromEntries(types.map((t) => [t.name, t.held]))
  )

/** Seat status by seat id, as EventRepository sees it. */
const seatStatuses = (event: Event) =>
  Effect.map(
    Effect.flatMap(EventRepository, (repo) => repo.seatMap(event.id)),
    (map) => Object.fromEntries(map.seats.map((s) => [s.id, s.status]))
  )

const statusesWith = (seats: ReadonlyArray<Seat>, held: ReadonlyArray<Seat>) =>
  Object.fromEntries(seats.map((s) => [s.id, held.includes(s) ? "held" : "available"]))

const found = (id: ReservationId) =>
  Effect.flatMap(ReservationRepository, (repo) => repo.findById(id)).pipe(Effect.map(Option.getOrThrow))

const isAbsent = (id: ReservationId) =>
  Effect.flatMap(ReservationRepository, (repo) => repo.findById(id)).pipe(Effect.map(Option.isNone))

/** EndedHold with its ticket types sorted, the list sorted by id: neither order is part of the contract. */
const normalised = (ended: ReadonlyArray<EndedHold>) =>
  [...ended].map((e) => ({ ...e, ticketTypeIds: [...e.ticketTypeIds].sort() })).sort(byId)

/** On the TestClock, a time the adapter took from the clock is exactly the clock's time. */
const expectClockTime = (date: Date | null, at: Date) => expect(date).toEqual(at)

/** One contract, every adapter: what any ReservationRepository must do. */
export const reservationRepositoryContract = (
  name: string,
  adapters: Layer.Layer<ReservationRepository | EventRepository | UserRepository>
) =>
  // The adapters are built on the real clock (the database client's own timers must run); each test on a TestClock.
  layer(adapters, { timeout: "60 seconds", excludeTestServices: true })(
    `ReservationRepository contract: ${name}`,
    (it) => {
      /** A test on its own TestClock, which starts at the real time. */
      const test = (
        title: string,
        body: () => Effect.Effect<void, unknown, ReservationRepository | EventRepository | UserRepository>
      ) =>
        it.effect(title, () =>
          Effect.andThen(TestClock.setTime(Date.now()), body()).pipe(Effect.provide(TestClock.layer()))
        )

      test("a general-admission hold takes its units; the reservation is found with items and total", () =>
        Effect.gen(function* () {
          const customer = yield* aStoredUser()
          const event = yield* anEventOnSale()
          const standing = yield* aStoredTicketType(event, { name: "Standing", priceMinor: 2500, capacity: 10 })
          const terrace = yield* aStoredTicketType(event, { name: "Terrace", priceMinor: 4100, capacity: 10 })
          const expiresAt = after(yield* now, 45 * MINUTE)
          const before = yield* now

          const outcome = yield* hold(
            customer.id,
            event,
            {
              items: [
                { ticketTypeId: terrace.id, quantity: 2 },
                { ticketTypeId: standing.id, quantity: 3 }
              ]
            },
            { expiresAt }
          )
          const id = heldId(outcome)
          expect(yield* heldOf(event)).toEqual({ Standing: 3, Terrace: 2 })

          const reservation = yield* found(id)
          expect(reservation.id).toBe(id)
          expect(reservation.customerId).toBe(customer.id)
          expect(reservation.eventId).toBe(event.id)
          expect(reservation.status).toBe("active")
          expect(reservation.tickets).toBe(5)
          expect(reservation.totalMinor).toBe(3 * 2500 + 2 * 4100)
          expect(reservation.currency).toBe("EUR")
          expect(reservation.expiresAt).toEqual(expiresAt)
          expect(reservation.endedAt).toBeNull()
          expectClockTime(reservation.createdAt, before)
          expect([...reservation.items].sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1))).toEqual(
            [
              { ticketTypeId: standing.id, quantity: 3, unitPriceMinor: 2500 },
              { ticketTypeId: terrace.id, quantity: 2, unitPriceMinor: 4100 }
            ].sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1))
          )
          expect(reservation.seats).toEqual([])

          expect(yield* isAbsent(newReservationId())).toBe(true)
        }))

      test("discount takes an amount off an active hold's total, never below zero, and not off an ended one", () =>
        Effect.gen(function* () {
          const repo = yield* ReservationRepository
          const customer = yield* aStoredUser()
          const event = yield* anEventOnSale()
          const type = yield* aStoredTicketType(event, { priceMinor: 2500, capacity: 10 })
          const id = heldId(yield* hold(customer.id, event, { items: [{ ticketTypeId: type.id, quantity: 2 }] }))
          expect(Option.getOrThrow(yield* repo.discount(id, 700)).totalMinor).toBe(4300)
          expect((yield* found(id)).totalMinor).toBe(4300)
          expect(Option.getOrThrow(yield* repo.discount(id, 10_000)).totalMinor).toBe(0)
          yield* repo.end([id], "released")
          expect(Option.isNone(yield* repo.discount(id, 1))).toBe(true)
          expect(Option.isNone(yield* repo.discount(newReservationId(), 1))).toBe(true)
        }))

      test("refuses sold_out when capacity is short, changing nothing; exactly the rest still fits", () =>
        Effect.gen(function* () {
          const customer = yield* aStoredUser()
          const event = yield* anEventOnSale()
          // 10 seats' worth of capacity, 3 already held and 2 sold: 5 left.
          const type = yield* aStoredTicketType(event, { name: "Standing", capacity: 10, held: 3, sold: 2 })

          const reservationId = newReservationId()
          const reason = refusal(
            yield* hold(customer.id, event, { items: [{ ticketTypeId: type.id, quantity: 6 }] }, { reservationId })
          )
          expect(reason._tag).toBe("SoldOut")
          expect(reason.code).toBe("sold_out")
          expect(reason._tag === "SoldOut" && reason.ticketTypeId).toBe(type.id)
          expect(yield* heldOf(event)).toEqual({ Standing: 3 })
          expect(yield* isAbsent(reservationId)).toBe(true)

          heldId(yield* hold(customer.id, event, { items: [{ ticketTypeId: type.id, quantity: 5 }] }))
          expect(yield* heldOf(event)).toEqual({ Standing: 8 })
          expect(
            refusal(yield* hold(customer.id, event, { items: [{ ticketTypeId: type.id, quantity: 1 }] }))._tag
          ).toBe("SoldOut")
          expect(yield* heldOf(event)).toEqual({ Standing: 8 })
        }))

      test("a multi-item hold with one short item takes nothing at all, whichever item is short", () =>
        Effect.gen(function* () {
          for (const shortSortsLast of [true, false]) {
            const customer = yield* aStoredUser()
            const event = yield* anEventOnSale()
            const [low, high] = orderedIds()
            // When the short type sorts last, the plentiful one has already been taken when the shortage shows.
            const plenty = yield* aStoredTicketType(event, {
              id: shortSortsLast ? low : high,
              name: "Plenty",
              capacity: 10
            })
            const short = yield* aStoredTicketType(event, {
              id: shortSortsLast ? high : low,
              name: "Short",
              capacity: 2
            })

            const reservationId = newReservationId()
            const reason = refusal(
              yield* hold(
                customer.id,
                event,
                {
                  items: [
                    { ticketTypeId: plenty.id, quantity: 4 },
                    { ticketTypeId: short.id, quantity: 3 }
                  ]
                },
                { reservationId, customerLimit: 7 }
              )
            )
            expect(reason._tag).toBe("SoldOut")
            expect(reason._tag === "SoldOut" && reason.ticketTypeId).toBe(short.id)
            expect(yield* heldOf(event)).toEqual({ Plenty: 0, Short: 0 })
            expect(yield* isAbsent(reservationId)).toBe(true)

            // Nothing was recorded: not the reservation id, not the customer's count (the whole limit is free).
            const again = yield* hold(
              customer.id,
              event,
              {
                items: [
                  { ticketTypeId: plenty.id, quantity: 5 },
                  { ticketTypeId: short.id, quantity: 2 }
                ]
              },
              { reservationId, customerLimit: 7 }
            )
            expect(heldId(again)).toBe(reservationId)
            expect(yield* heldOf(event)).toEqual({ Plenty: 5, Short: 2 })
          }
        }))

      test("holds chosen seats all or nothing, and lists them in venue order with their prices", () =>
        Effect.gen(function* () {
          const alice = yield* aStoredUser()
          const bob = yield* aStoredUser()
          const venue = yield* aSeatedEvent
          const { event, stallsA, stallsA5, balconyA } = venue
          const [a1, a2, a3, a4] = stallsA as [Seat, Seat, Seat, Seat]
          const [b1] = balconyA as [Seat]
          expect(yield* heldOf(event)).toEqual({ Front: 0, Back: 0 })

          // Asked for out of venue order: the reservation lists them in venue order.
          const id = heldId(yield* hold(alice.id, event, { seatIds: [b1.id, stallsA5.id, a1.id] }))
          expect(yield* heldOf(event)).toEqual({ Front: 2, Back: 1 })
          expect(yield* seatStatuses(event)).toEqual(statusesWith(venue.venueOrder, [a1, stallsA5, b1]))
          const reservation = yield* found(id)
          expect(reservation.status).toBe("active")
          expect(reservation.tickets).toBe(3)
          expect(reservation.totalMinor).toBe(5000 + 3000 + 5000)
          expect(reservation.currency).toBe("EUR")
          expect(reservation.items).toEqual([])
          expect(reservation.seats).toEqual([
            {
              seatId: a1.id,
              ticketTypeId: venue.front.id,
              unitPriceMinor: 5000,
              section: "Stalls",
              row: "A",
              label: "1"
            },
            {
              seatId: stallsA5.id,
              ticketTypeId: venue.back.id,
              unitPriceMinor: 3000,
              section: "Stalls",
              row: "A",
              label: "5"
            },
            {
              seatId: b1.id,
              ticketTypeId: venue.front.id,
              unitPriceMinor: 5000,
              section: "Balcony",
              row: "A",
              label: "1"
            }
          ])

          // One of the wanted seats is taken: none of the others is.
          const refusedId = newReservationId()
          const taken = refusal(
            yield* hold(bob.id, event, { seatIds: [a2.id, a1.id, a3.id] }, { reservationId: refusedId })
          )
          expect(taken._tag).toBe("SeatUnavailable")
          expect(taken.code).toBe("seat_unavailable")
          expect(yield* isAbsent(refusedId)).toBe(true)
          // Only taken seats, and a seat that does not exist, are refused the same way.
          expect(refusal(yield* hold(bob.id, event, { seatIds: [a1.id] })).code).toBe("seat_unavailable")
          const ghost = crypto.randomUUID()
          expect(refusal(yield* hold(bob.id, event, { seatIds: [a4.id, ghost] })).code).toBe("seat_unavailable")
          expect(yield* heldOf(event)).toEqual({ Front: 2, Back: 1 })
          expect(yield* seatStatuses(event)).toEqual(statusesWith(venue.venueOrder, [a1, stallsA5, b1]))

          // The free ones are still there for Bob.
          heldId(yield* hold(bob.id, event, { seatIds: [a2.id, a3.id] }))
          expect(yield* seatStatuses(event)).toEqual(statusesWith(venue.venueOrder, [a1, a2, a3, stallsA5, b1]))
          expect(yield* heldOf(event)).toEqual({ Front: 4, Back: 1 })
        }))

      test("enforces the per-customer limit over all of a customer's holds on the event", () =>
        Effect.gen(function* () {
          const alice = yield* aStoredUser()
          const bob = yield* aStoredUser()
          const venue = yield* aSeatedEvent
          const { event } = venue
          const ga = yield* aStoredTicketType(event, { name: "Standing", capacity: 50 })
          const items = (quantity: number) => ({ items: [{ ticketTypeId: ga.id, quantity }] })
          const limit = { customerLimit: 4 }

          heldId(yield* hold(alice.id, event, items(2), limit))
          heldId(yield* hold(alice.id, event, { seatIds: [venue.stallsB[0]?.id as string] }, limit))
          heldId(yield* hold(alice.id, event, items(1), limit))
          expect(yield* heldOf(event)).toEqual({ Front: 0, Back: 1, Standing: 3 })

          const refusedId = newReservationId()
          const overGa = refusal(yield* hold(alice.id, event, items(1), { ...limit, reservationId: refusedId }))
          expect(overGa._tag).toBe("LimitExceeded")
          expect(overGa.code).toBe("customer_limit_exceeded")
          expect(overGa._tag === "LimitExceeded" && overGa.limit).toBe(4)
          expect(yield* isAbsent(refusedId)).toBe(true)
          const overSeats = refusal(yield* hold(alice.id, event, { seatIds: [venue.stallsB[1]?.id as string] }, limit))
          expect(overSeats.code).toBe("customer_limit_exceeded")
          expect(yield* heldOf(event)).toEqual({ Front: 0, Back: 1, Standing: 3 })
          expect((yield* seatStatuses(event))[venue.stallsB[1]?.id as string]).toBe("available")

          // A single request above the limit is refused even with nothing counted yet.
          expect(refusal(yield* hold(bob.id, event, items(5), limit)).code).toBe("customer_limit_exceeded")
          // The limit is per customer: Bob still has all four.
          heldId(yield* hold(bob.id, event, items(4), limit))
          // …and per event: Alice's count on another event starts at zero.
          const other = yield* anEventOnSale()
          const otherGa = yield* aStoredTicketType(other, { name: "Standing", capacity: 50 })
          heldId(yield* hold(alice.id, other, { items: [{ ticketTypeId: otherGa.id, quantity: 4 }] }, limit))
          expect(yield* heldOf(event)).toEqual({ Front: 0, Back: 1, Standing: 7 })
        }))

      // Holds that arrive together for one ticket type may be placed together (ReservationRepositoryPg groups the
      // ones that queue for the type's row): each must still get exactly the answer it would get alone.
      test("holds arriving together for one type each get their own answer: limits, replays, no oversell", () =>
        Effect.gen(function* () {
          const event = yield* anEventOnSale()
          const type = yield* aStoredTicketType(event, { name: "Standing", capacity: 100 })
          const one = { items: [{ ticketTypeId: type.id, quantity: 1 }] }
          const two = { items: [{ ticketTypeId: type.id, quantity: 2 }] }
          const crowd = yield* Effect.forEach(Array.from({ length: 30 }), () => aStoredUser())
          const limited = yield* aStoredUser()
          const retrying = yield* aStoredUser()
          const at = yield* now
          const key = { idempotency: { key: "k-1", requestHash: "h-1", expiresAt: after(at, DAY) } }

          const [crowdOutcomes, limitedOutcomes, retryOutcomes] = yield* Effect.all(
            [
              Effect.forEach(crowd, (c) => hold(c.id, event, one), { concurrency: "unbounded" }),
              Effect.forEach([1, 2], () => hold(limited.id, event, two, { customerLimit: 3 }), {
                concurrency: "unbounded"
              }),
              Effect.forEach([1, 2], () => hold(retrying.id, event, one, key), { concurrency: "unbounded" })
            ],
            { concurrency: "unbounded" }
          )

          crowdOutcomes.forEach(heldId)
          expect(limitedOutcomes.map((o) => o._tag).sort()).toEqual(["Held", "Refused"])
          expect(limitedOutcomes.map((o) => (o._tag === "Refused" ? o.reason._tag : o._tag)).sort()).toEqual([
            "Held",
            "LimitExceeded"
          ])
          expect(retryOutcomes.map((o) => o._tag).sort()).toEqual(["Held", "Replayed"])
          const [first, second] = retryOutcomes.map((o) =>
            o._tag === "Refused" || o._tag === "KeyReused" ? "" : o.reservation.id
          )
          expect(first).toBe(second)
          expect(yield* heldOf(event)).toEqual({ Standing: 30 + 2 + 1 })
          for (const id of [...crowdOutcomes, ...limitedOutcomes].filter((o) => o._tag === "Held").map(heldId))
            expect((yield* found(id)).status).toBe("active")
        }))

      test("holds arriving together beyond the capacity: exactly the capacity held, the rest sold out", () =>
        Effect.gen(function* () {
          const event = yield* anEventOnSale()
          const [low, high] = orderedIds()
          const single = yield* aStoredTicketType(event, { name: "Single", capacity: 25 })
          // Two items, the short one sorting last: a refused hold has already taken its first item when it is refused.
          const plenty = yield* aStoredTicketType(event, { id: low, name: "Plenty", capacity: 100 })
          const short = yield* aStoredTicketType(event, { id: high, name: "Short", capacity: 5 })
          const customers = yield* Effect.forEach(Array.from({ length: 40 }), () => aStoredUser())

          const [singles, pairs] = yield* Effect.all(
            [
              Effect.forEach(
                customers,
                (c) => hold(c.id, event, { items: [{ ticketTypeId: single.id, quantity: 1 }] }),
                {
                  concurrency: "unbounded"
                }
              ),
              Effect.forEach(
                customers.slice(0, 12),
                (c) =>
                  hold(c.id, event, {
                    items: [
                      { ticketTypeId: plenty.id, quantity: 1 },
                      { ticketTypeId: short.id, quantity: 1 }
                    ]
                  }),
                { concurrency: "unbounded" }
              )
            ],
            { concurrency: "unbounded" }
          )

          const tags = (outcomes: ReadonlyArray<PlaceOutcome>) =>
            outcomes.map((o) => (o._tag === "Refused" ? o.reason._tag : o._tag)).sort()
          expect(tags(singles)).toEqual([...Array(25).fill("Held"), ...Array(15).fill("SoldOut")])
          expect(tags(pairs)).toEqual([...Array(5).fill("Held"), ...Array(7).fill("SoldOut")])
          expect(yield* heldOf(event)).toEqual({ Single: 25, Plenty: 5, Short: 5 })
        }))

      test("seat holds arriving together: every seat held once, by a hold that asked for it", () =>
        Effect.gen(function* () {
          const venue = yield* aSeatedEvent
          const { event } = venue
          const customers = yield* Effect.forEach(Array.from({ length: 22 }), () => aStoredUser())
          // Two buyers for every seat, the second asking for it with its neighbour in venue order.
          const asked = customers.map((_, i) => {
            const seat = venue.venueOrder[i % 11] as Seat
            const neighbour = venue.venueOrder[(i + 1) % 11] as Seat
            return i < 11 ? [seat.id] : [seat.id, neighbour.id]
          })
          const outcomes = yield* Effect.forEach(customers, (c, i) => hold(c.id, event, { seatIds: asked[i] ?? [] }), {
            concurrency: "unbounded"
          })

          const heldSeats = outcomes.flatMap((o, i) => {
            if (o._tag === "Refused") {
              expect(o.reason._tag).toBe("SeatUnavailable")
              return []
            }
            expect(o._tag).toBe("Held")
            const seats = o._tag === "Held" ? o.reservation.seats.map((s) => s.seatId) : []
            expect([...seats].sort()).toEqual([...(asked[i] ?? [])].sort())
            return seats
          })
          expect(new Set(heldSeats).size).toBe(heldSeats.length)
          const statuses = yield* seatStatuses(event)
          expect(
            venue.venueOrder
              .filter((s) => statuses[s.id] === "held")
              .map((s) => s.id)
              .sort()
          ).toEqual([...heldSeats].sort())
          const held = yield* heldOf(event)
          expect((held.Front ?? 0) + (held.Back ?? 0)).toBe(heldSeats.length)
        }))

      test("tells live keys from expired or unknown ones, and purgeExpiredKeys forgets only the expired", () =>
        Effect.gen(function* () {
          const repository = yield* ReservationRepository
          const alice = yield* aStoredUser()
          const event = yield* anEventOnSale()
          const type = yield* aStoredTicketType(event, { name: "Standing", capacity: 50 })
          const at = yield* now
          const request = { items: [{ ticketTypeId: type.id, quantity: 1 }] }
          const key = (k: string, expiresAt: Date) => ({ idempotency: { key: k, requestHash: "h", expiresAt } })
          const live = heldId(yield* hold(alice.id, event, request, key("live", after(at, DAY))))
          heldId(yield* hold(alice.id, event, request, key("gone", after(at, MINUTE))))
          expect(yield* repository.hasLiveKey(alice.id, "gone")).toBe(true)

          // A minute later the second key has expired; the first lives on.
          yield* TestClock.adjust("1 minute")
          expect(yield* repository.hasLiveKey(alice.id, "live")).toBe(true)
          expect(yield* repository.hasLiveKey(alice.id, "gone")).toBe(false)
          expect(yield* repository.hasLiveKey(alice.id, "never-sent")).toBe(false)
          expect(yield* repository.purgeExpiredKeys(yield* now, 10_000)).toBeGreaterThanOrEqual(1)
          expect(yield* repository.purgeExpiredKeys(yield* now, 10_000)).toBe(0)
          const replay = yield* hold(alice.id, event, request, key("live", after(at, DAY)))
          expect(replay._tag === "Replayed" && replay.reservation.id).toBe(live)
        }))

      test("liveKeys pages through every live hold key once, in customer-then-key order, expired ones left out", () =>
        Effect.gen(function* () {
          const repository = yield* ReservationRepository
          const alice = yield* aStoredUser()
          const bob = yield* aStoredUser()
          const event = yield* anEventOnSale()
          const type = yield* aStoredTicketType(event, { name: "Standing", capacity: 50 })
          const at = yield* now
          const request = { items: [{ ticketTypeId: type.id, quantity: 1 }] }
          const key = (k: string, expiresAt: Date) => ({ idempotency: { key: k, requestHash: "h", expiresAt } })
          const expiry = after(at, DAY)
          // Keys may hold colons (the in-memory store keeps `${customer}:${scope}:${key}`).
          for (const [user, k] of [
            [alice, "a:2"],
            [bob, "k1"],
            [alice, "a:1"],
            [alice, "b"],
            [bob, "k2"]
          ] as const)
            heldId(yield* hold(user.id, event, request, key(k, expiry)))
          heldId(yield* hold(alice.id, event, request, key("gone", after(at, MINUTE))))
          heldId(yield* hold(bob.id, event, request))
          yield* TestClock.adjust("1 minute")

          // Pages of two, each after the last key of the one before, over every key of the store.
          const seen: Array<LiveKey> = []
          for (let page = yield* repository.liveKeys(undefined, 2); ; ) {
            expect(page.length).toBeLessThanOrEqual(2)
            seen.push(...page)
            const last = page[page.length - 1]
            if (page.length < 2 || last === undefined) break
            page = yield* repository.liveKeys(last, 2)
          }
          const ours = seen.filter((k) => k.customerId === alice.id || k.customerId === bob.id)
          const keysOf = { [alice.id]: ["a:1", "a:2", "b"], [bob.id]: ["k1", "k2"] }
          expect(ours.map((k) => `${k.customerId}/${k.key}`)).toEqual(
            [alice.id, bob.id].sort().flatMap((id) => (keysOf[id] ?? []).map((k) => `${id}/${k}`))
          )
          for (const k of ours) expect(k.expiresAt).toEqual(expiry)
          expect(new Set(seen.map((k) => `${k.customerId}/${k.key}`)).size).toBe(seen.length)
        }))

      test("replays a repeated idempotency key, refuses it for another request, and reuses an expired one", () =>
        Effect.gen(function* () {
          const alice = yield* aStoredUser()
          const bob = yield* aStoredUser()
          const event = yield* anEventOnSale()
          const type = yield* aStoredTicketType(event, { name: "Standing", capacity: 50 })
          const at = yield* now
          const request = { items: [{ ticketTypeId: type.id, quantity: 2 }] }
          const key = (k: string, requestHash: string, expiresAt = after(at, DAY)) => ({
            idempotency: { key: k, requestHash, expiresAt }
          })

          const first = heldId(yield* hold(alice.id, event, request, key("key-1", "hash-a")))
          expect(yield* heldOf(event)).toEqual({ Standing: 2 })

          const replayId = newReservationId()
          const replay = yield* hold(alice.id, event, request, { ...key("key-1", "hash-a"), reservationId: replayId })
          expect(replay._tag).toBe("Replayed")
          // The replay answers with the first hold itself, exactly as findById reads it.
          expect(replay._tag === "Replayed" && replay.reservation).toEqual(
            Option.getOrThrow(yield* (yield* ReservationRepository).findById(first))
          )
          expect(yield* heldOf(event)).toEqual({ Standing: 2 })
          expect(yield* isAbsent(replayId)).toBe(true)

          const reusedId = newReservationId()
          const reused = yield* hold(
            alice.id,
            event,
            { items: [{ ticketTypeId: type.id, quantity: 3 }] },
            { ...key("key-1", "hash-b"), reservationId: reusedId }
          )
          expect(reused).toEqual({ _tag: "KeyReused" })
          expect(yield* heldOf(event)).toEqual({ Standing: 2 })
          expect(yield* isAbsent(reusedId)).toBe(true)

          // Keys belong to one customer: Bob's "key-1" is his own.
          heldId(yield* hold(bob.id, event, request, key("key-1", "hash-a")))
          expect(yield* heldOf(event)).toEqual({ Standing: 4 })

          // A key that has expired does not replay: the same request holds again, and records the key anew.
          const stale = heldId(yield* hold(alice.id, event, request, key("key-2", "hash-a", after(at, MINUTE))))
          const early = yield* hold(alice.id, event, request, key("key-2", "hash-a"))
          expect(early._tag === "Replayed" && early.reservation.id).toBe(stale)
          yield* TestClock.adjust("1 minute")
          const fresh = heldId(yield* hold(alice.id, event, request, key("key-2", "hash-a", after(at, DAY))))
          expect(fresh).not.toBe(stale)
          expect(yield* heldOf(event)).toEqual({ Standing: 8 })
          const replayed = yield* hold(alice.id, event, request, key("key-2", "hash-a", after(at, DAY)))
          expect(replayed._tag === "Replayed" && replayed.reservation.id).toBe(fresh)
          expect(yield* hold(alice.id, event, request, key("key-2", "hash-c"))).toEqual({ _tag: "KeyReused" })
          expect(yield* heldOf(event)).toEqual({ Standing: 8 })

          // A refused hold records no key: the same key holds once there is room.
          const tight = yield* aStoredTicketType(event, { name: "Tight", capacity: 1 })
          const tightRequest = { items: [{ ticketTypeId: tight.id, quantity: 1 }] }
          expect(
            refusal(
              yield* hold(alice.id, event, { items: [{ ticketTypeId: tight.id, quantity: 2 }] }, key("key-3", "hash-a"))
            )._tag
          ).toBe("SoldOut")
          heldId(yield* hold(alice.id, event, tightRequest, key("key-3", "hash-a")))
        }))

      test("end releases a hold once: units, seats and the customer's count come back", () =>
        Effect.gen(function* () {
          const repo = yield* ReservationRepository
          const alice = yield* aStoredUser()
          const bob = yield* aStoredUser()
          const venue = yield* aSeatedEvent
          const { event } = venue
          const ga = yield* aStoredTicketType(event, { name: "Standing", capacity: 50 })
          const limit = { customerLimit: 5 }
          const seats = [venue.stallsA[0], venue.stallsA5] as [Seat, Seat]

          const gaHold = heldId(yield* hold(alice.id, event, { items: [{ ticketTypeId: ga.id, quantity: 3 }] }, limit))
          const seatHold = heldId(yield* hold(alice.id, event, { seatIds: seats.map((s) => s.id) }, limit))
          expect(yield* heldOf(event)).toEqual({ Front: 1, Back: 1, Standing: 3 })
          expect(
            refusal(yield* hold(alice.id, event, { items: [{ ticketTypeId: ga.id, quantity: 1 }] }, limit)).code
          ).toBe("customer_limit_exceeded")

          // Someone else's hold is not theirs to end.
          expect(yield* repo.end([gaHold, seatHold], "released", bob.id)).toEqual([])
          expect((yield* found(gaHold)).status).toBe("active")
          expect((yield* found(seatHold)).status).toBe("active")
          expect(yield* heldOf(event)).toEqual({ Front: 1, Back: 1, Standing: 3 })

          // Ended a minute after they were placed: they end at the clock's time then.
          yield* TestClock.adjust("1 minute")
          const endedAt = yield* now
          const ended = yield* repo.end([gaHold, seatHold, newReservationId()], "released", alice.id)
          expect(normalised(ended)).toEqual(
            normalised([
              { id: gaHold, eventId: event.id, ticketTypeIds: [ga.id] },
              { id: seatHold, eventId: event.id, ticketTypeIds: [venue.front.id, venue.back.id] }
            ])
          )
          expect(yield* heldOf(event)).toEqual({ Front: 0, Back: 0, Standing: 0 })
          expect(yield* seatStatuses(event)).toEqual(statusesWith(venue.venueOrder, []))
          for (const id of [gaHold, seatHold]) {
            const reservation = yield* found(id)
            expect(reservation.status).toBe("released")
            expectClockTime(reservation.endedAt, endedAt)
            expect(reservation.createdAt).toEqual(after(endedAt, -MINUTE))
          }

          // The count came back: Alice can hold her whole limit again, seats included.
          const again = heldId(
            yield* hold(alice.id, event, { items: [{ ticketTypeId: ga.id, quantity: 4 }] }, { customerLimit: 5 })
          )
          heldId(yield* hold(alice.id, event, { seatIds: [seats[0].id] }, limit))
          expect(yield* heldOf(event)).toEqual({ Front: 1, Back: 0, Standing: 4 })

          // Ending again changes nothing, and the ended holds stay released (not re-ended as expired).
          expect(yield* repo.end([gaHold, seatHold], "expired")).toEqual([])
          expect(yield* heldOf(event)).toEqual({ Front: 1, Back: 0, Standing: 4 })
          expect((yield* found(gaHold)).status).toBe("released")
          expect(
            refusal(yield* hold(alice.id, event, { items: [{ ticketTypeId: ga.id, quantity: 1 }] }, limit)).code
          ).toBe("customer_limit_exceeded")

          // Without a customer, any active hold ends; ending with the owner's id ends it too.
          expect(normalised(yield* repo.end([again], "released"))).toEqual([
            { id: again, eventId: event.id, ticketTypeIds: [ga.id] }
          ])
          expect(yield* heldOf(event)).toEqual({ Front: 1, Back: 0, Standing: 0 })
          expect(yield* repo.end([], "released")).toEqual([])
        }))

      test("expireDue ends only due holds, oldest first, up to the limit, and reports the lag", () =>
        Effect.gen(function* () {
          const repo = yield* ReservationRepository
          const customer = yield* aStoredUser()
          const venue = yield* aSeatedEvent
          const { event } = venue
          const ga = yield* aStoredTicketType(event, { name: "Standing", capacity: 50 })
          const at = yield* now
          const gaHold = (quantity: number, expiresAt: Date) =>
            Effect.map(hold(customer.id, event, { items: [{ ticketTypeId: ga.id, quantity }] }, { expiresAt }), heldId)
          const expiry = {
            oldest: after(at, MINUTE),
            middle: after(at, 2 * MINUTE),
            newest: after(at, 3 * MINUTE),
            future: after(at, HOUR)
          }
          // Placed in an order that is neither expiry order nor its reverse.
          const middle = yield* gaHold(2, expiry.middle)
          const future = yield* gaHold(4, expiry.future)
          const oldest = heldId(
            yield* hold(customer.id, event, { seatIds: [venue.balconyA3.id] }, { expiresAt: expiry.oldest })
          )
          const newest = yield* gaHold(1, expiry.newest)
          expect(yield* heldOf(event)).toEqual({ Front: 0, Back: 1, Standing: 7 })
          expect(yield* repo.expireDue(yield* now, 10)).toEqual({ ended: [], maxLagMs: 0 })

          // At the middle hold's expiry both it and the oldest are due; a limit of one takes the oldest.
          yield* TestClock.adjust("2 minutes")
          expect(yield* now).toEqual(expiry.middle)
          const first = yield* repo.expireDue(yield* now, 1)
          expect(first.ended).toEqual([{ id: oldest, eventId: event.id, ticketTypeIds: [venue.back.id] }])
          expect(first.maxLagMs).toBe(expiry.middle.getTime() - expiry.oldest.getTime())
          expect(yield* heldOf(event)).toEqual({ Front: 0, Back: 0, Standing: 7 })
          expect((yield* seatStatuses(event))[venue.balconyA3.id]).toBe("available")
          expect((yield* found(oldest)).status).toBe("expired")

          // A hold expiring exactly at `now` is due; one expiring a minute later is not.
          const second = yield* repo.expireDue(yield* now, 10)
          expect(second.ended).toEqual([{ id: middle, eventId: event.id, ticketTypeIds: [ga.id] }])
          expect(second.maxLagMs).toBe(0)
          expect((yield* found(newest)).status).toBe("active")

          // Found two minutes after the newest expired: the lag says so.
          yield* TestClock.adjust("3 minutes")
          const third = yield* repo.expireDue(yield* now, 10)
          expect(third.ended).toEqual([{ id: newest, eventId: event.id, ticketTypeIds: [ga.id] }])
          expect(third.maxLagMs).toBe(2 * MINUTE)

          const none = yield* repo.expireDue(yield* now, 10)
          expect(none).toEqual({ ended: [], maxLagMs: 0 })
          expect((yield* found(middle)).status).toBe("expired")
          expect((yield* found(newest)).status).toBe("expired")
          expect((yield* found(future)).status).toBe("active")
          expect(yield* heldOf(event)).toEqual({ Front: 0, Back: 0, Standing: 4 })
          // Expired holds gave their count back: the customer may hold 3 more beside the live 4 with a limit of 7.
          heldId(
            yield* hold(customer.id, event, { items: [{ ticketTypeId: ga.id, quantity: 3 }] }, { customerLimit: 7 })
          )
          yield* repo.end([future], "released")
        }))

      test("availableSeats lists a type's available seats in venue order, with their row sizes", () =>
        Effect.gen(function* () {
          const repo = yield* ReservationRepository
          const customer = yield* aStoredUser()
          const venue = yield* aSeatedEvent
          const { event, stalls, balcony } = venue
          const [a1, a2, a3, a4] = venue.stallsA as [Seat, Seat, Seat, Seat]
          const [b1, b2] = venue.balconyA as [Seat, Seat]
          const candidate = (seat: Seat, sectionPosition: number, rowSize: number) => ({
            id: seat.id,
            sectionPosition,
            rowPosition: seat.rowPosition,
            position: seat.position,
            rowSize
          })

          expect(yield* repo.availableSeats(event.id, venue.front.id)).toEqual([
            candidate(a1, 1, 5),
            candidate(a2, 1, 5),
            candidate(a3, 1, 5),
            candidate(a4, 1, 5),
            candidate(b1, 2, 3),
            candidate(b2, 2, 3)
          ])
          const s5 = venue.stallsA5
          const [r1, r2, r3] = venue.stallsB as [Seat, Seat, Seat]
          expect(yield* repo.availableSeats(event.id, venue.back.id)).toEqual([
            candidate(s5, 1, 5),
            candidate(r1, 1, 3),
            candidate(r2, 1, 3),
            candidate(r3, 1, 3),
            candidate(venue.balconyA3, 2, 3)
          ])

          // Held seats drop out; the row size still counts them.
          heldId(yield* hold(customer.id, event, { seatIds: [a2.id, b1.id, r2.id] }))
          expect(yield* repo.availableSeats(event.id, venue.front.id)).toEqual([
            candidate(a1, 1, 5),
            candidate(a3, 1, 5),
            candidate(a4, 1, 5),
            candidate(b2, 2, 3)
          ])
          expect(yield* repo.availableSeats(event.id, venue.front.id, balcony.id)).toEqual([candidate(b2, 2, 3)])
          expect(yield* repo.availableSeats(event.id, venue.back.id, stalls.id)).toEqual([
            candidate(s5, 1, 5),
            candidate(r1, 1, 3),
            candidate(r3, 1, 3)
          ])

          // Nothing for a general-admission type, another event, or a section without that type.
          const ga = yield* aStoredTicketType(event, { name: "Standing" })
          expect(yield* repo.availableSeats(event.id, ga.id)).toEqual([])
          const other = yield* anEventOnSale()
          expect(yield* repo.availableSeats(other.id, venue.front.id)).toEqual([])
          expect(yield* repo.availableSeats(event.id, venue.front.id, crypto.randomUUID())).toEqual([])
        }))

      test("seatTypes maps the event's seats to their ticket types and leaves unknown seats out", () =>
        Effect.gen(function* () {
          const repo = yield* ReservationRepository
          const venue = yield* aSeatedEvent
          const elsewhere = yield* aSeatedEvent
          const [a1] = venue.stallsA as [Seat]
          const [r1] = venue.stallsB as [Seat]
          const sorted = (rows: ReadonlyArray<{ readonly seatId: string; readonly ticketTypeId: string }>) =>
            [...rows].sort((x, y) => (x.seatId < y.seatId ? -1 : 1))

          const types = yield* repo.seatTypes(venue.event.id, [
            r1.id,
            crypto.randomUUID(),
            a1.id,
            (elsewhere.stallsA[0] as Seat).id
          ])
          expect(sorted(types)).toEqual(
            sorted([
              { seatId: a1.id, ticketTypeId: venue.front.id },
              { seatId: r1.id, ticketTypeId: venue.back.id }
            ])
          )
          expect(yield* repo.seatTypes(venue.event.id, [])).toEqual([])
          expect(yield* repo.seatTypes(venue.event.id, [crypto.randomUUID()])).toEqual([])
        }))

      test("refuses holds on an event that is not on sale, or whose sales are closed, changing nothing", () =>
        Effect.gen(function* () {
          const customer = yield* aStoredUser()
          const at = yield* now
          const cases = [
            { name: "draft", overrides: { status: "draft" as const, publishedAt: null }, tag: "EventNotOnSale" },
            {
              name: "cancelled",
              overrides: { status: "cancelled" as const, cancelledAt: after(at, -HOUR) },
              tag: "EventNotOnSale"
            },
            {
              name: "over",
              overrides: { startsAt: after(at, -DAY), salesStartAt: after(at, -30 * DAY) },
              tag: "EventNotOnSale"
            },
            { name: "sales not yet open", overrides: { salesStartAt: after(at, DAY) }, tag: "SalesClosed" },
            { name: "sales ended", overrides: { salesEndAt: after(at, -MINUTE) }, tag: "SalesClosed" }
          ]
          for (const c of cases) {
            const event = yield* anEventOnSale({ title: `Not on sale: ${c.name}`, ...c.overrides })
            const type = yield* aStoredTicketType(event, { name: "Standing" })
            const reason = refusal(yield* hold(customer.id, event, { items: [{ ticketTypeId: type.id, quantity: 1 }] }))
            expect({ name: c.name, tag: reason._tag }).toEqual({ name: c.name, tag: c.tag })
            expect(reason.code).toBe(c.tag === "SalesClosed" ? "sales_closed" : "event_not_on_sale")
            expect(yield* heldOf(event)).toEqual({ Standing: 0 })
          }
          const ghost = anEvent(customer.id, { id: crypto.randomUUID() as EventId })
          expect(
            refusal(yield* hold(customer.id, ghost, { items: [{ ticketTypeId: crypto.randomUUID(), quantity: 1 }] }))
              .code
          ).toBe("event_not_on_sale")
        }))

      test("sales open, close and the event ends by the caller's clock, not the database's", () =>
        Effect.gen(function* () {
          const customer = yield* aStoredUser()
          const at = yield* now
          // Sales open in an hour and close in two; the event starts in three and ends in five.
          const event = yield* anEventOnSale({ startsAt: after(at, 3 * HOUR), salesStartAt: after(at, HOUR) })
          expect(event.salesEndAt).toEqual(after(at, 2 * HOUR))
          expect(event.endsAt).toEqual(after(at, 5 * HOUR))
          const type = yield* aStoredTicketType(event, { name: "Standing" })
          const one = { items: [{ ticketTypeId: type.id, quantity: 1 }] }

          expect(refusal(yield* hold(customer.id, event, one))._tag).toBe("SalesClosed")
          yield* TestClock.adjust("1 hour")
          const placed = yield* found(heldId(yield* hold(customer.id, event, one)))
          expectClockTime(placed.createdAt, after(at, HOUR))
          expect(placed.expiresAt).toEqual(after(at, 2 * HOUR))
          yield* TestClock.adjust("1 hour")
          expect(refusal(yield* hold(customer.id, event, one))._tag).toBe("SalesClosed")
          yield* TestClock.adjust("3 hours")
          expect(refusal(yield* hold(customer.id, event, one))._tag).toBe("EventNotOnSale")
          expect(yield* heldOf(event)).toEqual({ Standing: 1 })
        }))
    }
  )

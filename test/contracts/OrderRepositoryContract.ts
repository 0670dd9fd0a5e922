import { expect, layer } from "@effect/vitest"
import { Cause, Effect, Exit, type Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { Event } from "../../src/domain/catalog/Event.ts"
import { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { Seat, Section } from "../../src/domain/catalog/Seating.ts"
import type { TicketType } from "../../src/domain/catalog/TicketType.ts"
import type { Order, Ticket } from "../../src/domain/orders/Order.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import { type PlaceHold, ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import type { OrderId, ReservationId, SeatId, SectionId, TicketId, UserId } from "../../src/domain/shared/Ids.ts"
import { now } from "../../src/domain/shared/Now.ts"
import { anEvent, aTicketType } from "./EventRepositoryContract.ts"
import { aUser } from "./UserRepositoryContract.ts"

/*
 * Time: every adapter takes it from the Effect Clock (the PostgreSQL one passes it to its SQL functions, the hold
 * functions included), so the contract runs on a TestClock, set to the real time when each test starts, and moved by
 * hand. The helpers below read the Clock too, so suites that run on the real clock can use them.
 */

export const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

export { now }
export const after = (date: Date, ms: number) => new Date(date.getTime() + ms)
export const newOrderId = () => crypto.randomUUID() as OrderId
const newReservationId = () => crypto.randomUUID() as ReservationId

export const aStoredUser = (accountType: "customer" | "organizer" = "customer") =>
  Effect.gen(function* () {
    const user = aUser({ accountType })
    yield* (yield* UserRepository).insert(user, "hash")
    return user
  })

/** An event whose sales are open now: it starts in about 30 days (real time); sales opened yesterday. */
export const anEventOnSale = Effect.gen(function* () {
  const organizer = yield* aStoredUser("organizer")
  const at = yield* now
  const event = anEvent(organizer.id, {
    startsAt: after(at, 30 * DAY),
    salesStartAt: after(at, -DAY),
    status: "published",
    publishedAt: after(at, -DAY)
  })
  yield* (yield* EventRepository).insert(event)
  return event
})

export const aStoredTicketType = (event: Event, overrides: Partial<ConstructorParameters<typeof TicketType>[0]> = {}) =>
  Effect.gen(function* () {
    const type = aTicketType(event.id, overrides)
    yield* (yield* EventRepository).insertTicketType(type)
    return type
  })

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
 * A sale: general admission "Standing" (2500, `capacity`), and seats stored shuffled:
 *   Stalls  (position 1) row A: 1..3 "Seated" (4000); row B: 1..2 "Seated"
 *   Balcony (position 2) row A: 1 "Box" (6000)
 */
export const aSale = (capacity = 50) =>
  Effect.gen(function* () {
    const event = yield* anEventOnSale
    const standing = yield* aStoredTicketType(event, { name: "Standing", priceMinor: 2500, capacity })
    const seated = yield* aStoredTicketType(event, { name: "Seated", priceMinor: 4000, capacity: 0 })
    const box = yield* aStoredTicketType(event, { name: "Box", priceMinor: 6000, capacity: 0 })
    const stalls = new Section({ id: crypto.randomUUID() as SectionId, eventId: event.id, name: "Stalls", position: 1 })
    const balcony = new Section({
      id: crypto.randomUUID() as SectionId,
      eventId: event.id,
      name: "Balcony",
      position: 2
    })
    const [a1, a2, a3] = [1, 2, 3].map((p) => aSeat(stalls, "A", 1, p, seated)) as [Seat, Seat, Seat]
    const [b1, b2] = [1, 2].map((p) => aSeat(stalls, "B", 2, p, seated)) as [Seat, Seat]
    const boxA1 = aSeat(balcony, "A", 1, 1, box)
    yield* (yield* EventRepository).replaceSeating(event.id, [balcony, stalls], [b2, boxA1, a3, a1, b1, a2])
    return { event, standing, seated, box, a1, a2, a3, b1, b2, boxA1 }
  })
export type Sale = Effect.Success<ReturnType<typeof aSale>>

export const place = (
  customerId: UserId,
  event: Event,
  request: Pick<PlaceHold, "items"> | Pick<PlaceHold, "seatIds">,
  overrides: Partial<PlaceHold> = {}
) =>
  Effect.gen(function* () {
    const at = yield* now
    return yield* (yield* ReservationRepository).place({
      reservationId: newReservationId(),
      customerId,
      eventId: event.id,
      ...request,
      expiresAt: after(at, 10 * MINUTE),
      customerLimit: 100,
      ...overrides
    })
  })

/** A live hold: of `quantity` general-admission units, or of the given seats. */
export const holdOf = (
  customerId: UserId,
  event: Event,
  what: { readonly type: TicketType; readonly quantity: number } | ReadonlyArray<Seat>,
  overrides: Partial<PlaceHold> = {}
) =>
  Effect.gen(function* () {
    const request =
      "type" in what
        ? { items: [{ ticketTypeId: what.type.id, quantity: what.quantity }] }
        : { seatIds: what.map((s) => s.id as string) }
    const outcome = yield* place(customerId, event, request, overrides)
    if (outcome._tag !== "Held") throw new Error(`expected Held, got ${JSON.stringify(outcome)}`)
    return outcome.reservation
  })

/** Opens the hold's order (expects Opened). */
export const openOrder = (
  reservationId: ReservationId,
  customerId: UserId,
  options: { readonly holdUntil?: Date; readonly orderId?: OrderId } = {}
) =>
  Effect.gen(function* () {
    const at = yield* now
    const outcome = yield* (yield* OrderRepository).open({
      orderId: options.orderId ?? newOrderId(),
      reservationId,
      customerId,
      holdUntil: options.holdUntil ?? after(at, 30 * MINUTE)
    })
    if (outcome._tag !== "Opened") throw new Error(`expected Opened, got ${JSON.stringify(outcome)}`)
    return outcome.order
  })

/** Hold, open, claim and confirm: an order with its tickets. */
export const aPaidOrder = (customerId: UserId, event: Event, what: Parameters<typeof holdOf>[2]) =>
  Effect.gen(function* () {
    const repo = yield* OrderRepository
    const hold = yield* holdOf(customerId, event, what)
    const order = yield* openOrder(hold.id, customerId)
    expect(yield* repo.claimUnits(order.id)).toEqual({ _tag: "Claimed" })
    return yield* repo.confirm(order.id, yield* now)
  })

/** held/sold of each of the event's ticket types, by name. */
export const unitsOf = (event: Event) =>
  Effect.map(
    Effect.flatMap(EventRepository, (repo) => repo.listTicketTypes(event.id)),
    (types) => Object.fromEntries(types.map((t) => [t.name, { held: t.held, sold: t.sold }]))
  )

/** Seat status by seat label ("A1", "B2", "Box"), as EventRepository sees it. */
export const seatsOf = (sale: Sale) =>
  Effect.map(
    Effect.flatMap(EventRepository, (repo) => repo.seatMap(sale.event.id)),
    (map) => {
      const name = new Map([
        [sale.a1.id, "A1"],
        [sale.a2.id, "A2"],
        [sale.a3.id, "A3"],
        [sale.b1.id, "B1"],
        [sale.b2.id, "B2"],
        [sale.boxA1.id, "Box"]
      ])
      return Object.fromEntries(map.seats.map((s) => [name.get(s.id), s.status]))
    }
  )

const allSeats = (status: "available" | "held" | "sold", except: Record<string, string> = {}) => ({
  A1: status,
  A2: status,
  A3: status,
  B1: status,
  B2: status,
  Box: status,
  ...except
})

const reservation = (id: ReservationId) =>
  Effect.flatMap(ReservationRepository, (repo) => repo.findById(id)).pipe(Effect.map(Option.getOrThrow))

const orderOf = (id: OrderId) =>
  Effect.flatMap(OrderRepository, (repo) => repo.findById(id)).pipe(Effect.map(Option.getOrThrow))

/**
 * How many tickets the customer has counted on the event (held or bought), read through the per-customer limit: with
 * a limit of 100, exactly 100 - counted more can be held. Needs a general-admission type with capacity above 100.
 */
export const countedTickets = (customerId: UserId, event: Event, probe: TicketType) =>
  Effect.gen(function* () {
    const holds = yield* ReservationRepository
    for (let counted = 0; counted <= 100; counted++) {
      const outcome = yield* place(customerId, event, { items: [{ ticketTypeId: probe.id, quantity: 100 - counted }] })
      if (outcome._tag === "Held") {
        yield* holds.end([outcome.reservation.id], "released")
        return counted
      }
      if (outcome._tag !== "Refused" || outcome.reason.code !== "customer_limit_exceeded")
        throw new Error(`unexpected ${JSON.stringify(outcome)}`)
    }
    throw new Error("more than 100 counted")
  })

/** On the TestClock, a time the adapter took from the clock is exactly the clock's time. */
const expectClockTime = (date: Date | null, at: Date) => expect(date).toEqual(at)

const ids = (tickets: ReadonlyArray<Ticket>) => tickets.map((t) => t.id)

const cancelEvent = (event: Event) =>
  Effect.gen(function* () {
    const events = yield* EventRepository
    const stored = Option.getOrThrow(yield* events.findById(event.id))
    yield* events.update(new Event({ ...stored, status: "cancelled", cancelledAt: yield* now }))
  })

/** One contract, every adapter: what any OrderRepository must do (with the hold and catalog adapters of its kind). */
export const orderRepositoryContract = (
  name: string,
  adapters: Layer.Layer<OrderRepository | ReservationRepository | EventRepository | UserRepository>
) =>
  // The adapters are built on the real clock (the database client's own timers must run); each test on a TestClock.
  layer(adapters, { timeout: "120 seconds", excludeTestServices: true })(`OrderRepository contract: ${name}`, (it) => {
    /** A test on its own TestClock, which starts at the real time. */
    const test = (
      title: string,
      body: () => Effect.Effect<
        void,
        unknown,
        OrderRepository | ReservationRepository | EventRepository | UserRepository
      >
    ) =>
      it.effect(title, () =>
        Effect.andThen(TestClock.setTime(Date.now()), body()).pipe(Effect.provide(TestClock.layer()))
      )

    test("open: one line per admission, the hold's total, and the hold kept alive until holdUntil", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const before = yield* now
        const hold = yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 3 })
        const holdUntil = after(before, 45 * MINUTE)
        const orderId = newOrderId()

        const order = yield* openOrder(hold.id, alice.id, { holdUntil, orderId })
        expect(order.id).toBe(orderId)
        expect(order.customerId).toBe(alice.id)
        expect(order.eventId).toBe(sale.event.id)
        expect(order.reservationId).toBe(hold.id)
        expect(order.status).toBe("pending_payment")
        expect(order.totalMinor).toBe(7500)
        expect(order.refundedMinor).toBe(0)
        expect(order.currency).toBe("EUR")
        expect(order.payment).toBeNull()
        expect(order.cancelReason).toBeNull()
        expect(order.confirmedAt).toBeNull()
        expect(order.cancelledAt).toBeNull()
        expect(order.tickets).toEqual([])
        expectClockTime(order.createdAt, before)
        expect(order.lines).toEqual(
          [1, 2, 3].map((position) => ({
            position,
            ticketTypeId: sale.standing.id,
            seatId: null,
            seatLabel: null,
            unitPriceMinor: 2500
          }))
        )
        expect((yield* reservation(hold.id)).expiresAt).toEqual(holdUntil)
        expect((yield* reservation(hold.id)).status).toBe("active")
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 3, sold: 0 } })
        expect(yield* repo.findById(orderId)).toEqual(Option.some(order))
        expect(yield* repo.findByReservation(hold.id)).toEqual(Option.some(order))
        expect(yield* repo.findById(newOrderId())).toEqual(Option.none())
        expect(yield* repo.findByReservation(crypto.randomUUID() as ReservationId)).toEqual(Option.none())

        // holdUntil never shortens a hold.
        const longHold = yield* holdOf(
          alice.id,
          sale.event,
          { type: sale.standing, quantity: 1 },
          {
            expiresAt: after(before, 2 * HOUR)
          }
        )
        yield* openOrder(longHold.id, alice.id, { holdUntil: after(before, 5 * MINUTE) })
        expect((yield* reservation(longHold.id)).expiresAt).toEqual(after(before, 2 * HOUR))
      }))

    test("open: seats become one line each, in venue order, with their labels and prices", () =>
      Effect.gen(function* () {
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const hold = yield* holdOf(alice.id, sale.event, [sale.boxA1, sale.b1, sale.a3, sale.a1])
        const order = yield* openOrder(hold.id, alice.id)
        expect(order.totalMinor).toBe(4000 * 3 + 6000)
        expect(order.lines).toEqual([
          {
            position: 1,
            ticketTypeId: sale.seated.id,
            seatId: sale.a1.id,
            seatLabel: "Stalls A-1",
            unitPriceMinor: 4000
          },
          {
            position: 2,
            ticketTypeId: sale.seated.id,
            seatId: sale.a3.id,
            seatLabel: "Stalls A-3",
            unitPriceMinor: 4000
          },
          {
            position: 3,
            ticketTypeId: sale.seated.id,
            seatId: sale.b1.id,
            seatLabel: "Stalls B-1",
            unitPriceMinor: 4000
          },
          {
            position: 4,
            ticketTypeId: sale.box.id,
            seatId: sale.boxA1.id,
            seatLabel: "Balcony A-1",
            unitPriceMinor: 6000
          }
        ])
      }))

    test("open is idempotent per hold: a second open answers the same order, whatever its order id", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const hold = yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 2 })
        const order = yield* openOrder(hold.id, alice.id)
        const otherId = newOrderId()
        const at = yield* now

        const again = yield* repo.open({
          orderId: otherId,
          reservationId: hold.id,
          customerId: alice.id,
          holdUntil: at
        })
        expect(again).toEqual({ _tag: "Existing", order })
        expect(yield* repo.findById(otherId)).toEqual(Option.none())
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 2, sold: 0 } })

        // Still the same order once the hold is converted (its hold no longer active).
        expect(yield* repo.claimUnits(order.id)).toEqual({ _tag: "Claimed" })
        const converted = yield* repo.open({
          orderId: otherId,
          reservationId: hold.id,
          customerId: alice.id,
          holdUntil: at
        })
        expect(converted._tag).toBe("Existing")
        expect(converted._tag === "Existing" && converted.order.id).toBe(order.id)
      }))

    test("open refuses a hold that ended, expired, is someone else's or does not exist (HoldNotActive)", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const holds = yield* ReservationRepository
        const alice = yield* aStoredUser()
        const bob = yield* aStoredUser()
        const sale = yield* aSale()
        const at = yield* now
        const ga = { type: sale.standing, quantity: 1 }
        const tryOpen = (reservationId: ReservationId, customerId: UserId) =>
          repo.open({ orderId: newOrderId(), reservationId, customerId, holdUntil: after(at, HOUR) })

        const released = yield* holdOf(alice.id, sale.event, ga)
        yield* holds.end([released.id], "released")
        expect(yield* tryOpen(released.id, alice.id)).toEqual({ _tag: "HoldNotActive" })

        // Past its expiry, even before the expiry job ended it.
        const lapsed = yield* holdOf(alice.id, sale.event, ga, { expiresAt: after(at, -MINUTE) })
        expect(yield* tryOpen(lapsed.id, alice.id)).toEqual({ _tag: "HoldNotActive" })
        expect((yield* reservation(lapsed.id)).expiresAt).toEqual(after(at, -MINUTE))

        const alices = yield* holdOf(alice.id, sale.event, ga)
        expect(yield* tryOpen(alices.id, bob.id)).toEqual({ _tag: "HoldNotActive" })
        expect(yield* tryOpen(crypto.randomUUID() as ReservationId, alice.id)).toEqual({ _tag: "HoldNotActive" })
        for (const id of [released.id, lapsed.id, alices.id])
          expect(yield* repo.findByReservation(id)).toEqual(Option.none())

        // Bob's attempt changed nothing: Alice opens her hold.
        expect((yield* tryOpen(alices.id, alice.id))._tag).toBe("Opened")

        // The clock passes a hold's expiry (10 minutes): from that instant on it can no longer be opened.
        const late = yield* holdOf(alice.id, sale.event, ga)
        yield* TestClock.adjust("10 minutes")
        expect(yield* tryOpen(late.id, alice.id)).toEqual({ _tag: "HoldNotActive" })
      }))

    test("claimUnits converts the hold: held units become sold, seats sold, once", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const probe = yield* aStoredTicketType(sale.event, { name: "Probe", capacity: 1000 })
        const gaHold = yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 2 })
        const seatHold = yield* holdOf(alice.id, sale.event, [sale.a2, sale.boxA1])
        const gaOrder = yield* openOrder(gaHold.id, alice.id)
        const seatOrder = yield* openOrder(seatHold.id, alice.id)
        expect(yield* unitsOf(sale.event)).toMatchObject({
          Standing: { held: 2, sold: 0 },
          Seated: { held: 1, sold: 0 },
          Box: { held: 1, sold: 0 }
        })
        const before = yield* now

        expect(yield* repo.claimUnits(gaOrder.id)).toEqual({ _tag: "Claimed" })
        expect(yield* repo.claimUnits(seatOrder.id)).toEqual({ _tag: "Claimed" })
        const expected = {
          Standing: { held: 0, sold: 2 },
          Seated: { held: 0, sold: 1 },
          Box: { held: 0, sold: 1 }
        }
        expect(yield* unitsOf(sale.event)).toMatchObject(expected)
        expect(yield* seatsOf(sale)).toEqual(allSeats("available", { A2: "sold", Box: "sold" }))
        for (const id of [gaHold.id, seatHold.id]) {
          const converted = yield* reservation(id)
          expect(converted.status).toBe("converted")
          expectClockTime(converted.endedAt, before)
        }
        // The order stays pending until it is confirmed; the customer's count is unchanged (4 tickets).
        expect((yield* orderOf(gaOrder.id)).status).toBe("pending_payment")
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(4)

        // Again: the same answer, nothing moves twice.
        expect(yield* repo.claimUnits(gaOrder.id)).toEqual({ _tag: "Claimed" })
        expect(yield* repo.claimUnits(seatOrder.id)).toEqual({ _tag: "Claimed" })
        expect(yield* unitsOf(sale.event)).toMatchObject(expected)
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(4)
      }))

    test("claimUnits after the hold ended takes the same units again while they are free (Reclaimed)", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const holds = yield* ReservationRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const probe = yield* aStoredTicketType(sale.event, { name: "Probe", capacity: 1000 })
        const gaHold = yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 2 })
        const seatHold = yield* holdOf(alice.id, sale.event, [sale.b1, sale.b2])
        const gaOrder = yield* openOrder(gaHold.id, alice.id)
        const seatOrder = yield* openOrder(seatHold.id, alice.id)

        // The GA hold expires, the seat hold is released: everything is back on sale.
        yield* holds.end([gaHold.id], "expired")
        yield* holds.end([seatHold.id], "released")
        expect(yield* unitsOf(sale.event)).toMatchObject({
          Standing: { held: 0, sold: 0 },
          Seated: { held: 0, sold: 0 }
        })
        expect(yield* seatsOf(sale)).toEqual(allSeats("available"))
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(0)

        expect(yield* repo.claimUnits(gaOrder.id)).toEqual({ _tag: "Reclaimed" })
        expect(yield* repo.claimUnits(seatOrder.id)).toEqual({ _tag: "Reclaimed" })
        const expected = { Standing: { held: 0, sold: 2 }, Seated: { held: 0, sold: 2 } }
        expect(yield* unitsOf(sale.event)).toMatchObject(expected)
        expect(yield* seatsOf(sale)).toEqual(allSeats("available", { B1: "sold", B2: "sold" }))
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(4)
        expect((yield* reservation(gaHold.id)).status).toBe("expired")

        // Claimed already: answers as claimed, moves nothing.
        expect(yield* repo.claimUnits(gaOrder.id)).toEqual({ _tag: "Claimed" })
        expect(yield* repo.claimUnits(seatOrder.id)).toEqual({ _tag: "Claimed" })
        expect(yield* unitsOf(sale.event)).toMatchObject(expected)
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(4)
      }))

    test("claimUnits after the hold ended and its units were taken: Unavailable, nothing moved", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const holds = yield* ReservationRepository
        const alice = yield* aStoredUser()
        const bob = yield* aStoredUser()
        const sale = yield* aSale(3)
        const probe = yield* aStoredTicketType(sale.event, { name: "Probe", capacity: 1000 })

        const gaHold = yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 2 })
        const seatHold = yield* holdOf(alice.id, sale.event, [sale.a1, sale.a2])
        const gaOrder = yield* openOrder(gaHold.id, alice.id)
        const seatOrder = yield* openOrder(seatHold.id, alice.id)
        yield* holds.end([gaHold.id, seatHold.id], "released")

        // Bob takes 2 of the 3 GA units and one of Alice's two seats.
        const bobGa = yield* holdOf(bob.id, sale.event, { type: sale.standing, quantity: 2 })
        const bobSeat = yield* holdOf(bob.id, sale.event, [sale.a2])
        const expected = { Standing: { held: 2, sold: 0 }, Seated: { held: 1, sold: 0 } }
        expect(yield* repo.claimUnits(gaOrder.id)).toEqual({ _tag: "Unavailable" })
        expect(yield* repo.claimUnits(seatOrder.id)).toEqual({ _tag: "Unavailable" })
        expect(yield* unitsOf(sale.event)).toMatchObject(expected)
        // All or nothing: A1, still free, was not taken.
        expect(yield* seatsOf(sale)).toEqual(allSeats("available", { A2: "held" }))
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(0)
        expect((yield* orderOf(gaOrder.id)).status).toBe("pending_payment")

        // Once Bob lets go, the units are free again and Alice's order takes them.
        yield* holds.end([bobGa.id, bobSeat.id], "released")
        expect(yield* repo.claimUnits(gaOrder.id)).toEqual({ _tag: "Reclaimed" })
        expect(yield* repo.claimUnits(seatOrder.id)).toEqual({ _tag: "Reclaimed" })
        expect(yield* unitsOf(sale.event)).toMatchObject({
          Standing: { held: 0, sold: 2 },
          Seated: { held: 0, sold: 2 }
        })

        // A sold unit is gone too: a third order for the last GA unit, after its hold ended, cannot have two.
        const carol = yield* aStoredUser()
        const carolHold = yield* holdOf(carol.id, sale.event, { type: sale.standing, quantity: 1 })
        const carolOrder = yield* openOrder(carolHold.id, carol.id)
        yield* holds.end([carolHold.id], "expired")
        const dave = yield* aStoredUser()
        const daveOrder = yield* openOrder(
          (yield* holdOf(dave.id, sale.event, { type: sale.standing, quantity: 1 })).id,
          dave.id
        )
        expect(yield* repo.claimUnits(daveOrder.id)).toEqual({ _tag: "Claimed" })
        expect(yield* repo.claimUnits(carolOrder.id)).toEqual({ _tag: "Unavailable" })
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 0, sold: 3 } })
      }))

    test("claimUnits: Unavailable once the event is cancelled, or for an order that is not pending", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const hold = yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 2 })
        const order = yield* openOrder(hold.id, alice.id)
        const cancelled = yield* openOrder((yield* holdOf(alice.id, sale.event, [sale.a1])).id, alice.id)
        yield* repo.cancel(cancelled.id, "payment_declined", yield* now)
        expect(yield* repo.claimUnits(cancelled.id)).toEqual({ _tag: "Unavailable" })
        expect(yield* repo.claimUnits(newOrderId())).toEqual({ _tag: "Unavailable" })

        yield* cancelEvent(sale.event)
        expect(yield* repo.claimUnits(order.id)).toEqual({ _tag: "Unavailable" })
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 2, sold: 0 } })
        expect((yield* reservation(hold.id)).status).toBe("active")
        expect((yield* orderOf(order.id)).status).toBe("pending_payment")
      }))

    test("releaseUnits gives claimed units back to sale; twice is harmless; a confirmed order keeps them", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const probe = yield* aStoredTicketType(sale.event, { name: "Probe", capacity: 1000 })
        const gaOrder = yield* openOrder(
          (yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 3 })).id,
          alice.id
        )
        const seatOrder = yield* openOrder((yield* holdOf(alice.id, sale.event, [sale.a1, sale.b2])).id, alice.id)
        // Releasing before any claim changes nothing.
        yield* repo.releaseUnits(gaOrder.id)
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 3, sold: 0 } })
        yield* repo.claimUnits(gaOrder.id)
        yield* repo.claimUnits(seatOrder.id)
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(5)

        for (let i = 0; i < 2; i++) {
          yield* repo.releaseUnits(gaOrder.id)
          yield* repo.releaseUnits(seatOrder.id)
          expect(yield* unitsOf(sale.event)).toMatchObject({
            Standing: { held: 0, sold: 0 },
            Seated: { held: 0, sold: 0 }
          })
          expect(yield* seatsOf(sale)).toEqual(allSeats("available"))
          expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(0)
        }
        expect((yield* orderOf(gaOrder.id)).status).toBe("pending_payment")
        yield* repo.releaseUnits(newOrderId())

        // The order may claim again (its hold is gone, the units are free).
        expect(yield* repo.claimUnits(gaOrder.id)).toEqual({ _tag: "Reclaimed" })
        yield* repo.confirm(gaOrder.id, yield* now)
        yield* repo.releaseUnits(gaOrder.id)
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 0, sold: 3 } })
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(3)
      }))

    test("cancel of a pending order gives back its hold or its claimed units; a confirmed order is left alone", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const probe = yield* aStoredTicketType(sale.event, { name: "Probe", capacity: 1000 })
        const at = yield* now

        const hold = yield* holdOf(alice.id, sale.event, [sale.a1, sale.a2])
        const holding = yield* openOrder(hold.id, alice.id)
        const claimedOrder = yield* openOrder(
          (yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 2 })).id,
          alice.id
        )
        yield* repo.claimUnits(claimedOrder.id)
        const paid = yield* aPaidOrder(alice.id, sale.event, [sale.boxA1])
        expect(yield* unitsOf(sale.event)).toMatchObject({
          Standing: { held: 0, sold: 2 },
          Seated: { held: 2, sold: 0 },
          Box: { held: 0, sold: 1 }
        })

        const cancelled = yield* repo.cancel(holding.id, "payment_declined", at)
        expect(cancelled.status).toBe("cancelled")
        expect(cancelled.cancelReason).toBe("payment_declined")
        expect(cancelled.cancelledAt).toEqual(at)
        expect(cancelled.lines).toEqual(holding.lines)
        expect((yield* reservation(hold.id)).status).toBe("released")
        yield* repo.cancel(claimedOrder.id, "payment_timed_out", at)
        const expected = {
          Standing: { held: 0, sold: 0 },
          Seated: { held: 0, sold: 0 },
          Box: { held: 0, sold: 1 }
        }
        expect(yield* unitsOf(sale.event)).toMatchObject(expected)
        expect(yield* seatsOf(sale)).toEqual(allSeats("available", { Box: "sold" }))
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(1)

        // Again, with another reason: nothing changes, the first reason stays.
        const again = yield* repo.cancel(holding.id, "units_unavailable", after(at, MINUTE))
        expect(again).toEqual(cancelled)
        expect(yield* repo.findById(holding.id)).toEqual(Option.some(cancelled))

        const stillPaid = yield* repo.cancel(paid.id, "payment_failed", at)
        expect(stillPaid).toEqual(paid)
        expect(yield* unitsOf(sale.event)).toMatchObject(expected)
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(1)
        expect(Exit.isFailure(yield* Effect.exit(repo.cancel(newOrderId(), "payment_failed", at)))).toBe(true)
      }))

    test("confirm issues one ticket per line, once", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const seatOrder = yield* openOrder((yield* holdOf(alice.id, sale.event, [sale.b1, sale.a3])).id, alice.id)
        const gaOrder = yield* openOrder(
          (yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 2 })).id,
          alice.id
        )

        // Not claimed: confirming is a bug in the caller.
        const unclaimed = yield* Effect.exit(repo.confirm(seatOrder.id, yield* now))
        expect(Exit.isFailure(unclaimed) && Cause.hasDies(unclaimed.cause)).toBe(true)
        expect((yield* orderOf(seatOrder.id)).status).toBe("pending_payment")

        yield* repo.claimUnits(seatOrder.id)
        yield* repo.claimUnits(gaOrder.id)
        const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 123)
        const confirmed = yield* repo.confirm(seatOrder.id, at)
        expect(confirmed.status).toBe("confirmed")
        expect(confirmed.confirmedAt).toEqual(at)
        expect(confirmed.tickets).toHaveLength(2)
        confirmed.tickets.forEach((ticket, i) => {
          const line = confirmed.lines[i] as Order["lines"][number]
          expect(ticket).toMatchObject({
            orderId: seatOrder.id,
            eventId: sale.event.id,
            customerId: alice.id,
            ticketTypeId: sale.seated.id,
            seatId: line.seatId,
            seatLabel: line.seatLabel,
            priceMinor: 4000,
            currency: "EUR",
            status: "valid",
            issuedAt: at,
            voidedAt: null,
            checkedInAt: null
          })
        })
        expect(confirmed.tickets.map((t) => t.seatLabel)).toEqual(["Stalls A-3", "Stalls B-1"])
        expect(new Set(ids(confirmed.tickets)).size).toBe(2)
        for (const ticket of confirmed.tickets) expect(yield* repo.findTicket(ticket.id)).toEqual(Option.some(ticket))
        expect(yield* repo.findTicket(crypto.randomUUID() as TicketId)).toEqual(Option.none())

        // Again, later: the same order and tickets.
        expect(yield* repo.confirm(seatOrder.id, after(at, MINUTE))).toEqual(confirmed)
        expect(yield* repo.findById(seatOrder.id)).toEqual(Option.some(confirmed))
        const ga = yield* repo.confirm(gaOrder.id, at)
        expect(ga.tickets.map((t) => [t.seatId, t.seatLabel, t.priceMinor])).toEqual([
          [null, null, 2500],
          [null, null, 2500]
        ])
        expect(yield* unitsOf(sale.event)).toMatchObject({
          Standing: { held: 0, sold: 2 },
          Seated: { held: 0, sold: 2 }
        })
        expect(Exit.isFailure(yield* Effect.exit(repo.confirm(newOrderId(), at)))).toBe(true)
      }))

    test("requestRefund: part of the order, then the rest; a repeated refund id answers the first refund", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const probe = yield* aStoredTicketType(sale.event, { name: "Probe", capacity: 1000 })
        const order = yield* aPaidOrder(alice.id, sale.event, [sale.a1, sale.a2, sale.boxA1])
        const [t1, t2, t3] = order.tickets as [Ticket, Ticket, Ticket]
        expect(t3.seatId).toBe(sale.boxA1.id)
        const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 7)
        const refundId = `refund-${crypto.randomUUID()}`

        const partial = yield* repo.requestRefund({
          refundId,
          orderId: order.id,
          ticketIds: [t3.id, t1.id],
          requestedBy: alice.id,
          includeCheckedIn: false,
          at
        })
        expect(partial._tag).toBe("Requested")
        const refund = partial._tag === "Requested" ? partial.refund : undefined
        expect(refund).toMatchObject({
          id: refundId,
          orderId: order.id,
          amountMinor: 4000 + 6000,
          ticketIds: [t1.id, t3.id],
          status: "pending",
          createdAt: at
        })
        const afterPartial = yield* orderOf(order.id)
        expect(afterPartial.status).toBe("partially_refunded")
        expect(afterPartial.refundedMinor).toBe(10_000)
        expect(afterPartial.tickets.map((t) => [t.status, t.voidedAt])).toEqual([
          ["voided", at],
          ["valid", null],
          ["voided", at]
        ])
        expect(yield* unitsOf(sale.event)).toMatchObject({ Seated: { held: 0, sold: 1 }, Box: { held: 0, sold: 0 } })
        expect(yield* seatsOf(sale)).toEqual(allSeats("available", { A2: "sold" }))
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(1)

        // The same refund id again (a retried request, a re-run activity): the first refund, nothing moves twice.
        const retried = yield* repo.requestRefund({
          refundId,
          orderId: order.id,
          ticketIds: [t2.id],
          requestedBy: alice.id,
          includeCheckedIn: false,
          at: after(at, MINUTE)
        })
        expect(retried).toEqual({ _tag: "Existing", refund })
        expect(yield* orderOf(order.id)).toEqual(afterPartial)
        expect(yield* unitsOf(sale.event)).toMatchObject({ Seated: { held: 0, sold: 1 } })

        // The rest, without naming tickets.
        const rest = yield* repo.requestRefund({
          refundId: `refund-${crypto.randomUUID()}`,
          orderId: order.id,
          requestedBy: alice.id,
          includeCheckedIn: false,
          at
        })
        expect(rest._tag === "Requested" && [rest.refund.amountMinor, rest.refund.ticketIds]).toEqual([4000, [t2.id]])
        const refunded = yield* orderOf(order.id)
        expect(refunded.status).toBe("refunded")
        expect(refunded.refundedMinor).toBe(refunded.totalMinor)
        expect(refunded.tickets.every((t) => t.status === "voided")).toBe(true)
        expect(yield* unitsOf(sale.event)).toMatchObject({ Seated: { held: 0, sold: 0 }, Box: { held: 0, sold: 0 } })
        expect(yield* seatsOf(sale)).toEqual(allSeats("available"))
        expect(yield* countedTickets(alice.id, sale.event, probe)).toBe(0)

        const more = yield* repo.requestRefund({
          refundId: `refund-${crypto.randomUUID()}`,
          orderId: order.id,
          requestedBy: alice.id,
          includeCheckedIn: true,
          at
        })
        expect(more).toEqual({ _tag: "NotRefundable", code: "order_not_refundable" })
      }))

    test("requestRefund of an order that charged less than its tickets' prices (a voucher) gives back what was paid", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        // Three seats at 4,000 + 4,000 + 6,000 = 14,000, of which the hold was discounted 3,500: 10,500 charged.
        const hold = yield* holdOf(alice.id, sale.event, [sale.a1, sale.a2, sale.boxA1])
        expect(Option.getOrThrow(yield* (yield* ReservationRepository).discount(hold.id, 3500)).totalMinor).toBe(10_500)
        const order = yield* openOrder(hold.id, alice.id)
        expect(order.totalMinor).toBe(10_500)
        expect(yield* repo.claimUnits(order.id)).toEqual({ _tag: "Claimed" })
        const paid = yield* repo.confirm(order.id, yield* now)
        const [t1, t2, t3] = paid.tickets as [Ticket, Ticket, Ticket]
        const refund = (ticketIds: ReadonlyArray<string>) =>
          Effect.map(
            repo.requestRefund({
              refundId: `refund-${crypto.randomUUID()}`,
              orderId: order.id,
              ticketIds: ticketIds as never,
              requestedBy: alice.id,
              includeCheckedIn: false,
              at: new Date()
            }),
            (outcome) => (outcome._tag === "Requested" ? outcome.refund.amountMinor : -1)
          )
        // Each ticket its share of the charge (3/4 of its price here), the last one the rest: 10,500 in all.
        expect(yield* refund([t3.id])).toBe(4500)
        expect(yield* refund([t1.id])).toBe(3000)
        expect(yield* refund([t2.id])).toBe(3000)
        const refunded = yield* orderOf(order.id)
        expect(refunded.status).toBe("refunded")
        expect(refunded.refundedMinor).toBe(10_500)
      }))

    test("requestRefund refuses tickets that are voided, unknown, another order's or used; and unpaid orders", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const staff = yield* aStoredUser()
        const sale = yield* aSale()
        const order = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 3 })
        const other = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 1 })
        const pending = yield* openOrder((yield* holdOf(alice.id, sale.event, [sale.a1])).id, alice.id)
        const [t1, t2, t3] = order.tickets as [Ticket, Ticket, Ticket]
        const at = yield* now
        const refund = (orderId: OrderId, ticketIds?: ReadonlyArray<TicketId>, includeCheckedIn = false) =>
          repo.requestRefund({
            refundId: `refund-${crypto.randomUUID()}`,
            orderId,
            ticketIds,
            requestedBy: alice.id,
            includeCheckedIn,
            at
          })
        const refused = (code: string) => ({ _tag: "NotRefundable", code })

        expect((yield* refund(order.id, [t1.id]))._tag).toBe("Requested")
        const before = yield* orderOf(order.id)
        const units = yield* unitsOf(sale.event)
        expect(yield* refund(order.id, [t1.id])).toEqual(refused("ticket_not_refundable"))
        expect(yield* refund(order.id, [t2.id, crypto.randomUUID() as TicketId])).toEqual(
          refused("ticket_not_refundable")
        )
        expect(yield* refund(order.id, [t2.id, (other.tickets[0] as Ticket).id])).toEqual(
          refused("ticket_not_refundable")
        )
        expect(yield* refund(pending.id)).toEqual(refused("order_not_refundable"))
        expect(yield* refund(newOrderId())).toEqual(refused("order_not_refundable"))
        expect(yield* refund(order.id, [])).toEqual(refused("nothing_to_refund"))

        // A ticket that was used is refundable only when the caller says so (the event was called off).
        expect((yield* repo.checkIn(t2.id, sale.event.id, staff.id, at))._tag).toBe("Admitted")
        expect(yield* refund(order.id, [t2.id])).toEqual(refused("ticket_not_refundable"))
        // None of the refusals changed anything.
        expect((yield* orderOf(order.id)).tickets.map((t) => t.status)).toEqual(before.tickets.map((t) => t.status))
        expect(yield* unitsOf(sale.event)).toEqual(units)

        // Without naming tickets, the used one is left out: only t3 is refunded.
        const rest = yield* refund(order.id)
        expect(rest._tag === "Requested" && rest.refund.ticketIds).toEqual([t3.id])
        expect((yield* orderOf(order.id)).status).toBe("partially_refunded")
        expect(yield* refund(order.id)).toEqual(refused("nothing_to_refund"))
        const used = yield* refund(order.id, [t2.id], true)
        expect(used._tag === "Requested" && used.refund.ticketIds).toEqual([t2.id])
        expect((yield* orderOf(order.id)).status).toBe("refunded")
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 0, sold: 1 } })
      }))

    test("a pending refund is listed until completed; completing is idempotent", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const order = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 1 })
        const at = yield* now
        const refundId = `refund-${crypto.randomUUID()}`
        const requested = yield* repo.requestRefund({
          refundId,
          orderId: order.id,
          requestedBy: alice.id,
          includeCheckedIn: false,
          at
        })
        const refund = requested._tag === "Requested" ? requested.refund : undefined
        expect(refund?.status).toBe("pending")

        expect(yield* repo.pendingRefundOf(refundId)).toEqual(Option.some(refund))
        const listed = yield* repo.pendingRefunds(after(at, 1), 10_000)
        expect(listed.map((r) => r.id)).toContain(refundId)
        expect((yield* repo.pendingRefunds(at, 10_000)).map((r) => r.id)).not.toContain(refundId)

        expect(yield* repo.refundOf(refundId)).toEqual(Option.some(refund))
        yield* repo.completeRefund(refundId, "re_123", after(at, MINUTE))
        expect(yield* repo.pendingRefundOf(refundId)).toEqual(Option.none())
        // Completed, it is still found by its id, completed.
        expect(Option.map(yield* repo.refundOf(refundId), (r) => r.status)).toEqual(Option.some("completed"))
        expect(yield* repo.refundOf("never-requested")).toEqual(Option.none())
        expect((yield* repo.pendingRefunds(after(at, 1), 10_000)).map((r) => r.id)).not.toContain(refundId)
        yield* repo.completeRefund(refundId, "re_456", after(at, 2 * MINUTE))
        yield* repo.completeRefund("never-requested", "re_789", at)
        expect(yield* repo.pendingRefundOf("never-requested")).toEqual(Option.none())

        // A completed refund still answers a retried request with its id.
        const retried = yield* repo.requestRefund({
          refundId,
          orderId: order.id,
          requestedBy: alice.id,
          includeCheckedIn: false,
          at
        })
        expect(retried._tag === "Existing" && [retried.refund.id, retried.refund.status]).toEqual([
          refundId,
          "completed"
        ])
      }))

    test("checkIn admits a valid ticket once, and says why it does not", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const staff = yield* aStoredUser()
        const sale = yield* aSale()
        const elsewhere = yield* aSale()
        const order = yield* aPaidOrder(alice.id, sale.event, [sale.a1, sale.a2])
        const [t1, t2] = order.tickets as [Ticket, Ticket]
        const first = new Date(Math.floor(Date.now() / 1000) * 1000 + 42)

        const admitted = yield* repo.checkIn(t1.id, sale.event.id, staff.id, first)
        expect(admitted).toEqual({ _tag: "Admitted", ticket: { ...t1, checkedInAt: first } })
        expect(admitted._tag === "Admitted" && admitted.ticket).toEqual(
          Option.getOrThrow(yield* repo.findTicket(t1.id))
        )
        const second = yield* repo.checkIn(t1.id, sale.event.id, staff.id, after(first, MINUTE))
        expect(second._tag).toBe("AlreadyAdmitted")
        expect(second._tag === "AlreadyAdmitted" && [second.at, second.ticket.checkedInAt]).toEqual([first, first])

        yield* repo.requestRefund({
          refundId: `refund-${crypto.randomUUID()}`,
          orderId: order.id,
          ticketIds: [t2.id],
          requestedBy: alice.id,
          includeCheckedIn: false,
          at: first
        })
        const voided = yield* repo.checkIn(t2.id, sale.event.id, staff.id, first)
        expect(voided._tag === "Voided" && [voided.ticket.id, voided.ticket.status, voided.ticket.checkedInAt]).toEqual(
          [t2.id, "voided", null]
        )
        expect(yield* repo.checkIn(t1.id, elsewhere.event.id, staff.id, first)).toEqual({ _tag: "OtherEvent" })
        expect(yield* repo.checkIn(crypto.randomUUID() as TicketId, sale.event.id, staff.id, first)).toEqual({
          _tag: "NotFound"
        })
        expect(Option.getOrThrow(yield* repo.findTicket(t2.id)).checkedInAt).toBeNull()
      }))

    test("20 concurrent scans of one ticket: exactly one is admitted, the others see its time", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const staff = yield* aStoredUser()
        const sale = yield* aSale()
        const order = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 1 })
        const ticket = order.tickets[0] as Ticket
        const base = yield* now

        const outcomes = yield* Effect.all(
          Array.from({ length: 20 }, (_, i) => repo.checkIn(ticket.id, sale.event.id, staff.id, after(base, i))),
          { concurrency: "unbounded" }
        )
        const admitted = outcomes.filter((o) => o._tag === "Admitted")
        expect(admitted).toHaveLength(1)
        const at = admitted[0]?.ticket.checkedInAt
        expect(outcomes.filter((o) => o._tag === "AlreadyAdmitted" && o.at.getTime() === at?.getTime())).toHaveLength(
          19
        )
        expect(Option.getOrThrow(yield* repo.findTicket(ticket.id)).checkedInAt).toEqual(at)
      }))

    test("lists: a customer's orders newest first by pages, pending orders, paid orders of an event", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const bob = yield* aStoredUser()
        const sale = yield* aSale()
        const opened: Array<Order> = []
        for (let i = 0; i < 5; i++) {
          opened.push(
            yield* openOrder((yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 1 })).id, alice.id)
          )
          yield* TestClock.adjust("3 millis")
        }
        yield* openOrder((yield* holdOf(bob.id, sale.event, { type: sale.standing, quantity: 1 })).id, bob.id)
        const newestFirst = [...opened].reverse().map((o) => o.id)

        const all = yield* repo.listByCustomer(alice.id, { limit: 100 })
        expect(all.map((o) => o.id)).toEqual(newestFirst)
        const seen: Array<string> = []
        let before: { createdAt: Date; id: string } | undefined
        for (;;) {
          const page = yield* repo.listByCustomer(alice.id, { limit: 2, before })
          if (page.length === 0) break
          seen.push(...page.map((o) => o.id))
          const last = page[page.length - 1] as Order
          before = { createdAt: last.createdAt, id: last.id }
        }
        expect(seen).toEqual(newestFirst)

        // Pending orders opened before a time, oldest first; a confirmed or cancelled one is no longer pending.
        const [o1, o2, o3] = opened as [Order, Order, Order]
        yield* repo.claimUnits(o1.id)
        yield* repo.confirm(o1.id, yield* now)
        yield* repo.cancel(o2.id, "payment_declined", yield* now)
        const pending = yield* repo.pendingOrders(after(yield* now, 1_000), 10_000)
        expect(pending).toContain(o3.id)
        expect(pending).not.toContain(o1.id)
        expect(pending).not.toContain(o2.id)
        expect(yield* repo.pendingOrders(o3.createdAt, 10_000)).not.toContain(o3.id)

        // Paid orders of the event in id order, by pages.
        yield* repo.claimUnits(o3.id)
        yield* repo.confirm(o3.id, yield* now)
        const paid = [o1.id, o3.id].sort()
        expect(yield* repo.paidOrdersOfEvent(sale.event.id, undefined, 100)).toEqual(paid)
        expect(yield* repo.paidOrdersOfEvent(sale.event.id, undefined, 1)).toEqual(paid.slice(0, 1))
        expect(yield* repo.paidOrdersOfEvent(sale.event.id, paid[0], 100)).toEqual(paid.slice(1))
        expect(yield* repo.paidOrdersOfEvent((yield* aSale()).event.id, undefined, 100)).toEqual([])
      }))

    test("the reconciliation's list: settled orders not checked yet, longest settled first; marked once", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const open = () =>
          Effect.flatMap(holdOf(alice.id, sale.event, { type: sale.standing, quantity: 1 }), (hold) =>
            openOrder(hold.id, alice.id)
          )
        const [o1, o2, o3] = [yield* open(), yield* open(), yield* open()]
        const beforeSettling = yield* now
        yield* TestClock.adjust("3 millis")
        yield* repo.claimUnits(o1.id)
        yield* repo.confirm(o1.id, yield* now)
        yield* TestClock.adjust("3 millis")
        yield* repo.cancel(o2.id, "payment_declined", yield* now)
        const mine = (orders: ReadonlyArray<Order>) =>
          orders.map((o) => o.id).filter((id) => [o1.id, o2.id, o3.id].includes(id))

        // Settled before the bound only; pending ones never.
        expect(mine(yield* repo.unreconciledOrders(beforeSettling, 10_000))).toEqual([])
        expect(mine(yield* repo.unreconciledOrders(after(yield* now, 1_000), 10_000))).toEqual([o1.id, o2.id])

        // Marked once, a settled order only; then it is no longer listed.
        const at = yield* now
        expect(yield* repo.markReconciled(o3.id, "consistent", at)).toBe(false)
        expect(yield* repo.markReconciled(o1.id, "consistent", at)).toBe(true)
        expect(yield* repo.markReconciled(o1.id, "needs_attention", at)).toBe(false)
        expect(yield* repo.reconciliationOf(o1.id)).toEqual(Option.some({ at, outcome: "consistent" }))
        expect(yield* repo.reconciliationOf(o2.id)).toEqual(Option.none())
        expect(mine(yield* repo.unreconciledOrders(after(yield* now, 1_000), 10_000))).toEqual([o2.id])
      }))

    test("attachPayment records the intent on the order; payment events are recorded once", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const order = yield* openOrder(
          (yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 1 })).id,
          alice.id
        )
        const payment = {
          provider: "sandbox",
          intentId: `pi_${crypto.randomUUID()}`,
          confirmUrl: "https://pay.example/x"
        }
        yield* repo.attachPayment(order.id, payment)
        expect((yield* orderOf(order.id)).payment).toEqual(payment)

        const eventId = `evt_${crypto.randomUUID()}`
        const at = yield* now
        expect(yield* repo.paymentEventSeen(eventId)).toBe(false)
        expect(yield* repo.recordPaymentEvent(eventId, "payment_intent.succeeded", at)).toBe(true)
        expect(yield* repo.recordPaymentEvent(eventId, "payment_intent.succeeded", at)).toBe(false)
        expect(yield* repo.paymentEventSeen(eventId)).toBe(true)
      }))

    test("attendee names given at open reach the tickets, in line order, whatever happens between open and confirm", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const sale = yield* aSale()
        const hold = yield* holdOf(alice.id, sale.event, [sale.a2, sale.a1])
        const orderId = newOrderId()
        const at = yield* now
        const opened = yield* repo.open({
          orderId,
          reservationId: hold.id,
          customerId: alice.id,
          holdUntil: after(at, 30 * MINUTE),
          attendeeNames: ["Ada Lovelace", null]
        })
        expect(opened._tag).toBe("Opened")
        // A retried checkout (another body) keeps the names the order opened with.
        yield* repo.open({
          orderId: newOrderId(),
          reservationId: hold.id,
          customerId: alice.id,
          holdUntil: after(at, 30 * MINUTE),
          attendeeNames: ["Mallory", "Mallory"]
        })
        expect(yield* repo.claimUnits(orderId)).toEqual({ _tag: "Claimed" })
        const confirmed = yield* repo.confirm(orderId, at)
        expect(confirmed.tickets.map((t) => [t.seatId, t.attendeeName])).toEqual([
          [sale.a1.id, "Ada Lovelace"],
          [sale.a2.id, null]
        ])
        const ticket = confirmed.tickets[0] as Ticket
        expect(Option.getOrThrow(yield* repo.findTicket(ticket.id)).attendeeName).toBe("Ada Lovelace")
      }))

    test("renameTicket: the customer's valid ticket only; never a checked-in or voided one", () =>
      Effect.gen(function* () {
        const repo = yield* OrderRepository
        const alice = yield* aStoredUser()
        const bob = yield* aStoredUser()
        const sale = yield* aSale()
        const order = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 3 })
        const [kept, scanned, refunded] = order.tickets as [Ticket, Ticket, Ticket]
        const at = yield* now

        const renamed = Option.getOrThrow(yield* repo.renameTicket(kept.id, alice.id, "Grace Hopper"))
        expect(renamed).toMatchObject({ id: kept.id, attendeeName: "Grace Hopper", status: "valid" })
        expect(Option.getOrThrow(yield* repo.findTicket(kept.id)).attendeeName).toBe("Grace Hopper")
        expect(yield* repo.renameTicket(kept.id, bob.id, "Bob")).toEqual(Option.none())
        expect(Option.getOrThrow(yield* repo.renameTicket(kept.id, alice.id, null)).attendeeName).toBeNull()

        yield* repo.checkIn(scanned.id, sale.event.id, alice.id, at)
        expect(yield* repo.renameTicket(scanned.id, alice.id, "Late")).toEqual(Option.none())
        yield* repo.requestRefund({
          refundId: `r-${crypto.randomUUID()}`,
          orderId: order.id,
          ticketIds: [refunded.id],
          requestedBy: alice.id,
          includeCheckedIn: false,
          at
        })
        expect(yield* repo.renameTicket(refunded.id, alice.id, "Gone")).toEqual(Option.none())
        expect(yield* repo.renameTicket(crypto.randomUUID() as TicketId, alice.id, "Nobody")).toEqual(Option.none())
      }))
  })

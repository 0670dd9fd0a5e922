import { expect, layer } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { Event } from "../../src/domain/catalog/Event.ts"
import { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import type { ReservationId, TicketTypeId, UserId } from "../../src/domain/shared/Ids.ts"
import type { WaitingListEntryId } from "../../src/domain/waitinglist/WaitingList.ts"
import { WaitingListRepository } from "../../src/domain/waitinglist/WaitingListRepository.ts"
import { anEvent, aTicketType } from "./EventRepositoryContract.ts"
import { aUser } from "./UserRepositoryContract.ts"

type Needs = WaitingListRepository | ReservationRepository | EventRepository | UserRepository

const HOUR = 3_600_000
const DAY = 24 * HOUR
const after = (date: Date, ms: number) => new Date(date.getTime() + ms)
const entryId = () => crypto.randomUUID() as WaitingListEntryId

const aCustomer = Effect.gen(function* () {
  const user = aUser()
  yield* (yield* UserRepository).insert(user, "hash")
  return user.id
})

/** A published event on sale now, with one general-admission type of `capacity` units, all held by one customer. */
const aSoldOutType = (capacity: number) =>
  Effect.gen(function* () {
    const organizer = aUser({ accountType: "organizer" })
    yield* (yield* UserRepository).insert(organizer, "hash")
    const at = new Date()
    const event: Event = anEvent(organizer.id, {
      startsAt: after(at, 30 * DAY),
      salesStartAt: after(at, -DAY),
      salesEndAt: after(at, 29 * DAY),
      status: "published",
      publishedAt: after(at, -DAY)
    })
    yield* (yield* EventRepository).insert(event)
    const type = aTicketType(event.id, { capacity, maxPerOrder: 100 })
    yield* (yield* EventRepository).insertTicketType(type)
    const buyer = yield* aCustomer
    const placed = yield* (yield* ReservationRepository).place({
      reservationId: crypto.randomUUID() as ReservationId,
      customerId: buyer,
      eventId: event.id,
      items: [{ ticketTypeId: type.id, quantity: capacity }],
      expiresAt: after(at, HOUR),
      customerLimit: 1_000
    })
    if (placed._tag !== "Held") throw new Error(`expected the type sold out, got ${placed._tag}`)
    return { event, type: type.id, hold: placed.reservation.id, buyer }
  })

/** The type's counters as the catalog shows them. */
const countersOf = (event: Event, type: TicketTypeId) =>
  Effect.map(
    Effect.flatMap(EventRepository, (events) => events.listTicketTypes(event.id)),
    (types) => {
      const t = types.find((x) => x.id === type)
      return { available: t?.available, withheld: t?.withheld }
    }
  )

/** Units come back: the adapter offers them (PostgreSQL in the freeing transaction, the twin when asked). */
const giveBack = (hold: ReservationId, type: TicketTypeId) =>
  Effect.gen(function* () {
    yield* (yield* ReservationRepository).end([hold], "released")
    yield* (yield* WaitingListRepository).offerFreeUnits(type, new Date())
  })

const join = (customer: UserId, type: TicketTypeId, hours = 24) =>
  Effect.flatMap(WaitingListRepository, (lists) => lists.join(entryId(), customer, type, hours, new Date()))

/** One contract, every adapter: what any WaitingListRepository must do. */
export const waitingListRepositoryContract = (name: string, adapters: Layer.Layer<Needs>) =>
  layer(adapters, { timeout: "60 seconds", excludeTestServices: true })(
    `WaitingListRepository contract: ${name}`,
    (it) => {
      it.effect("joins only a sold-out type, once; places are in order of joining", () =>
        Effect.gen(function* () {
          const lists = yield* WaitingListRepository
          const { type } = yield* aSoldOutType(2)
          const [a, b, c] = [yield* aCustomer, yield* aCustomer, yield* aCustomer]
          const first = yield* join(a, type)
          expect(first._tag).toBe("Joined")
          expect((yield* join(b, type))._tag).toBe("Joined")
          expect((yield* join(c, type))._tag).toBe("Joined")
          // Again: the same entry, no second place.
          const again = yield* join(a, type)
          expect(again).toEqual({ _tag: "Already", entryId: (first as { entryId: WaitingListEntryId }).entryId })
          expect(yield* lists.length(type)).toBe(3)
          const standing = Option.getOrThrow(yield* lists.standing(c, type))
          expect([standing.status, standing.position, standing.waiting]).toEqual(["waiting", 3, 3])
          expect(Option.isNone(yield* lists.standing(yield* aCustomer, type))).toBe(true)

          // A type with units left: no list to join.
          const { type: other, hold } = yield* aSoldOutType(1)
          yield* (yield* ReservationRepository).end([hold], "released")
          expect((yield* join(a, other))._tag).toBe("NotSoldOut")
          expect((yield* join(a, crypto.randomUUID() as TicketTypeId))._tag).toBe("NotFound")
        })
      )

      it.effect("units that come back go to the first in line, one each, withheld from everyone else", () =>
        Effect.gen(function* () {
          const lists = yield* WaitingListRepository
          const { event, type, hold } = yield* aSoldOutType(2)
          const waiting = [yield* aCustomer, yield* aCustomer, yield* aCustomer]
          for (const customer of waiting) yield* join(customer, type)
          yield* giveBack(hold, type)

          const entries = yield* lists.entries(type)
          expect(entries.map((e) => [e.customerId, e.status])).toEqual([
            [waiting[0], "offered"],
            [waiting[1], "offered"],
            [waiting[2], "waiting"]
          ])
          expect(entries[0]?.offerCode).toMatch(/^[A-Z0-9]{12}$/u)
          expect(entries[0]?.offerExpiresAt?.getTime()).toBe((entries[0]?.offeredAt?.getTime() ?? 0) + 24 * HOUR)
          // Sold out for the public: both units withheld for the offers.
          expect(yield* countersOf(event, type)).toEqual({ available: 0, withheld: 2 })
          expect(Option.getOrThrow(yield* lists.standing(waiting[2] as UserId, type)).position).toBe(1)
          expect(Option.getOrThrow(yield* lists.standing(waiting[0] as UserId, type)).status).toBe("offered")
        })
      )

      it.effect("an offer not used in time passes to the next in line; with nobody left, the unit goes on sale", () =>
        Effect.gen(function* () {
          const lists = yield* WaitingListRepository
          const { event, type, hold } = yield* aSoldOutType(1)
          const [a, b] = [yield* aCustomer, yield* aCustomer]
          yield* join(a, type, 1)
          yield* join(b, type, 1)
          yield* giveBack(hold, type)
          expect((yield* lists.entries(type)).map((e) => e.status)).toEqual(["offered", "waiting"])

          // Not yet due: nothing changes.
          expect(yield* lists.expireOffers(new Date(), 100)).toBe(0)
          expect(yield* lists.expireOffers(after(new Date(), 2 * HOUR), 100)).toBeGreaterThanOrEqual(1)
          expect((yield* lists.entries(type)).map((e) => e.status)).toEqual(["lapsed", "offered"])
          expect(yield* countersOf(event, type)).toEqual({ available: 0, withheld: 1 })

          yield* lists.expireOffers(after(new Date(), 4 * HOUR), 100)
          expect((yield* lists.entries(type)).map((e) => e.status)).toEqual(["lapsed", "lapsed"])
          expect(yield* countersOf(event, type)).toEqual({ available: 1, withheld: 0 })
        })
      )

      it.effect("leaving: the others move up; an offer given up passes to the next", () =>
        Effect.gen(function* () {
          const lists = yield* WaitingListRepository
          const { type, hold } = yield* aSoldOutType(1)
          const [a, b, c] = [yield* aCustomer, yield* aCustomer, yield* aCustomer]
          for (const customer of [a, b, c]) yield* join(customer, type)
          expect(yield* lists.leave(b, type, new Date())).toBe(true)
          expect(yield* lists.leave(b, type, new Date())).toBe(false)
          expect(Option.getOrThrow(yield* lists.standing(c, type)).position).toBe(2)

          yield* giveBack(hold, type)
          expect(Option.getOrThrow(yield* lists.standing(a, type)).status).toBe("offered")
          yield* lists.leave(a, type, new Date())
          expect(Option.getOrThrow(yield* lists.standing(c, type)).status).toBe("offered")
          // Left, a customer may join again (at the end of the line).
          expect((yield* join(b, type))._tag).toBe("Joined")
        })
      )

      it.effect("a list switched off refuses joining and makes no offers: the units go on sale", () =>
        Effect.gen(function* () {
          const lists = yield* WaitingListRepository
          const { event, type, hold } = yield* aSoldOutType(1)
          const a = yield* aCustomer
          yield* join(a, type)
          expect(yield* lists.setOpen(type, false)).toBe(true)
          expect(yield* lists.isOpen(type)).toEqual(Option.some(false))
          expect((yield* join(yield* aCustomer, type))._tag).toBe("Closed")
          yield* giveBack(hold, type)
          expect(Option.getOrThrow(yield* lists.standing(a, type)).status).toBe("waiting")
          expect(yield* countersOf(event, type)).toEqual({ available: 1, withheld: 0 })
          expect(yield* lists.setOpen(crypto.randomUUID() as TicketTypeId, true)).toBe(false)
        })
      )
    }
  )

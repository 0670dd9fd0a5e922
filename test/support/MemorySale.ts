import { Clock, Effect } from "effect"
import { Actor } from "../../src/domain/accounts/Actor.ts"
import { type Email, User } from "../../src/domain/accounts/User.ts"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { Event, Venue } from "../../src/domain/catalog/Event.ts"
import { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { TicketType } from "../../src/domain/catalog/TicketType.ts"
import type { EventId, TicketTypeId, UserId } from "../../src/domain/shared/Ids.ts"
import type { Currency } from "../../src/domain/shared/Money.ts"

const DAY = 86_400_000

/**
 * Straight into the repositories (in-memory ones in unit tests): a published event ten days after the clock's now
 * with one general-admission type of `capacity` at 1000 minor units (4 per order), its organizer and two customers.
 */
export const memorySale = (capacity: number) =>
  Effect.gen(function* () {
    const users = yield* UserRepository
    const events = yield* EventRepository
    const now = yield* Clock.currentTimeMillis
    const person = (accountType: "organizer" | "customer") =>
      new User({
        id: crypto.randomUUID() as UserId,
        email: `${accountType}-${crypto.randomUUID()}@example.com` as Email,
        name: accountType,
        accountType,
        isAdmin: false,
        createdAt: new Date(0)
      })
    const [organizer, customer, rival] = [person("organizer"), person("customer"), person("customer")]
    for (const user of [organizer, customer, rival]) yield* users.insert(user, "x")
    const event = new Event({
      id: crypto.randomUUID() as EventId,
      organizerId: organizer.id,
      title: "Show",
      description: null,
      venue: new Venue({ name: "Hall", address: null, timezone: "UTC" }),
      startsAt: new Date(now + 10 * DAY),
      endsAt: null,
      salesStartAt: null,
      salesEndAt: null,
      status: "published",
      version: 1,
      createdAt: new Date(0),
      updatedAt: new Date(0),
      publishedAt: new Date(0),
      cancelledAt: null
    })
    yield* events.insert(event)
    const ga = new TicketType({
      id: crypto.randomUUID() as TicketTypeId,
      eventId: event.id,
      name: "GA",
      priceMinor: 1000,
      currency: "EUR" as Currency,
      capacity,
      maxPerOrder: 4,
      seated: false,
      held: 0,
      sold: 0,
      createdAt: new Date(0)
    })
    yield* events.insertTicketType(ga)
    const actorOf = (user: User) => new Actor({ userId: user.id, accountType: user.accountType, isAdmin: false })
    const firstType = Effect.map(events.listTicketTypes(event.id), (types) => types[0])
    return {
      event,
      ga,
      organizer: actorOf(organizer),
      customer: actorOf(customer),
      rival: actorOf(rival),
      /** Units still for sale. */
      available: Effect.map(firstType, (t) => t?.available),
      /** Units held and sold. */
      counts: Effect.map(firstType, (t) => ({ held: t?.held ?? -1, sold: t?.sold ?? -1 }))
    }
  })

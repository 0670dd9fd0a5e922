import { Effect, Option, Redacted } from "effect"
import type { Email } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { Venue } from "../../domain/catalog/Event.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { Accounts, actorOf } from "../accounts/Accounts.ts"
import { Catalog } from "../catalog/Catalog.ts"

export const DEMO_ORGANIZER_EMAIL = "demo-organizer@goticket.dev" as Email
export const DEMO_ORGANIZER_PASSWORD = "demo-organizer-password"
export const DEMO_EVENT_TITLE = "GoTicket Launch Night"

const DAY = 24 * 3600 * 1000
const EUR = "EUR" as Currency

/**
 * A demo organizer and one published event with a general-admission type and a seated balcony,
 * created through the same services as the API (so through the same rules); the organizer's address counts as verified,
 * so it logs in at once. Does nothing if it exists.
 */
export const seedDemo = Effect.gen(function* () {
  const accounts = yield* Accounts
  const catalog = yield* Catalog
  const users = yield* UserRepository
  const existing = yield* users.findByEmail(DEMO_ORGANIZER_EMAIL)
  if (Option.isSome(existing)) return Option.none()

  const registered = yield* accounts
    .createVerifiedAccount({
      email: DEMO_ORGANIZER_EMAIL,
      password: Redacted.make(DEMO_ORGANIZER_PASSWORD),
      name: "Demo Organizer",
      accountType: "organizer"
    })
    .pipe(
      // Another instance seeding at the same moment got there first: nothing to do.
      Effect.map(Option.some),
      Effect.catchTag("EmailAlreadyRegistered", () => Effect.succeedNone)
    )
  if (Option.isNone(registered)) return Option.none()
  const organizer = registered.value
  const actor = actorOf(organizer)
  const startsAt = new Date(Math.ceil((Date.now() + 30 * DAY) / DAY) * DAY + 19 * 3600 * 1000)
  const event = yield* catalog.createEvent(actor, {
    title: DEMO_EVENT_TITLE,
    description: "A demo concert: general admission on the floor, numbered seats on the balcony.",
    venue: new Venue({ name: "Demo Hall", address: "1 Example Street, Paris", timezone: "Europe/Paris" }),
    startsAt,
    endsAt: new Date(startsAt.getTime() + 4 * 3600 * 1000),
    salesStartAt: null,
    salesEndAt: startsAt
  })
  yield* catalog.addTicketType(actor, event.id, {
    name: "Floor (general admission)",
    priceMinor: 4500,
    currency: EUR,
    capacity: 500,
    maxPerOrder: 6
  })
  const balcony = yield* catalog.addTicketType(actor, event.id, {
    name: "Balcony",
    priceMinor: 6500,
    currency: EUR,
    capacity: 0,
    maxPerOrder: 6
  })
  yield* catalog.setSeating(actor, event.id, {
    sections: [
      {
        name: "Balcony",
        rows: ["A", "B", "C", "D", "E"].map((label) => ({
          label,
          seats: Array.from({ length: 20 }, (_, i) => ({ label: String(i + 1), ticketTypeId: balcony.id }))
        }))
      }
    ]
  })
  const published = yield* catalog.publish(actor, event.id)
  yield* Effect.logInfo(`demo event created: GET /v1/events/${published.id}`).pipe(
    Effect.annotateLogs({ organizer: DEMO_ORGANIZER_EMAIL, password: "see README" })
  )
  return Option.some(published)
}).pipe(Effect.withSpan("DemoSeed.run"))

import { expect, layer } from "@effect/vitest"
import { Effect, type Layer, Option, Redacted, Schema } from "effect"
import { SecurityTokens } from "../../src/domain/accounts/SecurityTokens.ts"
import { TwoFactorRepository } from "../../src/domain/accounts/TwoFactorRepository.ts"
import { type Email, User } from "../../src/domain/accounts/User.ts"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { Event } from "../../src/domain/catalog/Event.ts"
import { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import type { Order } from "../../src/domain/orders/Order.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import { PersonalData } from "../../src/domain/privacy/PersonalData.ts"
import { PersonalDataExport } from "../../src/domain/privacy/PersonalDataExport.ts"
import { ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import type { TicketId, UserId } from "../../src/domain/shared/Ids.ts"
import { WebhookEndpoint, type WebhookId } from "../../src/domain/webhooks/Webhook.ts"
import { WebhookRepository } from "../../src/domain/webhooks/WebhookRepository.ts"
import { anEvent } from "./EventRepositoryContract.ts"
import { after, aPaidOrder, aSale, holdOf, MINUTE, now, openOrder, unitsOf } from "./OrderRepositoryContract.ts"

const DAY = 24 * 60 * MINUTE

/** The stored password hash of every account here: it must never appear in an export. */
const STORED_HASH = "scrypt$1024$8$1$c2FsdA==$secret-hash-of-the-password"

/** An account with a recognisable email and name (to look for them in what is exported). */
const aPerson = (accountType: "customer" | "organizer", name: string) =>
  Effect.gen(function* () {
    const user = new User({
      id: crypto.randomUUID() as UserId,
      email: `${name.toLowerCase().replace(/\W/g, "-")}-${crypto.randomUUID().slice(0, 8)}@example.com` as Email,
      name,
      accountType,
      isAdmin: false,
      createdAt: new Date("2026-01-01T00:00:00.000Z")
    })
    yield* (yield* UserRepository).insert(user, STORED_HASH)
    return user
  })

const aWebhook = (organizerId: UserId, url: string) =>
  Effect.gen(function* () {
    const endpoint = new WebhookEndpoint({
      id: crypto.randomUUID() as WebhookId,
      organizerId,
      url,
      eventTypes: ["OrderConfirmed"],
      secret: Redacted.make(`whsec_${crypto.randomUUID().replaceAll("-", "")}`),
      active: true,
      createdAt: new Date(Math.floor(Date.now() / 1000) * 1000),
      deactivatedAt: null
    })
    yield* (yield* WebhookRepository).register(endpoint)
    return endpoint
  })

/** The order's ticket at `index` (the order must have one there). */
const ticketOf = (order: Order, index: number): TicketId => {
  const ticket = order.tickets[index]
  if (ticket === undefined) throw new Error(`order ${order.id} has no ticket ${index}`)
  return ticket.id
}

const exportOf = (userId: UserId) =>
  Effect.flatMap(now, (at) => Effect.flatMap(PersonalData, (p) => p.exportFor(userId, at)))
const eraseOf = (userId: UserId) =>
  Effect.flatMap(now, (at) => Effect.flatMap(PersonalData, (p) => p.erase(userId, at)))

/** The export as it goes over the wire. */
const wire = (data: PersonalDataExport) => JSON.stringify(Schema.encodeSync(PersonalDataExport)(data))

const failureOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (e) => ("code" in e ? `${e._tag}:${String(e.code)}` : e._tag))

type Ports =
  | PersonalData
  | UserRepository
  | EventRepository
  | ReservationRepository
  | OrderRepository
  | WebhookRepository
  | SecurityTokens
  | TwoFactorRepository

/**
 * One contract, every adapter: what any PersonalData must do. Runs without the test services (real clock), as the
 * order suite does: the SQL compares with now() where the memory adapter reads the Clock.
 */
export const personalDataContract = (name: string, ports: Layer.Layer<Ports>) =>
  layer(ports, { timeout: "60 seconds", excludeTestServices: true })(`PersonalData contract: ${name}`, (it) => {
    it.effect("exports a customer's account, orders, tickets, holds and refunds, and nothing of anyone else", () =>
      Effect.gen(function* () {
        const orders = yield* OrderRepository
        const sale = yield* aSale()
        const ada = yield* aPerson("customer", "Ada Exporter")
        const bob = yield* aPerson("customer", "Bob Bystander")
        const paid = yield* aPaidOrder(ada.id, sale.event, { type: sale.standing, quantity: 2 })
        const seated = yield* aPaidOrder(ada.id, sale.event, [sale.a1])
        const live = yield* holdOf(ada.id, sale.event, { type: sale.standing, quantity: 1 })
        const refunded = yield* orders.requestRefund({
          refundId: `refund-${crypto.randomUUID()}`,
          orderId: paid.id,
          ticketIds: [ticketOf(paid, 0)],
          requestedBy: ada.id,
          includeCheckedIn: false,
          at: yield* now
        })
        expect(refunded._tag).toBe("Requested")
        const bobs = yield* aPaidOrder(bob.id, sale.event, { type: sale.standing, quantity: 1 })

        const data = yield* exportOf(ada.id)
        expect(data.account).toMatchObject({ id: ada.id, email: ada.email, name: "Ada Exporter" })
        expect(data.account.accountType).toBe("customer")
        expect(data.orders.map((o) => o.id).sort()).toEqual([paid.id, seated.id].sort())
        const paidExport = data.orders.find((o) => o.id === paid.id)
        expect(paidExport).toMatchObject({
          eventId: sale.event.id,
          eventTitle: sale.event.title,
          status: "partially_refunded",
          totalMinor: 5000,
          refundedMinor: 2500,
          currency: "EUR"
        })
        expect(paidExport?.lines.map((l) => [l.ticketTypeName, l.unitPriceMinor])).toEqual([
          ["Standing", 2500],
          ["Standing", 2500]
        ])
        expect(data.orders.find((o) => o.id === seated.id)?.lines[0]?.seatLabel).toBe("Stalls A-1")
        expect(data.tickets).toHaveLength(3)
        expect(data.tickets.filter((t) => t.status === "voided").map((t) => t.id)).toEqual([ticketOf(paid, 0)])
        expect(data.tickets.find((t) => t.orderId === seated.id)).toMatchObject({
          ticketTypeName: "Seated",
          seatLabel: "Stalls A-1",
          status: "valid",
          checkedInAt: null
        })
        expect(data.reservations.map((r) => r.id).sort()).toEqual(
          [paid.reservationId, seated.reservationId, live.id].sort()
        )
        expect(data.reservations.find((r) => r.id === live.id)?.status).toBe("active")
        expect(data.refunds).toHaveLength(1)
        expect(data.refunds[0]).toMatchObject({ orderId: paid.id, amountMinor: 2500, currency: "EUR" })
        expect(data.eventsOrganized).toEqual([])
        expect(data.webhooks).toEqual([])

        const json = wire(data)
        for (const foreign of [bob.id, bob.email, "Bob Bystander", bobs.id, bobs.reservationId, sale.event.organizerId])
          expect(json).not.toContain(foreign)
        expect(json).not.toContain(STORED_HASH)
        expect(json).not.toContain("secret-hash")
      })
    )

    it.effect("exports an organizer's events and webhooks without secrets, and a staff member's roles", () =>
      Effect.gen(function* () {
        const events = yield* EventRepository
        const sale = yield* aSale()
        const organizer = sale.event.organizerId
        const hook = yield* aWebhook(organizer, "https://hooks.example.com/goticket")
        const door = yield* aPerson("customer", "Dora Doorkeeper")
        yield* events.grantStaff(sale.event.id, door.id, organizer, new Date("2026-02-01T00:00:00.000Z"))
        const buyer = yield* aPerson("customer", "Carl Customer")
        yield* aPaidOrder(buyer.id, sale.event, { type: sale.standing, quantity: 1 })

        const data = yield* exportOf(organizer)
        expect(data.account.accountType).toBe("organizer")
        expect(data.eventsOrganized.map((e) => [e.id, e.title, e.status])).toEqual([
          [sale.event.id, sale.event.title, "published"]
        ])
        expect(data.webhooks.map((w) => [w.id, w.url, w.active])).toEqual([[hook.id, hook.url, true]])
        const json = wire(data)
        expect(json).not.toContain(Redacted.value(hook.secret))
        for (const foreign of [buyer.id, buyer.email, door.id, door.email]) expect(json).not.toContain(foreign)

        const staff = yield* exportOf(door.id)
        expect(staff.staffRoles.map((r) => [r.eventId, r.eventTitle])).toEqual([[sale.event.id, sale.event.title]])
      })
    )

    it.effect("exports the attendee names on the account's tickets, and erasing the account blanks them", () =>
      Effect.gen(function* () {
        const orders = yield* OrderRepository
        const sale = yield* aSale()
        const ada = yield* aPerson("customer", "Ada Named")
        const bob = yield* aPerson("customer", "Bob Named")
        const paid = yield* aPaidOrder(ada.id, sale.event, { type: sale.standing, quantity: 2 })
        const bobs = yield* aPaidOrder(bob.id, sale.event, { type: sale.standing, quantity: 1 })
        yield* orders.renameTicket(ticketOf(paid, 0), ada.id, "Charles Babbage")
        yield* orders.renameTicket(ticketOf(bobs, 0), bob.id, "Bob's Guest")

        const exported = yield* exportOf(ada.id)
        expect(exported.tickets.map((t) => [t.id, t.attendeeName])).toEqual([
          [ticketOf(paid, 0), "Charles Babbage"],
          [ticketOf(paid, 1), null]
        ])
        expect(wire(exported)).not.toContain("Bob's Guest")

        yield* eraseOf(ada.id)
        expect(Option.getOrThrow(yield* orders.findTicket(ticketOf(paid, 0))).attendeeName).toBeNull()
        expect(Option.getOrThrow(yield* orders.findTicket(ticketOf(bobs, 0))).attendeeName).toBe("Bob's Guest")
      })
    )

    it.effect("erases: live holds released, grants and webhooks gone, orders, tickets and refunds untouched", () =>
      Effect.gen(function* () {
        const orders = yield* OrderRepository
        const holds = yield* ReservationRepository
        const events = yield* EventRepository
        const webhooks = yield* WebhookRepository
        const sale = yield* aSale()
        const ada = yield* aPerson("customer", "Ada Eraser")
        const paid = yield* aPaidOrder(ada.id, sale.event, { type: sale.standing, quantity: 2 })
        yield* orders.requestRefund({
          refundId: `refund-${crypto.randomUUID()}`,
          orderId: paid.id,
          requestedBy: ada.id,
          ticketIds: [ticketOf(paid, 1)],
          includeCheckedIn: false,
          at: yield* now
        })
        const live = yield* holdOf(ada.id, sale.event, [sale.b1, sale.b2])
        const organizerOfOwn = yield* aPerson("organizer", "Ada Organizer")
        yield* aWebhook(organizerOfOwn.id, "https://ada.example.com/hook")
        yield* events.grantStaff(sale.event.id, ada.id, sale.event.organizerId, yield* now)
        const orderBefore = Option.getOrThrow(yield* orders.findById(paid.id))
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 0, sold: 1 }, Seated: { held: 2 } })

        const erasure = yield* eraseOf(ada.id)
        expect(erasure.releasedHolds.map((h) => h.id)).toEqual([live.id])
        expect(erasure.releasedHolds[0]?.eventId).toBe(sale.event.id)
        expect(erasure.releasedHolds[0]?.ticketTypeIds).toEqual([sale.seated.id])
        expect(Option.getOrThrow(yield* holds.findById(live.id)).status).toBe("released")
        expect(yield* unitsOf(sale.event)).toMatchObject({ Standing: { held: 0, sold: 1 }, Seated: { held: 0 } })
        expect(yield* events.isStaff(sale.event.id, ada.id)).toBe(false)
        expect(Option.getOrThrow(yield* orders.findById(paid.id))).toEqual(orderBefore)
        expect(Option.getOrThrow(yield* orders.findTicket(ticketOf(paid, 0))).customerId).toBe(ada.id)

        // The account now reads as unknown: no export, no second erasure.
        expect(yield* failureOf(exportOf(ada.id))).toBe("UserNotFound")
        expect(yield* failureOf(eraseOf(ada.id))).toBe("UserNotFound")

        yield* eraseOf(organizerOfOwn.id)
        expect(yield* webhooks.listByOrganizer(organizerOfOwn.id)).toEqual([])
      })
    )

    it.effect(
      "erases the account's way back in: reset and email-change links, challenges, two-factor and its codes",
      () =>
        Effect.gen(function* () {
          const tokens = yield* SecurityTokens
          const twoFactor = yield* TwoFactorRepository
          const ada = yield* aPerson("customer", "Ada Secure")
          const bob = yield* aPerson("customer", "Bob Stays")
          const at = yield* now
          const times = { now: at, expiresAt: new Date(at.getTime() + DAY) }
          const reset = yield* tokens.issue("password_reset", ada.id, times)
          const change = yield* tokens.issue("email_change", ada.id, times, "ada-new@example.com" as Email)
          const challenge = yield* tokens.issue("login_challenge", ada.id, times)
          const bobsReset = yield* tokens.issue("password_reset", bob.id, times)
          const code = "a".repeat(64)
          for (const person of [ada, bob]) {
            yield* twoFactor.begin(person.id, Redacted.make("JBSWY3DPEHPK3PXP"), at)
            expect(yield* twoFactor.enable(person.id, 1, [code, "b".repeat(64)], at)).toBe(true)
          }

          yield* eraseOf(ada.id)

          const refusal = (purpose: "password_reset" | "email_change" | "login_challenge", token: typeof reset.token) =>
            Effect.map(Effect.flip(tokens.inspect(purpose, token, at)), (e) => e.reason)
          expect(yield* refusal("password_reset", reset.token)).toBe("invalid")
          expect(yield* refusal("email_change", change.token)).toBe("invalid")
          expect(yield* refusal("login_challenge", challenge.token)).toBe("invalid")
          expect(Option.isNone(yield* twoFactor.find(ada.id))).toBe(true)
          expect(yield* twoFactor.useRecoveryCode(ada.id, code, at)).toBe(false)
          // Nobody else's.
          expect((yield* tokens.inspect("password_reset", bobsReset.token, at)).userId).toBe(bob.id)
          expect(Option.getOrThrow(yield* twoFactor.find(bob.id)).recoveryCodesLeft).toBe(2)
          expect(yield* twoFactor.useRecoveryCode(bob.id, code, at)).toBe(true)
        })
    )

    it.effect("refuses while an order waits for payment, and then changes nothing", () =>
      Effect.gen(function* () {
        const holds = yield* ReservationRepository
        const sale = yield* aSale()
        const ada = yield* aPerson("customer", "Ada Payer")
        const checkingOut = yield* holdOf(ada.id, sale.event, { type: sale.standing, quantity: 1 })
        yield* openOrder(checkingOut.id, ada.id)
        const other = yield* holdOf(ada.id, sale.event, [sale.a2])

        expect(yield* failureOf(eraseOf(ada.id))).toBe("ErasureRefused:payment_in_progress")
        expect(Option.getOrThrow(yield* holds.findById(other.id)).status).toBe("active")
        expect((yield* exportOf(ada.id)).account.email).toBe(ada.email)
      })
    )

    it.effect("refuses an organizer with a published event still to come; a cancelled or past one is no bar", () =>
      Effect.gen(function* () {
        const events = yield* EventRepository
        const sale = yield* aSale()
        const organizer = sale.event.organizerId
        const at = yield* now
        const past = anEvent(organizer, {
          status: "published",
          startsAt: after(at, -10 * DAY),
          endsAt: after(at, -10 * DAY + 3 * 60 * MINUTE),
          salesStartAt: null,
          salesEndAt: null,
          publishedAt: after(at, -20 * DAY)
        })
        yield* events.insert(past)
        yield* events.insert(anEvent(organizer, { title: "A draft" }))

        expect(yield* failureOf(eraseOf(organizer))).toBe("ErasureRefused:upcoming_events")
        expect((yield* exportOf(organizer)).eventsOrganized).toHaveLength(3)

        const stored = Option.getOrThrow(yield* events.findById(sale.event.id))
        yield* events.update(new Event({ ...stored, status: "cancelled", cancelledAt: at }))
        yield* eraseOf(organizer)
        expect(yield* failureOf(exportOf(organizer))).toBe("UserNotFound")
        expect(Option.getOrThrow(yield* events.findById(past.id)).organizerId).toBe(organizer)
      })
    )

    it.effect("answers UserNotFound for an account that never existed", () =>
      Effect.gen(function* () {
        const ghost = crypto.randomUUID() as UserId
        expect(yield* failureOf(exportOf(ghost))).toBe("UserNotFound")
        expect(yield* failureOf(eraseOf(ghost))).toBe("UserNotFound")
      })
    )
  })

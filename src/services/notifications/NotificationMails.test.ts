import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Layer, Option, Redacted } from "effect"
import { memorySale } from "../../../test/support/MemorySale.ts"
import { type Email, User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { Event, Venue } from "../../domain/catalog/Event.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { Seat, Section } from "../../domain/catalog/Seating.ts"
import { TicketType } from "../../domain/catalog/TicketType.ts"
import {
  type DomainEvent,
  EventPublished,
  OrderCancelled,
  OrderConfirmed,
  OrderRefunded,
  ReservationCreated,
  TicketIssued
} from "../../domain/events/DomainEvents.ts"
import type { Mail } from "../../domain/notifications/Mailer.ts"
import type { CancelReason, Order } from "../../domain/orders/Order.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { TicketCodes } from "../../domain/orders/TicketCodes.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { OrderId, ReservationId, SeatId, SectionId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { makeHmacTicketCodes } from "../orders/HmacTicketCodes.ts"
import { OrderRepositoryMemory } from "../orders/OrderRepositoryMemory.ts"
import { ReservationRepositoryMemory } from "../reservations/ReservationRepositoryMemory.ts"
import { escapeHtml, formatMoney } from "./MailFormat.ts"
import { NotificationMails, notificationMailFor, notificationMessageId } from "./NotificationMails.ts"

/** The in-memory twin of every port the mails read, sharing one store, fresh per test. */
const InMemory = Layer.mergeAll(
  OrderRepositoryMemory,
  ReservationRepositoryMemory,
  EventRepositoryMemory,
  Layer.succeed(TicketCodes, makeHmacTicketCodes(Redacted.make("a-test-secret-that-is-long-enough-for-hkdf")))
).pipe(Layer.provideMerge(UserRepositoryMemory))

const MINUTE = 60_000

/** A hold of the given GA quantity or seats, its order opened and (unless `confirm` is false) confirmed. */
const buy = (
  sale: Effect.Success<ReturnType<typeof memorySale>>,
  what: {
    readonly quantity?: number
    readonly seatIds?: ReadonlyArray<SeatId>
    readonly confirm?: boolean
    readonly customerId?: UserId
  }
) =>
  Effect.gen(function* () {
    const reservations = yield* ReservationRepository
    const orders = yield* OrderRepository
    const now = yield* Clock.currentTimeMillis
    const reservationId = crypto.randomUUID() as ReservationId
    const customerId = what.customerId ?? sale.customer.userId
    const placed = yield* reservations.place({
      reservationId,
      customerId,
      eventId: sale.event.id,
      ...(what.seatIds === undefined
        ? { items: [{ ticketTypeId: sale.ga.id, quantity: what.quantity ?? 1 }] }
        : { seatIds: what.seatIds }),
      expiresAt: new Date(now + 10 * MINUTE),
      customerLimit: 20
    })
    expect(placed._tag).toBe("Held")
    const orderId = crypto.randomUUID() as OrderId
    const opened = yield* orders.open({
      orderId,
      reservationId,
      customerId,
      holdUntil: new Date(now + 20 * MINUTE)
    })
    expect(opened._tag).toBe("Opened")
    if (what.confirm === false) return Option.getOrThrow(yield* orders.findById(orderId))
    expect((yield* orders.claimUnits(orderId))._tag).toBe("Claimed")
    return yield* orders.confirm(orderId, new Date(now))
  })

const confirmedEvent = (order: Order) =>
  new OrderConfirmed({
    orderId: order.id,
    customerId: order.customerId,
    eventId: order.eventId,
    totalMinor: order.totalMinor,
    currency: order.currency,
    tickets: order.tickets.length
  })

/** The mail for this event, which must be one. */
const mailFor = (event: DomainEvent, envelopeId: string = crypto.randomUUID()) =>
  Effect.flatMap(notificationMailFor(event, envelopeId), (mail) =>
    Option.isSome(mail) ? Effect.succeed(mail.value) : Effect.die(new Error(`no mail for ${event._tag}`))
  )

/** Refunds these tickets of the order (all valid ones when none are given), completed; answers the event. */
const refund = (order: Order, ticketIds?: ReadonlyArray<Order["tickets"][number]["id"]>) =>
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const refundId = crypto.randomUUID()
    const requested = yield* orders.requestRefund({
      refundId,
      orderId: order.id,
      ticketIds,
      requestedBy: order.customerId,
      includeCheckedIn: false,
      at: new Date(yield* Clock.currentTimeMillis)
    })
    if (requested._tag !== "Requested") return yield* Effect.die(new Error(`refund not requested: ${requested._tag}`))
    yield* orders.completeRefund(refundId, `re_${refundId}`, new Date(yield* Clock.currentTimeMillis))
    return new OrderRefunded({
      orderId: order.id,
      customerId: order.customerId,
      eventId: order.eventId,
      refundId,
      amountMinor: requested.refund.amountMinor,
      currency: order.currency,
      ticketIds: requested.refund.ticketIds
    })
  })

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** The event renamed (and otherwise changed) through the repository, as an organizer's edit would. */
const changeEvent = (event: Event, change: Partial<ConstructorParameters<typeof Event>[0]>) =>
  Effect.flatMap(EventRepository, (events) => events.update(new Event({ ...event, ...change }))).pipe(Effect.orDie)

describe("NotificationMails", () => {
  it.effect("OrderConfirmed: every valid ticket with its type, price, code in text and HTML, and its QR as a PNG", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const order = yield* buy(sale, { quantity: 3 })
      const codes = yield* TicketCodes
      const users = yield* UserRepository
      const customer = Option.getOrThrow(yield* users.findById(sale.customer.userId))
      const envelopeId = crypto.randomUUID()

      const mail = yield* mailFor(confirmedEvent(order), envelopeId)

      expect(mail.messageId).toBe(`<${envelopeId}@goticket>`)
      expect(mail.messageId).toBe(notificationMessageId(envelopeId))
      expect(mail.to).toBe(customer.email)
      expect(mail.subject).toBe("Your tickets for Show")
      expect(order.tickets).toHaveLength(3)
      expect(mail.attachments).toHaveLength(3)
      for (const ticket of order.tickets) {
        const code = yield* codes.sign(ticket.id, ticket.eventId)
        expect(mail.text).toContain(code)
        expect(mail.html).toContain(code)
        const qr = mail.attachments.filter((a) => a.contentId === `qr-${ticket.id}@goticket`)
        expect(qr).toHaveLength(1)
        expect(qr[0]?.contentType).toBe("image/png")
        expect(Buffer.from(qr[0]?.content ?? []).subarray(0, 8)).toEqual(pngSignature)
        // The HTML shows it inline.
        expect(mail.html).toContain(`src="cid:qr-${ticket.id}@goticket"`)
      }
      // Event, venue, start on the venue's clock (UTC here), type, prices and the total.
      expect(mail.text).toContain("Hall")
      expect(mail.text).toContain("UTC")
      expect(mail.text).toContain(`Ticket 3 of 3: GA, ${formatMoney(1000, "EUR")}`)
      expect(mail.text).toContain(`Total paid: ${formatMoney(3000, "EUR")}`)
      expect(mail.html).toContain(escapeHtml(`Total paid: ${formatMoney(3000, "EUR")}`))
      expect(formatMoney(3000, "EUR")).toBe("€30.00")
    }).pipe(Effect.provide(InMemory))
  )

  it.effect("OrderConfirmed: a seated ticket shows its seat; the start is on the venue's clock", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const events = yield* EventRepository
      const stalls = new TicketType({
        ...sale.ga,
        id: crypto.randomUUID() as TicketTypeId,
        name: "Stalls",
        priceMinor: 4550,
        seated: true
      })
      yield* events.insertTicketType(stalls)
      const section = new Section({
        id: crypto.randomUUID() as SectionId,
        eventId: sale.event.id,
        name: "Stalls",
        position: 1
      })
      const seats = ["7", "8"].map(
        (label, i) =>
          new Seat({
            id: crypto.randomUUID() as SeatId,
            eventId: sale.event.id,
            sectionId: section.id,
            row: "B",
            rowPosition: i + 1,
            label,
            position: i + 1,
            ticketTypeId: stalls.id,
            status: "available"
          })
      )
      yield* events.replaceSeating(sale.event.id, [section], seats)
      const current = Option.getOrThrow(yield* events.findById(sale.event.id))
      yield* changeEvent(current, {
        startsAt: new Date("2031-06-14T17:30:00Z"),
        venue: new Venue({ ...current.venue, timezone: "Europe/Paris" })
      })

      const order = yield* buy(sale, { seatIds: seats.map((seat) => seat.id) })
      const mail = yield* mailFor(confirmedEvent(order))

      expect(mail.text).toContain(`Ticket 1 of 2: Stalls, seat Stalls B-7, ${formatMoney(4550, "EUR")}`)
      expect(mail.text).toContain(`Ticket 2 of 2: Stalls, seat Stalls B-8, ${formatMoney(4550, "EUR")}`)
      expect(mail.html).toContain("Stalls, seat Stalls B-8")
      // 17:30 UTC is 19:30 in Paris in June.
      expect(mail.text).toMatch(/Saturday,? 14 June 2031\D+19:30/)
      expect(mail.text).toContain(`Total paid: ${formatMoney(9100, "EUR")}`)
    }).pipe(Effect.provide(InMemory))
  )

  it.effect("OrderConfirmed: only the tickets still valid; none left, no mail", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const order = yield* buy(sale, { quantity: 2 })
      const [kept, voided] = order.tickets
      if (kept === undefined || voided === undefined) return expect.fail("two tickets expected")
      yield* refund(order, [voided.id])
      const mail = yield* mailFor(confirmedEvent(order))
      expect(mail.attachments.map((a) => a.contentId)).toEqual([`qr-${kept.id}@goticket`])
      expect(mail.text).not.toContain(voided.id)
      expect(mail.subject).toBe("Your ticket for Show")

      yield* refund(order, [kept.id])
      expect(yield* notificationMailFor(confirmedEvent(order), crypto.randomUUID())).toEqual(Option.none())
    }).pipe(Effect.provide(InMemory))
  )

  it.effect("the same envelope gives the same Message-ID (a redelivery); another envelope another", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const order = yield* buy(sale, { quantity: 1 })
      const envelopeId = crypto.randomUUID()
      const first = yield* mailFor(confirmedEvent(order), envelopeId)
      const again = yield* mailFor(confirmedEvent(order), envelopeId)
      const other = yield* mailFor(confirmedEvent(order))
      expect(again.messageId).toBe(first.messageId)
      expect(again.text).toBe(first.text)
      expect(other.messageId).not.toBe(first.messageId)
    }).pipe(Effect.provide(InMemory))
  )

  it.effect("OrderRefunded: the amount with its currency, the voided tickets, the others still valid", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const order = yield* buy(sale, { quantity: 3 })
      const [first, second] = order.tickets
      if (first === undefined || second === undefined) return expect.fail("three tickets expected")
      const refunded = yield* refund(order, [first.id, second.id])
      expect(refunded.amountMinor).toBe(2000)

      const mail = yield* mailFor(refunded)
      expect(mail.subject).toBe("Refund of €20.00 for Show")
      expect(mail.text).toContain("We have refunded €20.00 for your order for Show")
      expect(mail.text).toContain("These tickets are now void")
      expect(mail.text.match(/ {2}- GA, €10\.00/g)).toHaveLength(2)
      expect(mail.text).toContain("Your other ticket remains valid.")
      expect(mail.text).not.toContain("cancelled")
      expect(mail.html).toContain("Refunded: €20.00")
      expect(mail.attachments).toEqual([])
    }).pipe(Effect.provide(InMemory))
  )

  it.effect("OrderRefunded: amounts in the currency's own decimals (JPY has none)", () =>
    Effect.sync(() => {
      expect(formatMoney(2500, "JPY")).toBe("JP¥2,500")
      expect(formatMoney(123456, "USD")).toBe("US$1,234.56")
      expect(formatMoney(5, "EUR")).toBe("€0.05")
      expect(formatMoney(1000, "KWD")).toBe("KWD\u00a01.000")
    })
  )

  it.effect("OrderRefunded: when the event is cancelled, the mail says so", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const order = yield* buy(sale, { quantity: 2 })
      const current = Option.getOrThrow(
        yield* Effect.flatMap(EventRepository, (events) => events.findById(sale.event.id))
      )
      yield* changeEvent(current, { status: "cancelled", cancelledAt: new Date(yield* Clock.currentTimeMillis) })
      const refunded = yield* refund(order)

      const mail = yield* mailFor(refunded)
      expect(mail.subject).toBe("Show is cancelled: €20.00 refunded")
      expect(mail.text).toContain("Show has been cancelled by its organiser")
      expect(mail.text).toContain("€20.00")
      expect(mail.text).not.toContain("remain valid")
      expect(mail.html).toContain("has been cancelled by its organiser")
    }).pipe(Effect.provide(InMemory))
  )

  describe("OrderCancelled", () => {
    const notCharged: ReadonlyArray<CancelReason> = [
      "payment_declined",
      "payment_timed_out",
      "units_unavailable",
      "payment_failed"
    ]
    for (const reason of notCharged)
      it.effect(`${reason}: not charged, the hold released`, () =>
        Effect.gen(function* () {
          const sale = yield* memorySale(10)
          const pending = yield* buy(sale, { quantity: 2, confirm: false })
          const orders = yield* OrderRepository
          const order = yield* orders.cancel(pending.id, reason, new Date(yield* Clock.currentTimeMillis))
          expect(order.status).toBe("cancelled")

          const mail = yield* mailFor(
            new OrderCancelled({ orderId: order.id, customerId: order.customerId, eventId: order.eventId, reason })
          )
          expect(mail.subject).toBe("Your order for Show was cancelled")
          expect(mail.text).toContain("You have not been charged")
          expect(mail.text).toMatch(/(hold on your tickets|tickets we were holding for you) ha(s|ve) been released/)
          expect(mail.html).toContain("You have not been charged")
          expect(mail.attachments).toEqual([])
        }).pipe(Effect.provide(InMemory))
      )

    it.effect("event_cancelled: says the event is cancelled", () =>
      Effect.gen(function* () {
        const sale = yield* memorySale(10)
        const pending = yield* buy(sale, { quantity: 1, confirm: false })
        const mail = yield* mailFor(
          new OrderCancelled({
            orderId: pending.id,
            customerId: pending.customerId,
            eventId: pending.eventId,
            reason: "event_cancelled"
          })
        )
        expect(mail.subject).toBe("Show is cancelled: your order was not completed")
        expect(mail.text).toContain("the event has been cancelled by its organiser")
        expect(mail.text).toContain("you have not been charged")
      }).pipe(Effect.provide(InMemory))
    )

    it.effect("an unknown reason: cancelled, and no promise about money", () =>
      Effect.gen(function* () {
        const sale = yield* memorySale(10)
        const pending = yield* buy(sale, { quantity: 1, confirm: false })
        const mail = yield* mailFor(
          new OrderCancelled({
            orderId: pending.id,
            customerId: pending.customerId,
            eventId: pending.eventId,
            reason: "something_new"
          })
        )
        expect(mail.text).toContain("Your order for Show has been cancelled.")
        expect(mail.text).not.toContain("charged")
      }).pipe(Effect.provide(InMemory))
    )
  })

  it.effect(
    "a hostile event title and customer name are escaped in the HTML, and kept to one line in the subject",
    () =>
      Effect.gen(function* () {
        const sale = yield* memorySale(10)
        const hostile = `<script>alert("x")</script> & <img src=x onerror='steal()'>`
        const current = Option.getOrThrow(
          yield* Effect.flatMap(EventRepository, (events) => events.findById(sale.event.id))
        )
        yield* changeEvent(current, {
          title: `${hostile}\r\nBcc: victim@example.com`,
          venue: new Venue({ ...current.venue, name: "<b>Hall</b>" })
        })
        const eve = new User({
          id: crypto.randomUUID() as UserId,
          email: `eve-${crypto.randomUUID()}@example.com` as Email,
          name: "<i>Eve</i>",
          accountType: "customer",
          isAdmin: false,
          createdAt: new Date(0)
        })
        yield* Effect.orDie(Effect.flatMap(UserRepository, (users) => users.insert(eve, "x")))
        const order = yield* buy(sale, { quantity: 1, customerId: eve.id })

        const confirmation = yield* mailFor(confirmedEvent(order))
        const refundNotice = yield* mailFor(yield* refund(order))
        for (const mail of [confirmation, refundNotice]) {
          expect(mail.html).not.toContain("<script>")
          expect(mail.html).not.toContain("<img src=x")
          expect(mail.html).not.toContain("<b>Hall</b>")
          expect(mail.html).toContain(
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=&#39;steal()&#39;&gt;"
          )
          expect(mail.html).toContain("&lt;b&gt;Hall&lt;/b&gt;")
          expect(mail.html).not.toContain("<i>Eve</i>")
          expect(mail.html).toContain("Hello &lt;i&gt;Eve&lt;/i&gt;,")
          expect(mail.to).toBe(eve.email)
          // The plain text keeps the title as it is; the subject keeps it on one line.
          expect(mail.text).toContain(hostile)
          expect(mail.subject).not.toMatch(/[\r\n]/)
          expect(mail.subject).toContain("Bcc: victim@example.com")
        }
      }).pipe(Effect.provide(InMemory))
  )

  it.effect("other events give no mail", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const order = yield* buy(sale, { quantity: 1 })
      const ticket = order.tickets[0]
      if (ticket === undefined) return expect.fail("a ticket expected")
      const others: ReadonlyArray<DomainEvent> = [
        new EventPublished({
          eventId: sale.event.id,
          organizerId: sale.organizer.userId,
          title: "Show",
          startsAt: sale.event.startsAt
        }),
        new ReservationCreated({
          reservationId: order.reservationId,
          customerId: order.customerId,
          eventId: order.eventId,
          tickets: 1,
          totalMinor: 1000,
          currency: "EUR" as Currency,
          expiresAt: new Date()
        }),
        new TicketIssued({
          ticketId: ticket.id,
          orderId: order.id,
          eventId: order.eventId,
          customerId: order.customerId,
          ticketTypeId: ticket.ticketTypeId,
          seatId: null,
          priceMinor: 1000,
          currency: "EUR" as Currency
        })
      ]
      for (const event of others)
        expect(yield* notificationMailFor(event, crypto.randomUUID())).toEqual(Option.none<Mail>())
    }).pipe(Effect.provide(InMemory))
  )

  it.effect("an order that cannot be found gives no mail (and no failure)", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const missing = new OrderConfirmed({
        orderId: crypto.randomUUID() as OrderId,
        customerId: sale.customer.userId,
        eventId: sale.event.id,
        totalMinor: 1000,
        currency: "EUR" as Currency,
        tickets: 1
      })
      expect(yield* notificationMailFor(missing, crypto.randomUUID())).toEqual(Option.none())
    }).pipe(Effect.provide(InMemory))
  )

  it.effect("NotificationMails, the service, gives the same mail as the function", () =>
    Effect.gen(function* () {
      const sale = yield* memorySale(10)
      const order = yield* buy(sale, { quantity: 1 })
      const envelopeId = crypto.randomUUID()
      const service = yield* NotificationMails
      const viaService = Option.getOrThrow(yield* service.mailFor(confirmedEvent(order), envelopeId))
      const direct = yield* mailFor(confirmedEvent(order), envelopeId)
      expect(viaService.text).toBe(direct.text)
      expect(viaService.messageId).toBe(direct.messageId)
    }).pipe(Effect.provide(NotificationMails.layer.pipe(Layer.provideMerge(InMemory))))
  )
})

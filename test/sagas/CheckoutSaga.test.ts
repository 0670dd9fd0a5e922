import { describe, expect } from "@effect/vitest"
import { Clock, Effect, Exit, Queue } from "effect"
import { TestClock } from "effect/testing"
import { Event } from "../../src/domain/catalog/Event.ts"
import { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { openIntent } from "../../src/domain/orders/CheckoutSaga.ts"
import { CheckoutSettings } from "../../src/domain/orders/CheckoutSettings.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import { PaymentGateway } from "../../src/domain/payments/PaymentGateway.ts"
import { ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import type { OrderId } from "../../src/domain/shared/Ids.ts"
import { Orders } from "../../src/services/orders/Orders.ts"
import { reconcilePendingOrder } from "../../src/services/orders/PaymentReconciliation.ts"
import { MemoryPaymentProvider } from "../../src/services/payments/PaymentGatewayMemory.ts"
import { Reservations } from "../../src/services/reservations/Reservations.ts"
import { memorySale } from "../support/MemorySale.ts"
import { checkout, deliverWebhooks, eventually, orderNow, pay, settled, sumCheck, worldTest } from "./SagaWorld.ts"

const DAY = 86_400_000
const PAID = "4242424242424242"
const DECLINED = "4000000000000002"
const DELAYED = "4000000000003220"

/** A published event ten days ahead with a GA type of `capacity` at 1000 minor units, and two customers. */
const sale = memorySale

describe("the checkout saga", () => {
  describe("over in-memory ports, a fresh world per test", () => {
    const it = { effect: worldTest() }
    it.effect("confirms a paid order: units sold, one ticket per admission, payment captured once", () =>
      Effect.gen(function* () {
        const { event, ga, customer, counts } = yield* sale(10)
        const { order, intentId } = yield* checkout(customer, event.id, ga.id, 2)
        expect(order.status).toBe("pending_payment")
        yield* pay(intentId, PAID)
        const done = yield* settled(order.id)
        expect(done.status).toBe("confirmed")
        expect(done.tickets.map((t) => t.status)).toEqual(["valid", "valid"])
        expect(yield* counts).toEqual({ held: 0, sold: 2 })
        const intent = yield* Effect.flatMap(PaymentGateway, (g) => g.retrieve(intentId))
        expect(intent.status).toBe("succeeded")
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("required attendee names: refused without them (no order), carried to the tickets with them", () =>
      Effect.gen(function* () {
        const { event, ga, customer } = yield* sale(10)
        yield* Effect.flatMap(EventRepository, (events) =>
          events.updateTicketType(ga.id, { attendeeNames: "required" })
        )
        const reservations = yield* Reservations
        const orders = yield* Orders
        const { reservation } = yield* reservations.hold(
          customer,
          { eventId: event.id, items: [{ ticketTypeId: ga.id, quantity: 2 }] },
          crypto.randomUUID()
        )
        const refused = yield* Effect.flip(orders.checkout(customer, reservation.id, ["Ada Lovelace", " "]))
        expect(refused._tag).toBe("AttendeeNamesInvalid")
        expect(yield* orders.list(customer, { limit: 10 })).toEqual([])

        const order = yield* orders.checkout(customer, reservation.id, ["Ada Lovelace", "Alan Turing"])
        yield* pay(order.payment?.intentId ?? "", PAID)
        const done = yield* settled(order.id)
        expect(done.tickets.map((t) => t.attendeeName)).toEqual(["Ada Lovelace", "Alan Turing"])
        const renamed = yield* orders.renameTicket(customer, done.tickets[1]?.id as never, "Grace Hopper")
        expect(renamed.attendeeName).toBe("Grace Hopper")
      })
    )

    it.effect("a second checkout of the same hold answers the same order and intent", () =>
      Effect.gen(function* () {
        const { event, ga, customer } = yield* sale(10)
        const { reservation, order } = yield* checkout(customer, event.id, ga.id, 1)
        const again = yield* Effect.flatMap(Orders, (orders) => orders.checkout(customer, reservation.id))
        expect(again.id).toBe(order.id)
        expect(again.payment?.intentId).toBe(order.payment?.intentId)
      })
    )

    it.effect("cancels a declined order and gives its hold back, charging nothing", () =>
      Effect.gen(function* () {
        const { event, ga, customer, counts } = yield* sale(10)
        const { order, intentId } = yield* checkout(customer, event.id, ga.id, 3)
        yield* pay(intentId, DECLINED)
        const done = yield* settled(order.id)
        expect(done.status).toBe("cancelled")
        expect(done.cancelReason).toBe("payment_declined")
        expect(yield* counts).toEqual({ held: 0, sold: 0 })
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("waits out the delayed card and confirms once it is authorised", () =>
      Effect.gen(function* () {
        const { event, ga, customer, counts } = yield* sale(10)
        const { order, intentId } = yield* checkout(customer, event.id, ga.id, 1)
        yield* pay(intentId, DELAYED)
        expect((yield* orderNow(order.id)).status).toBe("pending_payment")
        yield* Effect.flatMap(MemoryPaymentProvider, (p) => p.completeProcessing(intentId))
        yield* deliverWebhooks()
        expect((yield* settled(order.id)).status).toBe("confirmed")
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("times out an unpaid order after the payment window: intent voided, hold released", () =>
      Effect.gen(function* () {
        const { event, ga, customer, counts } = yield* sale(10)
        const { order, intentId } = yield* checkout(customer, event.id, ga.id, 2)
        const window = (yield* CheckoutSettings).paymentWindow
        yield* TestClock.adjust(window)
        const done = yield* settled(order.id)
        expect(done.status).toBe("cancelled")
        expect(done.cancelReason).toBe("payment_timed_out")
        expect(yield* counts).toEqual({ held: 0, sold: 0 })
        const intent = yield* Effect.flatMap(PaymentGateway, (g) => g.retrieve(intentId))
        expect(intent.status).toBe("canceled")
        // Paying now is refused by the provider: the customer cannot be charged for a cancelled order.
        const late = yield* Effect.exit(Effect.flatMap(MemoryPaymentProvider, (p) => p.confirm(intentId, PAID)))
        expect(Exit.isFailure(late)).toBe(true)
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("a payment that arrives after the hold was lost gets the same units back while they are free", () =>
      Effect.gen(function* () {
        const { event, ga, customer, counts } = yield* sale(10)
        const { reservation, order, intentId } = yield* checkout(customer, event.id, ga.id, 2)
        // The hold ends behind the saga's back (as the expiry job would after a long outage).
        yield* Effect.flatMap(ReservationRepository, (r) => r.end([reservation.id], "expired"))
        expect(yield* counts).toEqual({ held: 0, sold: 0 })
        yield* pay(intentId, PAID)
        const done = yield* settled(order.id)
        expect(done.status).toBe("confirmed")
        expect(yield* counts).toEqual({ held: 0, sold: 2 })
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("a payment that arrives after the hold was lost and its units sold is voided, not charged", () =>
      Effect.gen(function* () {
        const { event, ga, customer, rival, counts } = yield* sale(2)
        const { reservation, order, intentId } = yield* checkout(customer, event.id, ga.id, 2)
        yield* Effect.flatMap(ReservationRepository, (r) => r.end([reservation.id], "expired"))
        const theirs = yield* checkout(rival, event.id, ga.id, 2)
        yield* pay(theirs.intentId, PAID)
        expect((yield* settled(theirs.order.id)).status).toBe("confirmed")

        yield* pay(intentId, PAID)
        const done = yield* settled(order.id)
        expect(done.status).toBe("cancelled")
        expect(done.cancelReason).toBe("units_unavailable")
        const intent = yield* Effect.flatMap(PaymentGateway, (g) => g.retrieve(intentId))
        expect(intent.status).toBe("canceled")
        expect(intent.capturedMinor).toBe(0)
        yield* sumCheck([order.id, theirs.order.id], counts)
      })
    )

    it.effect("a webhook delivered twice has one effect", () =>
      Effect.gen(function* () {
        const { event, ga, customer, counts } = yield* sale(10)
        const { order, intentId } = yield* checkout(customer, event.id, ga.id, 1)
        const provider = yield* MemoryPaymentProvider
        yield* provider.confirm(intentId, PAID)
        const outcomes = yield* deliverWebhooks(2)
        expect(outcomes).toEqual(["processed", "duplicate"])
        expect((yield* settled(order.id)).status).toBe("confirmed")
        yield* deliverWebhooks(1) // the capture's own webhook
        const balance = yield* provider.balance
        expect(balance.captures).toBe(1)
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("refunds part of an order, then the rest: tickets voided, units back on sale, money returned", () =>
      Effect.gen(function* () {
        const { event, ga, customer, counts } = yield* sale(10)
        const orders = yield* Orders
        const { order, intentId } = yield* checkout(customer, event.id, ga.id, 3)
        yield* pay(intentId, PAID)
        const confirmed = yield* settled(order.id)
        const [first] = confirmed.tickets
        const partial = yield* orders.refund(customer, order.id, [first?.id ?? ("" as never)], "refund-1")
        expect(partial.amountMinor).toBe(1000)
        const afterPartial = yield* orderNow(order.id)
        expect(afterPartial.status).toBe("partially_refunded")
        expect(afterPartial.tickets.filter((t) => t.status === "valid")).toHaveLength(2)
        expect(yield* counts).toEqual({ held: 0, sold: 2 })
        yield* eventually(
          Effect.flatMap(MemoryPaymentProvider, (p) => p.balance),
          (b) => b.refundedMinor === 1000
        )
        // The same request again is the same refund, not a second one.
        const retried = yield* orders.refund(customer, order.id, [first?.id ?? ("" as never)], "refund-1")
        expect(retried.id).toBe(partial.id)

        const rest = yield* orders.refund(customer, order.id, undefined, "refund-2")
        expect(rest.amountMinor).toBe(2000)
        expect((yield* orderNow(order.id)).status).toBe("refunded")
        expect(yield* counts).toEqual({ held: 0, sold: 0 })
        yield* eventually(
          Effect.flatMap(MemoryPaymentProvider, (p) => p.balance),
          (b) => b.refundedMinor === 3000
        )
        // Retried once its money went back (the order refunded in full): the same refund, not a refusal.
        const late = yield* orders.refund(customer, order.id, undefined, "refund-2")
        expect(late.id).toBe(rest.id)
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("refuses a customer's refund inside the cutoff, but lets the organizer refund", () =>
      Effect.gen(function* () {
        const { event, ga, customer, organizer, counts } = yield* sale(10)
        const orders = yield* Orders
        const { order, intentId } = yield* checkout(customer, event.id, ga.id, 1)
        yield* pay(intentId, PAID)
        yield* settled(order.id)
        yield* TestClock.adjust(10 * DAY - 3_600_000) // one hour before the show
        const refused = yield* Effect.flip(orders.refund(customer, order.id, undefined, undefined))
        expect(refused).toMatchObject({ code: "refund_window_closed" })
        const refund = yield* orders.refund(organizer, order.id, undefined, undefined)
        expect(refund.amountMinor).toBe(1000)
        yield* eventually(
          Effect.flatMap(MemoryPaymentProvider, (p) => p.balance),
          (b) => b.refundedMinor === 1000
        )
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("cancelling the event refunds every paid order", () =>
      Effect.gen(function* () {
        const { event, ga, customer, rival, organizer, counts } = yield* sale(10)
        const orders = yield* Orders
        const mine = yield* checkout(customer, event.id, ga.id, 2)
        const theirs = yield* checkout(rival, event.id, ga.id, 3)
        yield* pay(mine.intentId, PAID)
        yield* pay(theirs.intentId, PAID)
        yield* settled(mine.order.id)
        yield* settled(theirs.order.id)
        const events = yield* EventRepository
        yield* events.update(new Event({ ...event, status: "cancelled", cancelledAt: new Date(0) }))
        yield* orders.refundCancelledEvent(organizer, event.id)
        yield* eventually(
          Effect.flatMap(MemoryPaymentProvider, (p) => p.balance),
          (b) => b.refundedMinor === 5000
        )
        expect((yield* orderNow(mine.order.id)).status).toBe("refunded")
        expect((yield* orderNow(theirs.order.id)).status).toBe("refunded")
        // Cancelling again refunds nothing twice.
        yield* orders.refundCancelledEvent(organizer, event.id)
        yield* sumCheck([mine.order.id, theirs.order.id], counts)
      })
    )

    it.effect("a paid checkout whose saga and webhook were lost is confirmed by the reconciliation", () =>
      Effect.gen(function* () {
        const { event, ga, customer, counts } = yield* sale(10)
        const orders = yield* OrderRepository
        const gateway = yield* PaymentGateway
        const provider = yield* MemoryPaymentProvider
        const { reservation } = yield* Effect.flatMap(Reservations, (r) =>
          r.hold(customer, { eventId: event.id, items: [{ ticketTypeId: ga.id, quantity: 2 }] }, crypto.randomUUID())
        )
        // What a lost saga leaves: the order and its intent, paid, the webhook gone (handled by nobody).
        const holdUntil = new Date((yield* Clock.currentTimeMillis) + 3_600_000)
        const opened = yield* orders.open({
          orderId: crypto.randomUUID() as OrderId,
          reservationId: reservation.id,
          customerId: customer.userId,
          holdUntil
        })
        if (opened._tag !== "Opened") return yield* Effect.die(new Error(`expected Opened, got ${opened._tag}`))
        const order = opened.order
        const intent = yield* openIntent(gateway, order.id, order.totalMinor, order.currency)
        yield* orders.attachPayment(order.id, {
          provider: "sandbox",
          intentId: intent.id,
          confirmUrl: intent.confirmUrl
        })
        yield* provider.confirm(intent.id, PAID)
        yield* Queue.clear(provider.deliveries)

        yield* reconcilePendingOrder(order.id)
        expect((yield* settled(order.id)).status).toBe("confirmed")
        expect((yield* provider.balance).captures).toBe(1)
        yield* sumCheck([order.id], counts)
      })
    )

    it.effect("checks a ticket in once: a second scan is refused with the first time, a forged code too", () =>
      Effect.gen(function* () {
        const { event, ga, customer, organizer } = yield* sale(10)
        const orders = yield* Orders
        const { order, intentId } = yield* checkout(customer, event.id, ga.id, 1)
        yield* pay(intentId, PAID)
        const [ticket] = (yield* settled(order.id)).tickets
        const { code } = yield* orders.ticket(customer, ticket?.id ?? ("" as never))
        const admitted = yield* orders.checkIn(organizer, event.id, code ?? "")
        expect(admitted.checkedInAt).not.toBeNull()
        const again = yield* Effect.flip(orders.checkIn(organizer, event.id, code ?? ""))
        expect(again).toMatchObject({ code: "already_checked_in" })
        const real = code ?? ""
        // The real code with its last two characters changed (to "BB" when they already were "AA").
        const forged = yield* Effect.flip(
          orders.checkIn(organizer, event.id, `${real.slice(0, -2)}${real.endsWith("AA") ? "BB" : "AA"}`)
        )
        expect(forged).toMatchObject({ code: "forged_code" })
        const notStaff = yield* Effect.flip(orders.checkIn(customer, event.id, code ?? ""))
        expect(notStaff._tag).toBe("Forbidden")
      })
    )
  })
})

import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { byVenuePosition } from "../catalog/VenueOrder.ts"
import type { EventId, OrderId, ReservationId, SeatId, TicketId, TicketTypeId, UserId } from "../shared/Ids.ts"
import type { Currency } from "../shared/Money.ts"
import { type OrderStatus, Ticket } from "./Order.ts"
import { type HeldSeat, type HeldUnits, linesOfHold, seatsOfLines, unitsPerType } from "./OrderLines.ts"
import { canBecome, nextStatuses } from "./OrderProgress.ts"
import {
  cancelledOrder,
  canReclaim,
  confirmedOrder,
  countedTicketsChange,
  decideCancel,
  decideCheckIn,
  decideClaim,
  decideConfirm,
  decideOpen,
  decideRefund,
  holdKeptUntil,
  mayRelease,
  openedOrder,
  ticketsOf
} from "./OrderTransitions.ts"

const uuid = fc.uuid()
const typeId = fc.constantFrom("1", "2", "3").map((d) => `0000000${d}-0000-4000-8000-000000000000` as TicketTypeId)
const status = fc.constantFrom<OrderStatus>(
  "pending_payment",
  "confirmed",
  "cancelled",
  "partially_refunded",
  "refunded"
)
const holdStatus = fc.constantFrom("active" as const, "released" as const, "expired" as const, "converted" as const)
const date = fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }).map((ms) => new Date(ms))

const units: fc.Arbitrary<Array<HeldUnits>> = fc.uniqueArray(
  fc.record({ ticketTypeId: typeId, quantity: fc.integer({ min: 1, max: 4 }), unitPriceMinor: fc.nat(10_000) }),
  { selector: (u) => u.ticketTypeId, maxLength: 3 }
)
const seats: fc.Arbitrary<Array<HeldSeat>> = fc.uniqueArray(
  fc.record({
    ticketTypeId: typeId,
    seatId: uuid.map((id) => id as SeatId),
    seatLabel: fc.constant("Stalls A-1"),
    unitPriceMinor: fc.nat(10_000),
    venue: fc.record({ section: fc.nat(3), row: fc.nat(5), seat: fc.nat(20) })
  }),
  { selector: (s) => s.seatId, maxLength: 6 }
)

const ORDER = "00000000-0000-4000-8000-00000000000a" as OrderId
const EVENT = "00000000-0000-4000-8000-00000000000e" as EventId
const CUSTOMER = "00000000-0000-4000-8000-00000000000c" as UserId

const anOrder = (u: ReadonlyArray<HeldUnits>, s: ReadonlyArray<HeldSeat>, at: Date) => {
  const lines = linesOfHold(u, s)
  return openedOrder({
    orderId: ORDER,
    customerId: CUSTOMER,
    hold: {
      id: "00000000-0000-4000-8000-00000000000b" as ReservationId,
      eventId: EVENT,
      totalMinor: lines.reduce((sum, l) => sum + l.unitPriceMinor, 0),
      currency: "EUR" as Currency
    },
    lines,
    now: at
  })
}

/** An order's tickets, each valid or voided, checked in or not. */
const ticketsArb = fc
  .uniqueArray(fc.record({ price: fc.nat(10_000), voided: fc.boolean(), checkedIn: fc.boolean(), id: uuid }), {
    minLength: 1,
    maxLength: 6,
    selector: (t) => t.id
  })
  .map((rows) =>
    rows.map(
      (r) =>
        new Ticket({
          id: r.id as TicketId,
          orderId: ORDER,
          eventId: EVENT,
          customerId: CUSTOMER,
          ticketTypeId: "00000001-0000-4000-8000-000000000000" as TicketTypeId,
          seatId: null,
          seatLabel: null,
          priceMinor: r.price,
          currency: "EUR" as Currency,
          status: r.voided ? "voided" : "valid",
          issuedAt: new Date(0),
          voidedAt: r.voided ? new Date(1) : null,
          checkedInAt: r.checkedIn ? new Date(2) : null
        })
    )
  )

describe("order lines", () => {
  it("one line per admission, positions 1…n, general admission first by type, then seats in venue order", () =>
    fc.assert(
      fc.property(units, seats, (u, s) => {
        const lines = linesOfHold(u, s)
        expect(lines.length).toBe(u.reduce((n, x) => n + x.quantity, 0) + s.length)
        expect(lines.map((l) => l.position)).toEqual(lines.map((_, i) => i + 1))
        const ga = lines.filter((l) => l.seatId === null)
        expect(lines.slice(0, ga.length)).toEqual(ga)
        expect(ga.map((l) => l.ticketTypeId)).toEqual(ga.map((l) => l.ticketTypeId).sort())
        const venue = new Map(s.map((x) => [x.seatId as string, x.venue]))
        const seated = seatsOfLines(lines).map((id) => venue.get(id) as HeldSeat["venue"])
        for (let i = 1; i < seated.length; i++)
          expect(
            byVenuePosition(seated[i - 1] as HeldSeat["venue"], seated[i] as HeldSeat["venue"])
          ).toBeLessThanOrEqual(0)
        const price = (xs: ReadonlyArray<{ unitPriceMinor: number }>) => xs.reduce((n, x) => n + x.unitPriceMinor, 0)
        expect(price(lines)).toBe(u.reduce((n, x) => n + x.quantity * x.unitPriceMinor, 0) + price(s))
      })
    ))

  it("units per type count every line once, in ticket type id order", () =>
    fc.assert(
      fc.property(units, seats, (u, s) => {
        const counts = unitsPerType(linesOfHold(u, s))
        expect(counts.reduce((n, [, c]) => n + c, 0)).toBe(linesOfHold(u, s).length)
        expect(counts.map(([t]) => t)).toEqual(counts.map(([t]) => t).sort())
      })
    ))
})

describe("order transitions", () => {
  it("open: only the customer's own live hold, and an existing order answers as such", () =>
    fc.assert(
      fc.property(holdStatus, date, date, fc.boolean(), fc.boolean(), (st, expiresAt, now, hasOrder, own) => {
        const hold = { customerId: own ? CUSTOMER : EVENT, status: st, expiresAt }
        const decision = decideOpen({ hold, customerId: CUSTOMER, hasOrder, now })
        if (!own) expect(decision).toBe("hold_not_active")
        else if (hasOrder) expect(decision).toBe("existing")
        else expect(decision).toBe(st === "active" && expiresAt > now ? "open" : "hold_not_active")
        expect(decideOpen({ hold: undefined, customerId: CUSTOMER, hasOrder, now })).toBe("hold_not_active")
      })
    ))

  it("open keeps the hold at least until holdUntil, never shorter", () =>
    fc.assert(
      fc.property(date, date, (expiresAt, holdUntil) => {
        const kept = holdKeptUntil(expiresAt, holdUntil)
        expect(kept.getTime()).toBe(Math.max(expiresAt.getTime(), holdUntil.getTime()))
      })
    ))

  it("every transition moves the order along an arrow of the state machine, or leaves it as it is", () =>
    fc.assert(
      fc.property(units, seats, date, ticketsArb, fc.boolean(), (u, s, at, tickets, includeCheckedIn) => {
        const opened = anOrder(u, s, at)
        expect(opened.status).toBe("pending_payment")
        expect(nextStatuses.pending_payment).toContain(confirmedOrder(opened, [], at).status)
        expect(nextStatuses.pending_payment).toContain(cancelledOrder(opened, "payment_declined", at).status)
        for (const from of Object.keys(nextStatuses) as Array<OrderStatus>) {
          const refund = decideRefund({ status: from, tickets, includeCheckedIn })
          if (refund._tag === "Refund") expect(canBecome(from, refund.statusAfter)).toBe(true)
          if (decideCancel(from) === "cancel") expect(canBecome(from, "cancelled")).toBe(true)
          if (decideConfirm({ status: from, unitsClaimed: true }) === "confirm")
            expect(canBecome(from, "confirmed")).toBe(true)
        }
      })
    ))

  it("claim: a pending order only, once; an unpublished event stops it; the live hold converts, an ended one reclaims", () =>
    fc.assert(
      fc.property(
        status,
        fc.boolean(),
        fc.constantFrom(undefined, "draft" as const, "published" as const, "cancelled" as const, "ended" as const),
        holdStatus,
        (st, unitsClaimed, eventStatus, hold) => {
          const decision = decideClaim({ status: st, unitsClaimed, eventStatus, holdStatus: hold })
          if (st !== "pending_payment") expect(decision).toBe("not_pending")
          else if (unitsClaimed) expect(decision).toBe("claimed")
          else if (eventStatus !== undefined && eventStatus !== "published") expect(decision).toBe("unavailable")
          else expect(decision).toBe(hold === "active" ? "convert_hold" : "reclaim")
          // Releasing undoes exactly a claim that a pending order holds.
          expect(mayRelease({ status: st, unitsClaimed })).toBe(st === "pending_payment" && unitsClaimed)
        }
      )
    ))

  it("reclaim is all or nothing: every seat still available and every general admission type with the units free", () =>
    fc.assert(
      fc.property(units, seats, fc.nat(5), fc.boolean(), fc.boolean(), (u, s, spare, short, seatTaken) => {
        const lines = linesOfHold(u, s)
        const perType = unitsPerType(lines)
        const needed = new Map(perType)
        const gaTypes = new Set(u.map((x) => x.ticketTypeId as string))
        const taken = seatTaken ? seatsOfLines(lines)[0] : undefined
        // A general admission type has one unit too few when `short`; seated types count their seats only.
        const typeOf = (id: string) => ({
          seated: !gaTypes.has(id),
          capacity: (needed.get(id) ?? 0) + spare,
          held: short ? 1 : 0,
          sold: spare
        })
        const expected = taken === undefined && !(short && gaTypes.size > 0)
        expect(canReclaim({ lines, unitsPerType: perType, seatIsAvailable: (id) => id !== taken, typeOf })).toBe(
          expected
        )
        // An unknown ticket type never has units.
        if (perType.length > 0)
          expect(
            canReclaim({ lines, unitsPerType: perType, seatIsAvailable: () => true, typeOf: () => undefined })
          ).toBe(false)
      })
    ))

  it("the customer's count: a converted hold stays counted, a reclaim counts again, a release or refund uncounts", () =>
    fc.assert(
      fc.property(fc.nat(20), (n) => {
        expect(countedTicketsChange("hold_converted", n)).toBe(0)
        expect(countedTicketsChange("reclaimed", n) + countedTicketsChange("released", n)).toBe(0)
        expect(countedTicketsChange("refunded", n)).toBe(-n)
      })
    ))

  it("confirm issues one valid ticket per line, in line order, at the confirmation time", () =>
    fc.assert(
      fc.property(units, seats, date, (u, s, at) => {
        const order = anOrder(u, s, at)
        const ids = order.lines.map(() => crypto.randomUUID() as TicketId)
        const tickets = ticketsOf(order, at, ids)
        expect(tickets.map((t) => [t.ticketTypeId, t.seatId, t.priceMinor])).toEqual(
          order.lines.map((l) => [l.ticketTypeId, l.seatId, l.unitPriceMinor])
        )
        expect(tickets.every((t) => t.status === "valid" && t.issuedAt === at && t.checkedInAt === null)).toBe(true)
        expect(decideConfirm({ status: "pending_payment", unitsClaimed: false })).toBe("no_claimed_units")
        expect(decideConfirm({ status: "confirmed", unitsClaimed: true })).toBe("as_is")
      })
    ))

  it("refund takes the valid tickets asked for, at their price; refunded once none is left", () =>
    fc.assert(
      fc.property(
        ticketsArb,
        fc.boolean(),
        fc.option(fc.nat(6), { nil: undefined }),
        (tickets, includeCheckedIn, pick) => {
          const refundable = (t: Ticket) => t.status === "valid" && (t.checkedInAt === null || includeCheckedIn)
          const asked = pick === undefined ? undefined : tickets.slice(0, pick % (tickets.length + 1)).map((t) => t.id)
          for (const st of ["pending_payment", "cancelled", "refunded", undefined] as const)
            expect(decideRefund({ status: st, tickets, ticketIds: asked, includeCheckedIn })).toEqual({
              _tag: "NotRefundable",
              code: "order_not_refundable"
            })
          const decision = decideRefund({ status: "confirmed", tickets, ticketIds: asked, includeCheckedIn })
          const wanted = asked === undefined ? tickets : tickets.filter((t) => asked.includes(t.id))
          if (asked !== undefined && wanted.some((t) => !refundable(t))) {
            expect(decision).toEqual({ _tag: "NotRefundable", code: "ticket_not_refundable" })
            return
          }
          const voiding = wanted.filter(refundable)
          if (voiding.length === 0) {
            expect(decision).toEqual({ _tag: "NotRefundable", code: "nothing_to_refund" })
            return
          }
          expect(decision._tag).toBe("Refund")
          if (decision._tag !== "Refund") return
          expect(decision.voiding).toEqual(voiding)
          expect(decision.amountMinor).toBe(voiding.reduce((n, t) => n + t.priceMinor, 0))
          const left = tickets.filter((t) => t.status === "valid" && !voiding.includes(t)).length
          expect(decision.statusAfter).toBe(left === 0 ? "refunded" : "partially_refunded")
          // A ticket of another order (or none) is never refundable.
          expect(
            decideRefund({ status: "confirmed", tickets, ticketIds: [crypto.randomUUID()], includeCheckedIn })
          ).toEqual({ _tag: "NotRefundable", code: "ticket_not_refundable" })
        }
      )
    ))

  it("refunds of an order that charged less than its tickets' prices (a voucher) give back what was paid, no more", () =>
    fc.assert(
      fc.property(ticketsArb, fc.nat(), (drawn, cut) => {
        const tickets = drawn.map((t) => ({ ...t, status: "valid" as const, checkedInAt: null }))
        const gross = tickets.reduce((n, t) => n + t.priceMinor, 0)
        const totalMinor = gross === 0 ? 0 : cut % gross
        let refundedMinor = 0
        let left: ReadonlyArray<Ticket> = tickets
        // One ticket at a time, as an organizer might refund them, until none is left.
        while (left.some((t) => t.status === "valid")) {
          const next = left.find((t) => t.status === "valid") as Ticket
          const decision = decideRefund({
            status: "confirmed",
            tickets: left,
            ticketIds: [next.id],
            includeCheckedIn: false,
            totalMinor,
            refundedMinor
          })
          expect(decision._tag).toBe("Refund")
          if (decision._tag !== "Refund") return
          expect(decision.amountMinor).toBeGreaterThanOrEqual(0)
          expect(decision.amountMinor).toBeLessThanOrEqual(next.priceMinor)
          refundedMinor += decision.amountMinor
          expect(refundedMinor).toBeLessThanOrEqual(totalMinor)
          left = left.map((t) => (t.id === next.id ? { ...t, status: "voided" as const } : t))
        }
        expect(refundedMinor).toBe(totalMinor)
      })
    ))

  it("check-in admits a valid ticket of the event once", () =>
    fc.assert(
      fc.property(ticketsArb, fc.boolean(), (tickets, sameEvent) => {
        const ticket = tickets[0] as Ticket
        const decision = decideCheckIn(ticket, sameEvent ? EVENT : ORDER)
        if (!sameEvent) expect(decision).toBe("other_event")
        else if (ticket.status === "voided") expect(decision).toBe("voided")
        else expect(decision).toBe(ticket.checkedInAt === null ? "admit" : "already_admitted")
        expect(decideCheckIn(undefined, EVENT)).toBe("not_found")
      })
    ))
})

import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { Event, Venue } from "../catalog/Event.ts"
import { TicketType } from "../catalog/TicketType.ts"
import { EventId, SeatId, SectionId, TicketTypeId, UserId } from "../shared/Ids.ts"
import { Currency } from "../shared/Money.ts"
import { EventNotOnSale, type HoldRefused, InvalidHold, LimitExceeded, SalesClosed } from "./errors.ts"
import type { HoldRequest } from "./HoldRequest.ts"
import { checkOnSale, checkSeatsPerType, planHold } from "./HoldRules.ts"

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: a fixed clock, never the wall clock.
// ---------------------------------------------------------------------------------------------------------------

const MINUTE = 60 * 1000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const plus = (d: Date, ms: number) => new Date(d.getTime() + ms)

const EVENT_ID = EventId.make("11111111-1111-4111-8111-111111111111")
const ORGANIZER_ID = UserId.make("22222222-2222-4222-8222-222222222222")
const GA_ID = TicketTypeId.make("33333333-3333-4333-8333-333333333333")
const VIP_ID = TicketTypeId.make("44444444-4444-4444-8444-444444444444")
const STRANGER_ID = TicketTypeId.make("55555555-5555-4555-8555-555555555555")
const SEATED_ID = TicketTypeId.make("66666666-6666-4666-8666-666666666666")
const BALCONY_ID = TicketTypeId.make("77777777-7777-4777-8777-777777777777")
const SECTION_ID = SectionId.make("88888888-8888-4888-8888-888888888888")
const seat = (n: number) => SeatId.make(`99999999-9999-4999-8999-${String(n).padStart(12, "0")}`)

const EUR = Currency.make("EUR")
const USD = Currency.make("USD")

const venue = new Venue({ name: "Olympia", address: "28 boulevard des Capucines, Paris", timezone: "Europe/Paris" })

/** A concert on 1 March 2027: sales open on 10 January and close an hour before the doors. */
const startsAt = new Date("2027-03-01T19:00:00Z")
const endsAt = new Date("2027-03-01T22:00:00Z")
const salesStartAt = new Date("2027-01-10T09:00:00Z")
const salesEndAt = new Date("2027-03-01T18:00:00Z")
/** Inside the sales window. */
const now = new Date("2027-02-01T12:00:00Z")

const makeEvent = (overrides: Partial<ConstructorParameters<typeof Event>[0]> = {}): Event =>
  new Event({
    id: EVENT_ID,
    organizerId: ORGANIZER_ID,
    title: "Spring concert",
    description: null,
    venue,
    startsAt,
    endsAt,
    salesStartAt,
    salesEndAt,
    status: "published",
    version: 2,
    createdAt: new Date("2026-12-01T00:00:00Z"),
    updatedAt: new Date("2026-12-02T00:00:00Z"),
    publishedAt: new Date("2026-12-02T00:00:00Z"),
    cancelledAt: null,
    ...overrides
  })

const published = makeEvent()

const makeTicketType = (overrides: Partial<ConstructorParameters<typeof TicketType>[0]> = {}): TicketType =>
  new TicketType({
    id: GA_ID,
    eventId: EVENT_ID,
    name: "General admission",
    priceMinor: 4500,
    currency: EUR,
    capacity: 500,
    maxPerOrder: 6,
    seated: false,
    held: 0,
    sold: 0,
    createdAt: new Date("2026-12-01T00:00:00Z"),
    ...overrides
  })

const ga = makeTicketType()
const vip = makeTicketType({ id: VIP_ID, name: "VIP", priceMinor: 12_000, maxPerOrder: 2 })
const stalls = makeTicketType({ id: SEATED_ID, name: "Stalls", priceMinor: 8000, maxPerOrder: 4, seated: true })
const balcony = makeTicketType({ id: BALCONY_ID, name: "Balcony", priceMinor: 3000, maxPerOrder: 3, seated: true })
const types = [ga, vip, stalls, balcony]

const CUSTOMER_LIMIT = 8

// Requests, as the schema hands them over.
const items = (...lines: ReadonlyArray<readonly [TicketTypeId, number]>): HoldRequest => ({
  eventId: EVENT_ID,
  items: lines.map(([ticketTypeId, quantity]) => ({ ticketTypeId, quantity }))
})
const seats = (...numbers: ReadonlyArray<number>): HoldRequest => ({ eventId: EVENT_ID, seats: numbers.map(seat) })
const bestAvailable = (
  ticketTypeId: TicketTypeId,
  quantity: number,
  extra: { readonly sectionId?: SectionId; readonly allowSeparated?: boolean } = {}
): HoldRequest => ({ eventId: EVENT_ID, bestAvailable: { ticketTypeId, quantity, ...extra } })

const plan = (request: HoldRequest, options: { readonly event?: Event; readonly at?: Date } = {}) =>
  planHold(options.event ?? published, types, request, CUSTOMER_LIMIT, options.at ?? now)

// ---------------------------------------------------------------------------------------------------------------
// Helpers: the accepted value, or the refusal.
// ---------------------------------------------------------------------------------------------------------------

const accepted = <A, E>(result: Result.Result<A, E>): A =>
  Result.getOrThrowWith(result, (e) => new Error(`expected Success, got Failure: ${JSON.stringify(e)}`))

const refused = <A, E>(result: Result.Result<A, E>): E =>
  Result.match(result, {
    onFailure: (e) => e,
    onSuccess: (a) => {
      throw new Error(`expected Failure, got Success: ${JSON.stringify(a)}`)
    }
  })

/** The tag and code of a refusal, "ok" when accepted. */
const outcome = <A>(result: Result.Result<A, HoldRefused>): string =>
  Result.match(result, { onFailure: (e) => `${e._tag}:${e.code}`, onSuccess: () => "ok" })

const NOT_ON_SALE = "EventNotOnSale:event_not_on_sale"
const SALES_CLOSED = "SalesClosed:sales_closed"
const INVALID = "InvalidHold:invalid_hold"
const MAX_PER_ORDER = "LimitExceeded:max_per_order_exceeded"
const CUSTOMER_LIMIT_EXCEEDED = "LimitExceeded:customer_limit_exceeded"

// ---------------------------------------------------------------------------------------------------------------

describe("HoldRules", () => {
  describe("checkOnSale", () => {
    it("accepts a published event inside its sales window", () => {
      expect(outcome(checkOnSale(published, now))).toBe("ok")
    })

    it("refuses an event that is not published with EventNotOnSale", () => {
      for (const status of ["draft", "cancelled", "ended"] as const) {
        const error = refused(checkOnSale(makeEvent({ status }), now))
        expect(error).toBeInstanceOf(EventNotOnSale)
        expect(error).toMatchObject({ _tag: "EventNotOnSale", code: "event_not_on_sale" })
      }
    })

    it("refuses a published event whose end has passed, or is exactly now", () => {
      const open = makeEvent({ salesStartAt: null, salesEndAt: null })
      expect(outcome(checkOnSale(open, plus(endsAt, DAY)))).toBe(NOT_ON_SALE)
      expect(outcome(checkOnSale(open, endsAt))).toBe(NOT_ON_SALE)
      expect(outcome(checkOnSale(open, plus(endsAt, -1)))).toBe("ok")
    })

    it("takes the start as the end of an event without endsAt", () => {
      const open = makeEvent({ endsAt: null, salesStartAt: null, salesEndAt: null })
      expect(outcome(checkOnSale(open, startsAt))).toBe(NOT_ON_SALE)
      expect(outcome(checkOnSale(open, plus(startsAt, -1)))).toBe("ok")
    })

    it("refuses before salesStartAt with SalesClosed, saying when sales open", () => {
      const error = refused(checkOnSale(published, plus(salesStartAt, -1)))
      expect(error).toBeInstanceOf(SalesClosed)
      expect(error).toMatchObject({ _tag: "SalesClosed", code: "sales_closed" })
      expect(error.message).toContain(salesStartAt.toISOString())
      expect(outcome(checkOnSale(published, new Date("2026-12-24T00:00:00Z")))).toBe(SALES_CLOSED)
    })

    it("opens exactly at salesStartAt", () => {
      expect(outcome(checkOnSale(published, salesStartAt))).toBe("ok")
    })

    it("is open at any time before the event's end when there is no salesStartAt", () => {
      const open = makeEvent({ salesStartAt: null })
      expect(outcome(checkOnSale(open, new Date("2026-12-03T00:00:00Z")))).toBe("ok")
    })

    it("refuses at or after salesEndAt with SalesClosed, accepts a millisecond before", () => {
      expect(outcome(checkOnSale(published, salesEndAt))).toBe(SALES_CLOSED)
      expect(outcome(checkOnSale(published, plus(salesEndAt, 30 * MINUTE)))).toBe(SALES_CLOSED)
      expect(outcome(checkOnSale(published, plus(salesEndAt, -1)))).toBe("ok")
    })

    it("closes sales at the event's end when there is no salesEndAt", () => {
      const noSalesEnd = makeEvent({ salesEndAt: null })
      // Past salesEndAt's usual place, still open: the window runs to the end of the event.
      expect(outcome(checkOnSale(noSalesEnd, plus(salesEndAt, 30 * MINUTE)))).toBe("ok")
      expect(outcome(checkOnSale(noSalesEnd, plus(endsAt, -1)))).toBe("ok")
      // At the end the event has ended, which is reported before the closed window.
      expect(outcome(checkOnSale(noSalesEnd, endsAt))).toBe(NOT_ON_SALE)
      expect(outcome(checkOnSale(noSalesEnd, plus(endsAt, HOUR)))).toBe(NOT_ON_SALE)
    })

    it("closes sales at the start when there is neither salesEndAt nor endsAt", () => {
      const noEnd = makeEvent({ endsAt: null, salesEndAt: null })
      expect(outcome(checkOnSale(noEnd, plus(startsAt, -1)))).toBe("ok")
      expect(outcome(checkOnSale(noEnd, startsAt))).toBe(NOT_ON_SALE)
    })

    it("reports a draft as not on sale even outside the sales window", () => {
      expect(outcome(checkOnSale(makeEvent({ status: "draft" }), plus(salesStartAt, -DAY)))).toBe(NOT_ON_SALE)
    })
  })

  describe("planHold", () => {
    describe("on sale", () => {
      it("refuses every kind of request for an event that is not on sale", () => {
        const draft = makeEvent({ status: "draft" })
        expect(outcome(plan(items([GA_ID, 1]), { event: draft }))).toBe(NOT_ON_SALE)
        expect(outcome(plan(seats(1), { event: draft }))).toBe(NOT_ON_SALE)
        expect(outcome(plan(bestAvailable(SEATED_ID, 1), { event: draft }))).toBe(NOT_ON_SALE)
        expect(outcome(plan(items([GA_ID, 1]), { at: plus(endsAt, 1) }))).toBe(NOT_ON_SALE)
      })

      it("refuses every kind of request outside the sales window", () => {
        const early = plus(salesStartAt, -1)
        expect(outcome(plan(items([GA_ID, 1]), { at: early }))).toBe(SALES_CLOSED)
        expect(outcome(plan(seats(1), { at: early }))).toBe(SALES_CLOSED)
        expect(outcome(plan(bestAvailable(SEATED_ID, 1), { at: salesEndAt }))).toBe(SALES_CLOSED)
      })

      it("checks the event before the request", () => {
        expect(outcome(plan(items([STRANGER_ID, 1]), { event: makeEvent({ status: "cancelled" }) }))).toBe(NOT_ON_SALE)
        expect(outcome(plan(items([GA_ID, 99]), { at: salesEndAt }))).toBe(SALES_CLOSED)
      })
    })

    describe("general admission", () => {
      it("refuses a ticket type that does not belong to the event", () => {
        const error = refused(plan(items([STRANGER_ID, 1])))
        expect(error).toBeInstanceOf(InvalidHold)
        expect(error).toMatchObject({ _tag: "InvalidHold", code: "invalid_hold" })
        expect(error.message).toContain(STRANGER_ID)
      })

      it("refuses an unknown ticket type among known ones", () => {
        expect(outcome(plan(items([GA_ID, 1], [STRANGER_ID, 1])))).toBe(INVALID)
      })

      it("refuses a seated ticket type", () => {
        const error = refused(plan(items([SEATED_ID, 1])))
        expect(error).toMatchObject({ _tag: "InvalidHold", code: "invalid_hold" })
        expect(error.message).toContain("Stalls")
      })

      it("refuses a ticket type that appears twice, even when the sum fits", () => {
        expect(outcome(plan(items([GA_ID, 1], [GA_ID, 1])))).toBe(INVALID)
        expect(outcome(plan(items([GA_ID, 1], [VIP_ID, 1], [GA_ID, 2])))).toBe(INVALID)
      })

      it("refuses a quantity over the type's maxPerOrder, with the limit", () => {
        const error = refused(plan(items([VIP_ID, 3])))
        expect(error).toBeInstanceOf(LimitExceeded)
        expect(error).toMatchObject({ _tag: "LimitExceeded", code: "max_per_order_exceeded", limit: 2 })
        expect(error.message).toContain("VIP")
      })

      it("accepts a quantity equal to maxPerOrder", () => {
        expect(outcome(plan(items([VIP_ID, 2])))).toBe("ok")
        expect(outcome(plan(items([GA_ID, 6])))).toBe("ok")
      })

      it("refuses a total over the customer limit, with the limit", () => {
        // 6 + 2, each within its maxPerOrder, is 8 tickets: over a limit of 7.
        const error = refused(planHold(published, types, items([GA_ID, 6], [VIP_ID, 2]), 7, now))
        expect(error).toMatchObject({ _tag: "LimitExceeded", code: "customer_limit_exceeded", limit: 7 })
        expect(error.message).toContain("7")
        expect(outcome(planHold(published, types, items([GA_ID, 5], [VIP_ID, 1]), 5, now))).toBe(
          CUSTOMER_LIMIT_EXCEEDED
        )
      })

      it("accepts a total equal to the customer limit", () => {
        expect(outcome(planHold(published, types, items([GA_ID, 6], [VIP_ID, 2]), 8, now))).toBe("ok")
      })

      it("reports maxPerOrder before the customer limit", () => {
        expect(outcome(planHold(published, types, items([GA_ID, 7]), 5, now))).toBe(MAX_PER_ORDER)
      })

      it("prices the order: totalMinor is the sum of quantity × price, tickets the sum of quantities", () => {
        const planned = accepted(plan(items([GA_ID, 3], [VIP_ID, 2])))
        expect(planned).toEqual({
          _tag: "GeneralAdmission",
          items: [
            { ticketTypeId: GA_ID, quantity: 3 },
            { ticketTypeId: VIP_ID, quantity: 2 }
          ],
          tickets: 5,
          totalMinor: 3 * 4500 + 2 * 12_000,
          currency: EUR
        })
      })

      it("prices a single line and a free ticket type", () => {
        const free = makeTicketType({ id: VIP_ID, name: "Guest list", priceMinor: 0 })
        const planned = accepted(planHold(published, [ga, free], items([VIP_ID, 4]), CUSTOMER_LIMIT, now))
        expect(planned).toMatchObject({ _tag: "GeneralAdmission", tickets: 4, totalMinor: 0 })
        const one = accepted(plan(items([GA_ID, 1])))
        expect(one).toMatchObject({ tickets: 1, totalMinor: 4500 })
      })

      it("uses the currency of the event's ticket types", () => {
        const usd = [makeTicketType({ currency: USD }), makeTicketType({ id: VIP_ID, name: "VIP", currency: USD })]
        const planned = accepted(planHold(published, usd, items([VIP_ID, 1]), CUSTOMER_LIMIT, now))
        expect(planned).toMatchObject({ _tag: "GeneralAdmission", currency: USD })
      })
    })

    describe("chosen seats", () => {
      it("passes the seats through", () => {
        expect(accepted(plan(seats(1, 2, 3)))).toEqual({ _tag: "ChosenSeats", seatIds: [seat(1), seat(2), seat(3)] })
      })

      it("refuses a seat that appears twice", () => {
        const error = refused(plan(seats(1, 2, 1)))
        expect(error).toMatchObject({ _tag: "InvalidHold", code: "invalid_hold" })
      })

      it("refuses more seats than the customer limit, accepts exactly the limit", () => {
        const nine = refused(plan(seats(1, 2, 3, 4, 5, 6, 7, 8, 9)))
        expect(nine).toMatchObject({ _tag: "LimitExceeded", code: "customer_limit_exceeded", limit: CUSTOMER_LIMIT })
        expect(outcome(plan(seats(1, 2, 3, 4, 5, 6, 7, 8)))).toBe("ok")
      })

      it("checks duplicates before the customer limit", () => {
        expect(outcome(plan(seats(1, 1, 2, 3, 4, 5, 6, 7, 8)))).toBe(INVALID)
      })
    })

    describe("best available", () => {
      it("plans a seated ticket type, with allowSeparated false by default", () => {
        expect(accepted(plan(bestAvailable(SEATED_ID, 3)))).toEqual({
          _tag: "BestAvailable",
          ticketType: stalls,
          quantity: 3,
          sectionId: undefined,
          allowSeparated: false
        })
      })

      it("passes allowSeparated and sectionId through", () => {
        const planned = accepted(plan(bestAvailable(SEATED_ID, 2, { sectionId: SECTION_ID, allowSeparated: true })))
        expect(planned).toMatchObject({ _tag: "BestAvailable", sectionId: SECTION_ID, allowSeparated: true })
        const explicit = accepted(plan(bestAvailable(SEATED_ID, 2, { allowSeparated: false })))
        expect(explicit).toMatchObject({ allowSeparated: false })
      })

      it("refuses a ticket type that does not belong to the event", () => {
        expect(outcome(plan(bestAvailable(STRANGER_ID, 1)))).toBe(INVALID)
      })

      it("refuses a general admission ticket type", () => {
        const error = refused(plan(bestAvailable(GA_ID, 1)))
        expect(error).toMatchObject({ _tag: "InvalidHold", code: "invalid_hold" })
        expect(error.message).toContain("General admission")
      })

      it("refuses a quantity over the type's maxPerOrder, accepts exactly maxPerOrder", () => {
        expect(refused(plan(bestAvailable(SEATED_ID, 5)))).toMatchObject({
          _tag: "LimitExceeded",
          code: "max_per_order_exceeded",
          limit: 4
        })
        expect(outcome(plan(bestAvailable(SEATED_ID, 4)))).toBe("ok")
      })

      it("refuses a quantity over the customer limit", () => {
        expect(refused(planHold(published, types, bestAvailable(SEATED_ID, 4), 3, now))).toMatchObject({
          _tag: "LimitExceeded",
          code: "customer_limit_exceeded",
          limit: 3
        })
        expect(outcome(planHold(published, types, bestAvailable(SEATED_ID, 3), 3, now))).toBe("ok")
      })
    })
  })

  describe("checkSeatsPerType", () => {
    const seatTypes = (...counts: ReadonlyArray<readonly [TicketTypeId, number]>) =>
      counts.flatMap(([id, n]) => Array.from({ length: n }, () => id as string))

    it("accepts each type's share up to its maxPerOrder", () => {
      expect(outcome(checkSeatsPerType(types, seatTypes([SEATED_ID, 1], [BALCONY_ID, 3])))).toBe("ok")
      expect(outcome(checkSeatsPerType(types, seatTypes([SEATED_ID, 4])))).toBe("ok")
      expect(outcome(checkSeatsPerType(types, []))).toBe("ok")
    })

    it("refuses a type whose share is over its maxPerOrder, with that type's limit", () => {
      const error = refused(checkSeatsPerType(types, seatTypes([SEATED_ID, 2], [BALCONY_ID, 4])))
      expect(error).toMatchObject({ _tag: "LimitExceeded", code: "max_per_order_exceeded", limit: 3 })
      expect(error.message).toContain("Balcony")
      expect(refused(checkSeatsPerType(types, seatTypes([SEATED_ID, 5])))).toMatchObject({
        code: "max_per_order_exceeded",
        limit: 4
      })
    })

    it("counts each type on its own, not the total", () => {
      // Seven seats in all: more than either limit, but each share fits.
      expect(outcome(checkSeatsPerType(types, seatTypes([SEATED_ID, 4], [BALCONY_ID, 3])))).toBe("ok")
    })

    it("counts a type's seats wherever they appear in the list", () => {
      const mixed = [BALCONY_ID, SEATED_ID, BALCONY_ID, SEATED_ID, BALCONY_ID, BALCONY_ID]
      expect(outcome(checkSeatsPerType(types, mixed))).toBe(MAX_PER_ORDER)
    })
  })
})

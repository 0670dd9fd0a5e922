import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import { EventId, TicketTypeId, UserId } from "../shared/Ids.ts"
import { Currency } from "../shared/Money.ts"
import { Event, Venue } from "./Event.ts"
import {
  applyEdit,
  cancel,
  checkCapacityChange,
  checkNewTicketType,
  createDraft,
  type DraftInput,
  endOf,
  isPubliclyVisible,
  planSeating,
  publish,
  statusAt
} from "./EventRules.ts"
import type { CapacityBelowCommitted, EventRuleViolation } from "./errors.ts"
import type { SeatingPlan } from "./Seating.ts"
import { TicketType } from "./TicketType.ts"

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: a fixed clock, never the wall clock.
// ---------------------------------------------------------------------------------------------------------------

const MINUTE = 60 * 1000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const now = new Date("2027-01-01T00:00:00Z")
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms)

const EVENT_ID = EventId.make("11111111-1111-4111-8111-111111111111")
const ORGANIZER_ID = UserId.make("22222222-2222-4222-8222-222222222222")
const GA_ID = TicketTypeId.make("33333333-3333-4333-8333-333333333333")
const VIP_ID = TicketTypeId.make("44444444-4444-4444-8444-444444444444")
const STRANGER_ID = TicketTypeId.make("55555555-5555-4555-8555-555555555555")

const EUR = Currency.make("EUR")
const USD = Currency.make("USD")

const venue = new Venue({ name: "Olympia", address: "28 boulevard des Capucines, Paris", timezone: "Europe/Paris" })

/** A concert two months ahead: sales open in ten days and close an hour before the doors. */
const startsAt = new Date("2027-03-01T19:00:00Z")
const endsAt = new Date("2027-03-01T22:00:00Z")
const draftInput: DraftInput = {
  title: "Spring concert",
  description: "An evening of music",
  venue,
  startsAt,
  endsAt,
  salesStartAt: new Date("2027-01-10T09:00:00Z"),
  salesEndAt: new Date("2027-03-01T18:00:00Z")
}
const ids = { id: EVENT_ID, organizerId: ORGANIZER_ID }

const makeEvent = (overrides: Partial<ConstructorParameters<typeof Event>[0]> = {}): Event =>
  new Event({
    ...draftInput,
    id: EVENT_ID,
    organizerId: ORGANIZER_ID,
    status: "draft",
    version: 1,
    createdAt: plus(now, -DAY),
    updatedAt: plus(now, -DAY),
    publishedAt: null,
    cancelledAt: null,
    ...overrides
  })

const draft = makeEvent()
const published = makeEvent({ status: "published", publishedAt: plus(now, -HOUR) })
const cancelled = makeEvent({ status: "cancelled", cancelledAt: plus(now, -HOUR) })
/** Stored as published, but its end has passed at `now`. */
const pastPublished = makeEvent({
  status: "published",
  startsAt: new Date("2026-12-01T19:00:00Z"),
  endsAt: new Date("2026-12-01T22:00:00Z"),
  salesStartAt: null,
  salesEndAt: null,
  publishedAt: new Date("2026-11-01T00:00:00Z")
})

const makeTicketType = (overrides: Partial<ConstructorParameters<typeof TicketType>[0]> = {}): TicketType =>
  new TicketType({
    id: GA_ID,
    eventId: EVENT_ID,
    name: "General admission",
    priceMinor: 4500,
    currency: EUR,
    capacity: 100,
    maxPerOrder: 10,
    seated: false,
    held: 0,
    sold: 0,
    createdAt: plus(now, -DAY),
    ...overrides
  })

// ---------------------------------------------------------------------------------------------------------------
// Helpers: the rule a result was refused under ("ok" when it was accepted), and the accepted value.
// ---------------------------------------------------------------------------------------------------------------

const ruleOf = <A>(result: Result.Result<A, EventRuleViolation | CapacityBelowCommitted>): string =>
  Result.match(result, {
    onFailure: (e) => (e._tag === "EventRuleViolation" ? e.rule : e._tag),
    onSuccess: () => "ok"
  })

const accepted = <A, E>(result: Result.Result<A, E>): A =>
  Result.getOrThrowWith(result, (e) => new Error(`expected Success, got Failure: ${JSON.stringify(e)}`))

const refused = <A, E>(result: Result.Result<A, E>): E =>
  Result.match(result, {
    onFailure: (e) => e,
    onSuccess: (a) => {
      throw new Error(`expected Failure, got Success: ${JSON.stringify(a)}`)
    }
  })

// ---------------------------------------------------------------------------------------------------------------

describe("EventRules", () => {
  describe("endOf", () => {
    it("is endsAt when there is one, startsAt otherwise", () => {
      expect(endOf(draftInput)).toEqual(endsAt)
      expect(endOf({ ...draftInput, endsAt: null })).toEqual(startsAt)
    })
  })

  describe("createDraft", () => {
    it("creates a draft at version 1, stamped with now and the given ids", () => {
      const event = accepted(createDraft(draftInput, ids, now))
      expect(event).toBeInstanceOf(Event)
      expect(event.status).toBe("draft")
      expect(event.version).toBe(1)
      expect(event.id).toBe(EVENT_ID)
      expect(event.organizerId).toBe(ORGANIZER_ID)
      expect(event.createdAt).toEqual(now)
      expect(event.updatedAt).toEqual(now)
      expect(event.publishedAt).toBeNull()
      expect(event.cancelledAt).toBeNull()
      expect(event.title).toBe(draftInput.title)
      expect(event.description).toBe(draftInput.description)
      expect(event.venue).toEqual(venue)
      expect(event.startsAt).toEqual(startsAt)
      expect(event.endsAt).toEqual(endsAt)
      expect(event.salesStartAt).toEqual(draftInput.salesStartAt)
      expect(event.salesEndAt).toEqual(draftInput.salesEndAt)
    })

    it("accepts an open-ended schedule (no end, no sales window)", () => {
      const event = accepted(
        createDraft({ ...draftInput, endsAt: null, salesStartAt: null, salesEndAt: null }, ids, now)
      )
      expect(event.endsAt).toBeNull()
      expect(event.salesStartAt).toBeNull()
      expect(event.salesEndAt).toBeNull()
    })

    it("refuses an event that starts in the past", () => {
      const input = { ...draftInput, startsAt: plus(now, -DAY), endsAt: null, salesStartAt: null, salesEndAt: null }
      expect(ruleOf(createDraft(input, ids, now))).toBe("starts_in_past")
    })

    it("refuses an event that starts exactly now, accepts one a millisecond later", () => {
      const base = { ...draftInput, endsAt: null, salesStartAt: null, salesEndAt: null }
      expect(ruleOf(createDraft({ ...base, startsAt: now }, ids, now))).toBe("starts_in_past")
      expect(ruleOf(createDraft({ ...base, startsAt: plus(now, 1) }, ids, now))).toBe("ok")
    })

    it("refuses an end before the start", () => {
      const input = { ...draftInput, endsAt: plus(startsAt, -HOUR), salesStartAt: null, salesEndAt: null }
      expect(ruleOf(createDraft(input, ids, now))).toBe("ends_before_start")
    })

    it("refuses an end equal to the start", () => {
      const input = { ...draftInput, endsAt: startsAt, salesStartAt: null, salesEndAt: null }
      expect(ruleOf(createDraft(input, ids, now))).toBe("ends_before_start")
    })

    it("refuses an event longer than 366 days, accepts exactly 366 days", () => {
      const base = { ...draftInput, salesStartAt: null, salesEndAt: null }
      expect(ruleOf(createDraft({ ...base, endsAt: plus(startsAt, 366 * DAY + 1) }, ids, now))).toBe("too_long")
      expect(ruleOf(createDraft({ ...base, endsAt: plus(startsAt, 366 * DAY) }, ids, now))).toBe("ok")
    })

    it("refuses an empty sales window (start equal to end)", () => {
      const at = new Date("2027-02-01T00:00:00Z")
      expect(ruleOf(createDraft({ ...draftInput, salesStartAt: at, salesEndAt: at }, ids, now))).toBe(
        "sales_window_empty"
      )
    })

    it("refuses a sales window that closes before it opens", () => {
      const input = {
        ...draftInput,
        salesStartAt: new Date("2027-02-01T00:00:00Z"),
        salesEndAt: new Date("2027-01-15T00:00:00Z")
      }
      expect(ruleOf(createDraft(input, ids, now))).toBe("sales_window_empty")
    })

    it("refuses sales that open only once the event is over", () => {
      const input = { ...draftInput, salesStartAt: endsAt, salesEndAt: null }
      expect(ruleOf(createDraft(input, ids, now))).toBe("sales_start_after_event")
    })

    it("refuses sales that close after the event ends, accepts them closing exactly at the end", () => {
      expect(ruleOf(createDraft({ ...draftInput, salesEndAt: plus(endsAt, 1) }, ids, now))).toBe(
        "sales_end_after_event"
      )
      expect(ruleOf(createDraft({ ...draftInput, salesEndAt: endsAt }, ids, now))).toBe("ok")
    })

    it("measures the end of sales against startsAt when there is no endsAt", () => {
      const input = { ...draftInput, endsAt: null, salesStartAt: null, salesEndAt: plus(startsAt, MINUTE) }
      expect(ruleOf(createDraft(input, ids, now))).toBe("sales_end_after_event")
    })

    it("refuses an event more than ten years ahead, accepts one just under ten years ahead", () => {
      const base = { ...draftInput, endsAt: null, salesStartAt: null, salesEndAt: null }
      // The limit is ten calendar years from now: 2037-01-01T00:00:00Z.
      const limit = new Date("2037-01-01T00:00:00Z")
      expect(ruleOf(createDraft({ ...base, startsAt: plus(limit, 1) }, ids, now))).toBe("starts_too_far")
      expect(ruleOf(createDraft({ ...base, startsAt: new Date("2040-01-01T00:00:00Z") }, ids, now))).toBe(
        "starts_too_far"
      )
      expect(ruleOf(createDraft({ ...base, startsAt: limit }, ids, now))).toBe("ok")
      expect(ruleOf(createDraft({ ...base, startsAt: new Date("2037-01-05T00:00:00Z") }, ids, now))).toBe(
        "starts_too_far"
      )
    })
  })

  describe("applyEdit", () => {
    it("changes only the fields that are defined in the patch", () => {
      const edited = accepted(applyEdit(draft, { title: "Summer concert", description: undefined }, now))
      expect(edited.title).toBe("Summer concert")
      expect(edited.description).toBe(draft.description)
      expect(edited.venue).toEqual(draft.venue)
      expect(edited.startsAt).toEqual(draft.startsAt)
      expect(edited.endsAt).toEqual(draft.endsAt)
      expect(edited.salesStartAt).toEqual(draft.salesStartAt)
      expect(edited.salesEndAt).toEqual(draft.salesEndAt)
    })

    it("keeps identity, status and history, and stamps updatedAt", () => {
      const edited = accepted(applyEdit(published, { title: "Renamed" }, now))
      expect(edited.id).toBe(published.id)
      expect(edited.organizerId).toBe(published.organizerId)
      expect(edited.status).toBe("published")
      expect(edited.version).toBe(published.version)
      expect(edited.createdAt).toEqual(published.createdAt)
      expect(edited.publishedAt).toEqual(published.publishedAt)
      expect(edited.updatedAt).toEqual(now)
    })

    it("an empty patch changes nothing but updatedAt", () => {
      const edited = accepted(applyEdit(draft, {}, now))
      expect({ ...edited, updatedAt: null }).toEqual({ ...draft, updatedAt: null })
      expect(edited.updatedAt).toEqual(now)
    })

    it("null clears endsAt (and the schedule is then checked against startsAt)", () => {
      const noSalesEnd = makeEvent({ salesEndAt: null })
      const edited = accepted(applyEdit(noSalesEnd, { endsAt: null }, now))
      expect(edited.endsAt).toBeNull()
      // With the end cleared, sales closing after startsAt no longer fit.
      expect(ruleOf(applyEdit(makeEvent({ salesEndAt: plus(startsAt, MINUTE) }), { endsAt: null }, now))).toBe(
        "sales_end_after_event"
      )
    })

    it("null clears description", () => {
      expect(accepted(applyEdit(draft, { description: null }, now)).description).toBeNull()
    })

    it("moves the schedule when the merged schedule still holds", () => {
      const later = { startsAt: plus(startsAt, DAY), endsAt: plus(endsAt, DAY) }
      const edited = accepted(applyEdit(draft, later, now))
      expect(edited.startsAt).toEqual(later.startsAt)
      expect(edited.endsAt).toEqual(later.endsAt)
    })

    it("checks the merged schedule, not the patch alone", () => {
      // endsAt alone is fine, but it falls before the unchanged startsAt.
      expect(ruleOf(applyEdit(draft, { endsAt: plus(startsAt, -MINUTE) }, now))).toBe("ends_before_start")
      // Moving the start past the unchanged end.
      expect(ruleOf(applyEdit(draft, { startsAt: plus(endsAt, HOUR) }, now))).toBe("ends_before_start")
    })

    it("refuses to edit a cancelled event", () => {
      expect(ruleOf(applyEdit(cancelled, { title: "Back on" }, now))).toBe("event_closed")
    })

    it("refuses to edit a published event whose end has passed", () => {
      expect(ruleOf(applyEdit(pastPublished, { title: "Encore" }, now))).toBe("event_closed")
    })

    it("refuses to edit an event stored as ended", () => {
      expect(ruleOf(applyEdit(makeEvent({ status: "ended" }), { title: "Encore" }, now))).toBe("event_closed")
    })

    it("allows editing a published event that has not ended", () => {
      expect(ruleOf(applyEdit(published, { title: "Renamed" }, now))).toBe("ok")
    })

    it("refuses a new startsAt in the past or at now", () => {
      expect(ruleOf(applyEdit(draft, { startsAt: plus(now, -DAY) }, now))).toBe("starts_in_past")
      expect(ruleOf(applyEdit(draft, { startsAt: now }, now))).toBe("starts_in_past")
    })

    it("does not refuse an edit that leaves an already-passed startsAt untouched", () => {
      // A published event that is under way: its start is past, its end is not.
      const ongoing = makeEvent({
        status: "published",
        startsAt: plus(now, -HOUR),
        endsAt: plus(now, HOUR),
        salesStartAt: null,
        salesEndAt: null
      })
      expect(ruleOf(applyEdit(ongoing, { title: "Live now" }, now))).toBe("ok")
    })
  })

  describe("publish", () => {
    const ga = makeTicketType()

    it("publishes a draft: status published, publishedAt and updatedAt now", () => {
      const event = accepted(publish(draft, [ga], now))
      expect(event.status).toBe("published")
      expect(event.publishedAt).toEqual(now)
      expect(event.updatedAt).toEqual(now)
      expect(event.cancelledAt).toBeNull()
      expect(event.id).toBe(draft.id)
      expect(event.version).toBe(draft.version)
    })

    it("refuses anything but a draft", () => {
      expect(ruleOf(publish(published, [ga], now))).toBe("not_draft")
      expect(ruleOf(publish(cancelled, [ga], now))).toBe("not_draft")
      expect(ruleOf(publish(makeEvent({ status: "ended" }), [ga], now))).toBe("not_draft")
    })

    it("refuses an event without ticket types", () => {
      expect(ruleOf(publish(draft, [], now))).toBe("no_ticket_types")
    })

    it("refuses a seated ticket type that has no seats", () => {
      const emptySeated = makeTicketType({ id: VIP_ID, name: "Balcony", seated: true, capacity: 0 })
      const result = publish(draft, [ga, emptySeated], now)
      expect(ruleOf(result)).toBe("seated_without_seats")
      expect(refused(result).message).toContain("Balcony")
    })

    it("accepts an unseated ticket type with capacity 0 beside one with capacity", () => {
      const soldOutLater = makeTicketType({ id: VIP_ID, name: "VIP", capacity: 0 })
      expect(ruleOf(publish(draft, [ga, soldOutLater], now))).toBe("ok")
    })

    it("accepts a seated ticket type that has seats", () => {
      const seated = makeTicketType({ id: VIP_ID, name: "Stalls", seated: true, capacity: 40 })
      expect(ruleOf(publish(draft, [seated], now))).toBe("ok")
    })

    it("refuses when every ticket type has capacity 0", () => {
      const none = [makeTicketType({ capacity: 0 }), makeTicketType({ id: VIP_ID, name: "VIP", capacity: 0 })]
      expect(ruleOf(publish(draft, none, now))).toBe("no_capacity")
    })

    it("refuses an event that has already started", () => {
      const started = makeEvent({ startsAt: plus(now, -HOUR), endsAt: plus(now, HOUR), salesEndAt: null })
      expect(ruleOf(publish(started, [ga], now))).toBe("starts_in_past")
      const startingNow = makeEvent({ startsAt: now, endsAt: plus(now, HOUR), salesStartAt: null, salesEndAt: null })
      expect(ruleOf(publish(startingNow, [ga], now))).toBe("starts_in_past")
    })

    it("refuses an event whose sales window has already closed", () => {
      const closed = makeEvent({ salesStartAt: plus(now, -2 * DAY), salesEndAt: plus(now, -DAY) })
      expect(ruleOf(publish(closed, [ga], now))).toBe("sales_closed")
      const closingNow = makeEvent({ salesStartAt: plus(now, -2 * DAY), salesEndAt: now })
      expect(ruleOf(publish(closingNow, [ga], now))).toBe("sales_closed")
    })

    it("accepts a sales window that opened in the past and is still open", () => {
      const open = makeEvent({ salesStartAt: plus(now, -DAY), salesEndAt: plus(now, DAY) })
      expect(ruleOf(publish(open, [ga], now))).toBe("ok")
    })
  })

  describe("cancel", () => {
    it("cancels a draft", () => {
      const event = accepted(cancel(draft, now))
      expect(event.status).toBe("cancelled")
      expect(event.cancelledAt).toEqual(now)
      expect(event.updatedAt).toEqual(now)
    })

    it("cancels a published event, keeping its publishedAt", () => {
      const event = accepted(cancel(published, now))
      expect(event.status).toBe("cancelled")
      expect(event.cancelledAt).toEqual(now)
      expect(event.publishedAt).toEqual(published.publishedAt)
    })

    it("refuses to cancel a cancelled event", () => {
      expect(ruleOf(cancel(cancelled, now))).toBe("not_cancellable")
    })

    it("refuses to cancel an ended event, stored as ended or published and past its end", () => {
      expect(ruleOf(cancel(makeEvent({ status: "ended" }), now))).toBe("not_cancellable")
      expect(ruleOf(cancel(pastPublished, now))).toBe("not_cancellable")
    })
  })

  describe("statusAt", () => {
    it("reads a published event past its end as ended", () => {
      expect(statusAt(published, plus(endsAt, 1))).toBe("ended")
    })

    it("reads a published event before its end as published (including while it is under way)", () => {
      expect(statusAt(published, now)).toBe("published")
      expect(statusAt(published, plus(startsAt, HOUR))).toBe("published")
      expect(statusAt(published, endsAt)).toBe("published")
    })

    it("uses startsAt as the end when there is no endsAt", () => {
      const noEnd = makeEvent({ status: "published", endsAt: null, salesEndAt: null })
      expect(statusAt(noEnd, startsAt)).toBe("published")
      expect(statusAt(noEnd, plus(startsAt, 1))).toBe("ended")
    })

    it("leaves drafts and cancelled events as they are, even long after their end", () => {
      const later = plus(endsAt, 365 * DAY)
      expect(statusAt(draft, later)).toBe("draft")
      expect(statusAt(cancelled, later)).toBe("cancelled")
    })
  })

  describe("isPubliclyVisible", () => {
    it("hides drafts only", () => {
      expect(isPubliclyVisible(draft)).toBe(false)
      expect(isPubliclyVisible(published)).toBe(true)
      expect(isPubliclyVisible(cancelled)).toBe(true)
      expect(isPubliclyVisible(makeEvent({ status: "ended" }))).toBe(true)
    })
  })

  describe("checkNewTicketType", () => {
    const ga = makeTicketType()

    it("accepts the first ticket type of an event, in any currency", () => {
      expect(ruleOf(checkNewTicketType(draft, [], { name: "General admission", currency: "USD" }, now))).toBe("ok")
    })

    it("accepts another name in the event's currency, on a draft or a published event", () => {
      expect(ruleOf(checkNewTicketType(draft, [ga], { name: "VIP", currency: "EUR" }, now))).toBe("ok")
      expect(ruleOf(checkNewTicketType(published, [ga], { name: "VIP", currency: "EUR" }, now))).toBe("ok")
    })

    it("refuses a currency other than the event's", () => {
      const result = checkNewTicketType(draft, [ga], { name: "VIP", currency: "USD" }, now)
      expect(ruleOf(result)).toBe("currency_mismatch")
      expect(refused(result).message).toContain("EUR")
    })

    it("refuses a name already taken, ignoring case", () => {
      expect(ruleOf(checkNewTicketType(draft, [ga], { name: "General admission", currency: "EUR" }, now))).toBe(
        "duplicate_name"
      )
      expect(ruleOf(checkNewTicketType(draft, [ga], { name: "GENERAL ADMISSION", currency: "EUR" }, now))).toBe(
        "duplicate_name"
      )
      expect(ruleOf(checkNewTicketType(draft, [ga], { name: "general Admission", currency: "EUR" }, now))).toBe(
        "duplicate_name"
      )
    })

    it("finds a duplicate among several existing ticket types", () => {
      const vip = makeTicketType({ id: VIP_ID, name: "VIP" })
      expect(ruleOf(checkNewTicketType(draft, [ga, vip], { name: "vip", currency: "EUR" }, now))).toBe("duplicate_name")
    })

    it("refuses a cancelled event", () => {
      expect(ruleOf(checkNewTicketType(cancelled, [ga], { name: "VIP", currency: "EUR" }, now))).toBe("event_closed")
    })

    it("refuses an ended event, stored as ended or published and past its end", () => {
      expect(ruleOf(checkNewTicketType(pastPublished, [], { name: "VIP", currency: "EUR" }, now))).toBe("event_closed")
      expect(
        ruleOf(checkNewTicketType(makeEvent({ status: "ended" }), [], { name: "VIP", currency: "EUR" }, now))
      ).toBe("event_closed")
    })

    it("uses the given time to decide whether a published event has ended", () => {
      const candidate = { name: "VIP", currency: "EUR" }
      expect(ruleOf(checkNewTicketType(published, [ga], candidate, plus(endsAt, -1)))).toBe("ok")
      expect(ruleOf(checkNewTicketType(published, [ga], candidate, plus(endsAt, 1)))).toBe("event_closed")
    })

    it("compares currencies exactly, as the schema hands them over", () => {
      const usdType = makeTicketType({ currency: USD })
      expect(ruleOf(checkNewTicketType(draft, [usdType], { name: "VIP", currency: "USD" }, now))).toBe("ok")
    })
  })

  describe("checkCapacityChange", () => {
    const committed = makeTicketType({ capacity: 100, held: 7, sold: 13 })

    it("refuses a capacity below held + sold, reporting what is committed", () => {
      const error = refused(checkCapacityChange(committed, 19))
      expect(error._tag).toBe("CapacityBelowCommitted")
      expect(error).toMatchObject({ _tag: "CapacityBelowCommitted", committed: 20 })
    })

    it("counts both held and sold tickets as committed", () => {
      expect(ruleOf(checkCapacityChange(makeTicketType({ held: 5, sold: 0 }), 4))).toBe("CapacityBelowCommitted")
      expect(ruleOf(checkCapacityChange(makeTicketType({ held: 0, sold: 5 }), 4))).toBe("CapacityBelowCommitted")
    })

    it("allows a capacity equal to what is committed", () => {
      expect(accepted(checkCapacityChange(committed, 20))).toBe(20)
    })

    it("allows lowering and raising the capacity above what is committed", () => {
      expect(accepted(checkCapacityChange(committed, 21))).toBe(21)
      expect(accepted(checkCapacityChange(committed, 500))).toBe(500)
    })

    it("allows capacity 0 when nothing is committed", () => {
      expect(accepted(checkCapacityChange(makeTicketType(), 0))).toBe(0)
    })

    it("refuses to change the capacity of a seated ticket type", () => {
      const seated = makeTicketType({ seated: true, capacity: 40 })
      expect(ruleOf(checkCapacityChange(seated, 41))).toBe("seated_capacity")
      expect(ruleOf(checkCapacityChange(seated, 39))).toBe("seated_capacity")
    })

    it("lets a seated ticket type keep its capacity", () => {
      expect(accepted(checkCapacityChange(makeTicketType({ seated: true, capacity: 40, sold: 10 }), 40))).toBe(40)
    })
  })

  describe("planSeating", () => {
    const ga = makeTicketType({ seated: false })
    const vip = makeTicketType({ id: VIP_ID, name: "VIP", seated: true, capacity: 0 })
    const types = [ga, vip]

    type Seats = ReadonlyArray<readonly [label: string, ticketTypeId: TicketTypeId]>
    const row = (label: string, seats: Seats) => ({
      label,
      seats: seats.map(([seatLabel, ticketTypeId]) => ({ label: seatLabel, ticketTypeId }))
    })
    const plan = (...sections: SeatingPlan["sections"]): SeatingPlan => ({ sections })

    const hall = plan(
      {
        name: "Stalls",
        rows: [
          row("A", [
            ["1", VIP_ID],
            ["2", VIP_ID],
            ["3", VIP_ID]
          ]),
          row("B", [
            ["1", GA_ID],
            ["2", GA_ID]
          ])
        ]
      },
      {
        name: "Balcony",
        rows: [
          row("A", [
            ["1", GA_ID],
            ["2", GA_ID]
          ])
        ]
      }
    )

    it("counts the seats of each ticket type", () => {
      const counts = accepted(planSeating(draft, types, hall, 1000))
      expect(Object.fromEntries(counts)).toEqual({ [VIP_ID]: 3, [GA_ID]: 4 })
    })

    it("leaves out ticket types that have no seat", () => {
      const onlyVip = plan({ name: "Stalls", rows: [row("A", [["1", VIP_ID]])] })
      const counts = accepted(planSeating(draft, types, onlyVip, 1000))
      expect(counts.get(VIP_ID)).toBe(1)
      expect(counts.has(GA_ID)).toBe(false)
      expect(counts.size).toBe(1)
    })

    it("is locked once the event is no longer a draft", () => {
      expect(ruleOf(planSeating(published, types, hall, 1000))).toBe("seating_locked")
      expect(ruleOf(planSeating(cancelled, types, hall, 1000))).toBe("seating_locked")
    })

    it("refuses a section name used twice", () => {
      const twice = plan(
        { name: "Stalls", rows: [row("A", [["1", GA_ID]])] },
        { name: "Stalls", rows: [row("B", [["1", GA_ID]])] }
      )
      expect(ruleOf(planSeating(draft, types, twice, 1000))).toBe("duplicate_section")
    })

    it("refuses a row label used twice in a section, allows it in another section", () => {
      const twice = plan({ name: "Stalls", rows: [row("A", [["1", GA_ID]]), row("A", [["2", GA_ID]])] })
      expect(ruleOf(planSeating(draft, types, twice, 1000))).toBe("duplicate_row")
      // `hall` has a row "A" in both sections.
      expect(ruleOf(planSeating(draft, types, hall, 1000))).toBe("ok")
    })

    it("refuses a seat label used twice in a row, allows it in another row", () => {
      const twice = plan({
        name: "Stalls",
        rows: [
          row("A", [
            ["1", GA_ID],
            ["1", VIP_ID]
          ])
        ]
      })
      expect(ruleOf(planSeating(draft, types, twice, 1000))).toBe("duplicate_seat")
      // `hall` has seats "1" and "2" in several rows.
      expect(ruleOf(planSeating(draft, types, hall, 1000))).toBe("ok")
    })

    it("refuses a seat tied to a ticket type of another event", () => {
      const stranger = plan({
        name: "Stalls",
        rows: [
          row("A", [
            ["1", GA_ID],
            ["2", STRANGER_ID]
          ])
        ]
      })
      const result = planSeating(draft, types, stranger, 1000)
      expect(ruleOf(result)).toBe("unknown_ticket_type")
      expect(refused(result).message).toContain(STRANGER_ID)
    })

    it("refuses every seat when the event has no ticket types", () => {
      expect(ruleOf(planSeating(draft, [], hall, 1000))).toBe("unknown_ticket_type")
    })

    it("refuses more seats than maxSeats, accepts exactly maxSeats", () => {
      // `hall` has 7 seats.
      expect(ruleOf(planSeating(draft, types, hall, 6))).toBe("too_many_seats")
      expect(ruleOf(planSeating(draft, types, hall, 7))).toBe("ok")
    })
  })
})

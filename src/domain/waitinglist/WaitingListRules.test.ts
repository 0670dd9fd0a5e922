import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { TicketType } from "../catalog/TicketType.ts"
import { EventId, TicketTypeId } from "../shared/Ids.ts"
import type { Currency } from "../shared/Money.ts"
import { checkJoin, offerExpiry, offerOpen, offersFor } from "./WaitingListRules.ts"

const status = fc.constantFrom("waiting", "waiting", "waiting", "offered", "used", "lapsed", "left")
const entries = fc
  .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 60 })
  .chain((positions) =>
    fc.tuple(...positions.map((position) => fc.record({ position: fc.constant(position), status })))
  )

describe("waiting-list offers", () => {
  it("go to waiting entries only, in order of joining, never more than the units that came back", () => {
    fc.assert(
      fc.property(entries, fc.integer({ min: -5, max: 80 }), (list, free) => {
        const chosen = offersFor(list, free)
        const waiting = list.filter((e) => e.status === "waiting").sort((a, b) => a.position - b.position)
        expect(chosen.length).toBe(Math.max(0, Math.min(free, waiting.length)))
        expect(chosen.every((e) => e.status === "waiting")).toBe(true)
        // First joined, first offered: exactly the front of the line, nobody passed over.
        expect(chosen.map((e) => e.position)).toEqual(waiting.slice(0, chosen.length).map((e) => e.position))
      })
    )
  })

  it("units coming back in several steps reach the same people as all at once", () => {
    fc.assert(
      fc.property(entries, fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 8 }), (list, steps) => {
        let current = list.map((e) => ({ ...e }))
        const offered: Array<number> = []
        for (const free of steps) {
          const chosen = offersFor(current, free)
          offered.push(...chosen.map((e) => e.position))
          const taken = new Set(chosen.map((e) => e.position))
          current = current.map((e) => (taken.has(e.position) ? { ...e, status: "offered" } : e))
        }
        const total = steps.reduce((n, s) => n + s, 0)
        expect(offered).toEqual(offersFor(list, total).map((e) => e.position))
      })
    )
  })

  it("stay open until their expiry, exclusive", () => {
    const at = new Date("2027-05-01T10:00:00Z")
    const until = offerExpiry(at, 24)
    expect(until.toISOString()).toBe("2027-05-02T10:00:00.000Z")
    expect(offerOpen(until, new Date(until.getTime() - 1))).toBe(true)
    expect(offerOpen(until, until)).toBe(false)
    expect(offerOpen(null, at)).toBe(false)
  })
})

describe("joining a waiting list", () => {
  const type = (fields: Partial<ConstructorParameters<typeof TicketType>[0]>) =>
    new TicketType({
      id: TicketTypeId.make("33333333-3333-4333-8333-333333333333"),
      eventId: EventId.make("11111111-1111-4111-8111-111111111111"),
      name: "Standing",
      priceMinor: 2500,
      currency: "EUR" as Currency,
      capacity: 10,
      maxPerOrder: 10,
      seated: false,
      held: 0,
      sold: 0,
      createdAt: new Date("2027-01-01T00:00:00Z"),
      ...fields
    })
  const refusal = (t: TicketType, open = true) => {
    const checked = checkJoin(t, open)
    return Result.isFailure(checked) ? checked.failure._tag : "accepted"
  }

  it("is for a sold-out, general-admission type whose list is open; withheld units count as sold out", () => {
    expect(refusal(type({ held: 4, sold: 6 }))).toBe("accepted")
    expect(refusal(type({ held: 2, sold: 6, withheld: 2 }))).toBe("accepted")
    expect(refusal(type({ held: 2, sold: 6 }))).toBe("WaitingListNotSoldOut")
    expect(refusal(type({ held: 4, sold: 6 }), false)).toBe("WaitingListClosed")
    expect(refusal(type({ seated: true, sold: 10 }))).toBe("WaitingListNotForSeats")
  })
})

import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import type { SeatId, TicketTypeId } from "../shared/Ids.ts"
import { endsNow, givenBack, isDue } from "./HoldEnding.ts"

const typeId = fc.constantFrom("a", "b", "c").map((t) => t as TicketTypeId)
const hold = fc.record({
  items: fc.uniqueArray(
    fc.record({ ticketTypeId: typeId, quantity: fc.integer({ min: 1, max: 5 }), unitPriceMinor: fc.nat() }),
    {
      selector: (i) => i.ticketTypeId
    }
  ),
  seats: fc.uniqueArray(
    fc.record({
      seatId: fc.uuid().map((id) => id as SeatId),
      ticketTypeId: typeId,
      unitPriceMinor: fc.nat(),
      section: fc.constant("Stalls"),
      row: fc.constant("A"),
      label: fc.constant("1")
    }),
    { selector: (s) => s.seatId, maxLength: 5 }
  )
})

describe("ending a hold", () => {
  it("gives back every unit it held, per ticket type in id order, its seats and its count", () =>
    fc.assert(
      fc.property(hold, (h) => {
        const tickets = h.items.reduce((n, i) => n + i.quantity, 0) + h.seats.length
        const back = givenBack({ ...h, tickets })
        expect(back.units.reduce((n, [, u]) => n + u, 0)).toBe(tickets)
        expect(back.units.map(([t]) => t)).toEqual(back.units.map(([t]) => t).sort())
        expect(back.seatIds).toEqual(h.seats.map((s) => s.seatId))
        expect(back.tickets).toBe(tickets)
      })
    ))

  it("ends only an active hold, of the named customer; the expiry job only once it is due", () =>
    fc.assert(
      fc.property(
        fc.constantFrom("active" as const, "released" as const, "expired" as const, "converted" as const),
        fc.integer({ min: -5, max: 5 }),
        fc.boolean(),
        (status, dueIn, own) => {
          const now = new Date(1_800_000_000_000)
          const h = { status, customerId: "alice", expiresAt: new Date(now.getTime() + dueIn) }
          expect(endsNow(h, own ? "alice" : "bob")).toBe(status === "active" && own)
          expect(endsNow(h)).toBe(status === "active")
          expect(isDue(h, now)).toBe(status === "active" && dueIn <= 0)
        }
      )
    ))
})

import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import {
  type AttendeeNamesPolicy,
  attendeeNamesOf,
  decideRename,
  lineTypesOfHold,
  MAX_ATTENDEE_NAME_LENGTH,
  normalizeAttendeeName,
  renameCutoff
} from "./AttendeeNames.ts"
import { linesOfHold } from "./OrderLines.ts"

const policy = fc.constantFrom<AttendeeNamesPolicy>("off", "optional", "required")
const name = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 130 }),
  fc.constantFrom("  Ada   Lovelace ", "\t", "Zoë\u0007", "名前", "x".repeat(101))
)
const HOUR = 3_600_000

describe("AttendeeNames", () => {
  it("a stored name is one trimmed line of at most the bound, never blank", () =>
    fc.assert(
      fc.property(fc.array(policy, { maxLength: 8 }), fc.array(name, { maxLength: 8 }), (policies, given) => {
        const sent = given.slice(0, policies.length)
        const outcome = attendeeNamesOf(policies, sent.length === policies.length ? sent : undefined)
        if (Result.isFailure(outcome)) {
          expect(outcome.failure.length).toBeGreaterThan(0)
          return
        }
        expect(outcome.success).toHaveLength(policies.length)
        outcome.success.forEach((stored, i) => {
          if (policies[i] === "off") expect(stored).toBeNull()
          if (policies[i] === "required") expect(stored).not.toBeNull()
          if (stored !== null) {
            expect(stored).toBe(stored.trim())
            expect(stored).not.toMatch(/\s{2}|\p{Cc}/u)
            expect(stored.length).toBeGreaterThan(0)
            expect([...stored].length).toBeLessThanOrEqual(MAX_ATTENDEE_NAME_LENGTH)
          }
        })
      })
    ))

  it("a required name missing or blank is refused, with the ticket's position in the issue", () => {
    const outcome = attendeeNamesOf(["optional", "required", "required"], ["Ada", "  ", null])
    expect(outcome).toEqual(
      Result.fail([
        { code: "missing", path: ["attendees", 1], message: "this ticket type requires the attendee's name" },
        { code: "missing", path: ["attendees", 2], message: "this ticket type requires the attendee's name" }
      ])
    )
    expect(attendeeNamesOf(["required"], undefined)).toEqual(
      Result.fail([expect.objectContaining({ code: "missing" })])
    )
    expect(attendeeNamesOf(["optional", "optional"], ["Ada"])).toEqual(
      Result.fail([expect.objectContaining({ code: "too_short", path: ["attendees"] })])
    )
    expect(attendeeNamesOf(["optional"], [" Ada   Lovelace "])).toEqual(Result.succeed(["Ada Lovelace"]))
    expect(attendeeNamesOf(["off"], ["Ada"])).toEqual(Result.fail([expect.objectContaining({ code: "unexpected" })]))
    expect(attendeeNamesOf(["off", "optional"], undefined)).toEqual(Result.succeed([null, null]))
  })

  it("normalising is idempotent", () =>
    fc.assert(
      fc.property(fc.string(), (s) => {
        const once = normalizeAttendeeName(s)
        expect(normalizeAttendeeName(once)).toBe(once)
      })
    ))

  it("a name can be changed only before the cut-off, of a valid ticket not checked in, never blanked if required", () =>
    fc.assert(
      fc.property(
        policy,
        fc.integer({ min: -200, max: 200 }),
        fc.integer({ min: 0, max: 72 }),
        fc.boolean(),
        fc.boolean(),
        name,
        (p, hoursBeforeStart, cutoffHours, voided, checkedIn, given) => {
          const startsAt = new Date("2027-06-01T20:00:00Z")
          const now = new Date(startsAt.getTime() - hoursBeforeStart * HOUR)
          const decision = decideRename({
            ticket: { status: voided ? "voided" : "valid", checkedInAt: checkedIn ? now : null },
            policy: p,
            startsAt,
            cutoffHours,
            now,
            name: given
          })
          const beforeCutoff = now.getTime() < renameCutoff(startsAt, cutoffHours).getTime()
          if (decision._tag === "Rename") {
            expect(p).not.toBe("off")
            expect(beforeCutoff && !voided && !checkedIn).toBe(true)
            expect(decision.name).toBe(normalizeAttendeeName(given))
            if (p === "required") expect(decision.name).not.toBeNull()
          }
          if (!beforeCutoff && p !== "off" && !voided && !checkedIn)
            expect(decision).toEqual({ _tag: "Refused", code: "name_cutoff_passed" })
        }
      )
    ))

  it("a hold's line types are the order lines' types, in line order", () =>
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom("a", "b", "c", "d"), { maxLength: 4 }),
        fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 5 }),
        (types, seatTypes) => {
          const items = types.map((t, i) => ({ ticketTypeId: t, quantity: i + 1, unitPriceMinor: 100 }))
          const seats = seatTypes.map((t, i) => ({
            ticketTypeId: t,
            seatId: `seat-${i}`,
            seatLabel: null,
            unitPriceMinor: 100,
            venue: { section: 1, row: 1, seat: i }
          }))
          expect(lineTypesOfHold({ items, seats })).toEqual(
            linesOfHold(items as never, seats as never).map((l) => l.ticketTypeId)
          )
        }
      )
    ))
})

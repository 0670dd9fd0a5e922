import { describe, expect, it } from "@effect/vitest"
import { Option } from "effect"
import fc from "fast-check"
import { decodeCursor, encodeCursor, isAfter, type KeysetPosition } from "./Cursor.ts"

const ID = "11111111-1111-4111-8111-111111111111"
const AT = new Date("2027-03-01T19:00:00Z")

/** base64url without padding, as encodeCursor writes it, of any text. */
const rawCursor = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "")

const position = fc.record({
  // Cursors only ever hold dates PostgreSQL can store: years 1 to 9999.
  at: fc.date({
    noInvalidDate: true,
    min: new Date("0001-01-01T00:00:00Z"),
    max: new Date("9999-12-31T23:59:59.999Z")
  }),
  id: fc.tuple(fc.uuid(), fc.boolean()).map(([id, upper]) => (upper ? id.toUpperCase() : id))
})

describe("Cursor", () => {
  describe("encodeCursor / decodeCursor", () => {
    it("round-trips a position", () => {
      expect(decodeCursor(encodeCursor({ at: AT, id: ID }))).toEqual(Option.some({ at: AT, id: ID }))
    })

    it("round-trips any valid date and any UUID (property)", () => {
      fc.assert(
        fc.property(position, (p) => {
          const decoded = decodeCursor(encodeCursor(p))
          expect(Option.isSome(decoded)).toBe(true)
          const back = Option.getOrThrow(decoded)
          expect(back.at.getTime()).toBe(p.at.getTime())
          expect(back.id).toBe(p.id)
        }),
        { numRuns: 500 }
      )
    })

    it("refuses positions outside PostgreSQL's range or with an id that is not a UUID", () => {
      const forge = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "")
      expect(Option.isNone(decodeCursor(forge(`+275760-09-13T00:00:00.000Z|${ID}`)))).toBe(true)
      expect(Option.isNone(decodeCursor(forge(`2027-01-01T00:00:00.000Z|${"-".repeat(36)}`)))).toBe(true)
    })

    it("writes an opaque, URL-safe string without padding (property)", () => {
      fc.assert(
        fc.property(position, (p) => {
          const cursor = encodeCursor(p)
          expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
          expect(cursor).not.toContain(p.id)
        })
      )
    })

    it("gives distinct positions distinct cursors", () => {
      const a = encodeCursor({ at: AT, id: ID })
      const b = encodeCursor({ at: new Date(AT.getTime() + 1), id: ID })
      const c = encodeCursor({ at: AT, id: "11111111-1111-4111-8111-111111111112" })
      expect(new Set([a, b, c]).size).toBe(3)
    })

    it("rejects garbage", () => {
      for (const cursor of ["", "!!!", "not a cursor", "%%%%", "a"]) expect(decodeCursor(cursor)).toEqual(Option.none())
    })

    it("rejects a cursor without a separator", () => {
      expect(decodeCursor(rawCursor(AT.toISOString()))).toEqual(Option.none())
    })

    it("rejects a cursor whose date is not a date", () => {
      expect(decodeCursor(rawCursor(`yesterday|${ID}`))).toEqual(Option.none())
      expect(decodeCursor(rawCursor(`|${ID}`))).toEqual(Option.none())
    })

    it("rejects a cursor whose id is not UUID-shaped", () => {
      expect(decodeCursor(rawCursor(`${AT.toISOString()}|42`))).toEqual(Option.none())
      expect(decodeCursor(rawCursor(`${AT.toISOString()}|`))).toEqual(Option.none())
      expect(decodeCursor(rawCursor(`${AT.toISOString()}|${ID}x`))).toEqual(Option.none())
      expect(decodeCursor(rawCursor(`${AT.toISOString()}|'; DROP TABLE events; --xxxxxxxxxxxx`))).toEqual(Option.none())
    })

    it("never throws, whatever the input (property)", () => {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.base64String(), fc.string().map(rawCursor)), (s) => {
          const decoded = decodeCursor(s)
          expect(Option.isOption(decoded)).toBe(true)
        })
      )
    })
  })

  describe("isAfter", () => {
    const p = (iso: string, id: string): KeysetPosition => ({ at: new Date(iso), id })

    it("orders by time first", () => {
      expect(isAfter(p("2027-03-02T00:00:00Z", "a"), p("2027-03-01T00:00:00Z", "b"))).toBe(true)
      expect(isAfter(p("2027-03-01T00:00:00Z", "b"), p("2027-03-02T00:00:00Z", "a"))).toBe(false)
    })

    it("breaks ties on time by id", () => {
      expect(isAfter(p("2027-03-01T00:00:00Z", "b"), p("2027-03-01T00:00:00Z", "a"))).toBe(true)
      expect(isAfter(p("2027-03-01T00:00:00Z", "a"), p("2027-03-01T00:00:00Z", "b"))).toBe(false)
    })

    it("is strict: a position is not after itself", () => {
      expect(isAfter(p("2027-03-01T00:00:00Z", ID), p("2027-03-01T00:00:00Z", ID))).toBe(false)
    })

    it("orders any two distinct positions one way exactly (property)", () => {
      const lower = fc.record({ at: fc.date({ noInvalidDate: true }), id: fc.uuid() })
      fc.assert(
        fc.property(lower, lower, (a, b) => {
          const same = a.at.getTime() === b.at.getTime() && a.id === b.id
          expect(isAfter(a, b) && isAfter(b, a)).toBe(false)
          expect(isAfter(a, b) || isAfter(b, a)).toBe(!same)
        })
      )
    })
  })
})

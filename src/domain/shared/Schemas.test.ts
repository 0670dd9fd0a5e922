import { describe, expect, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { Email } from "../accounts/User.ts"
import { Currency, MinorAmount, MinorUnits } from "./Money.ts"
import { PageLimit } from "./Page.ts"
import { BoundedText, Instant, Timestamp, TimeZoneName } from "./Text.ts"

/** Decodes and returns the value, or fails the test with the parse error. */
const decoded = <A, I>(schema: Schema.Codec<A, I>, input: unknown): A =>
  Result.getOrThrowWith(Schema.decodeUnknownResult(schema)(input), (e) => new Error(`expected success: ${e.message}`))

const rejects = <A, I>(schema: Schema.Codec<A, I>, input: unknown): boolean =>
  Result.isFailure(Schema.decodeUnknownResult(schema)(input))

const messageOf = <A, I>(schema: Schema.Codec<A, I>, input: unknown): string =>
  Result.match(Schema.decodeUnknownResult(schema)(input), { onFailure: (e) => e.message, onSuccess: () => "" })

describe("shared schemas", () => {
  describe("Email", () => {
    it("stores the address lower-cased and trimmed", () => {
      expect(decoded(Email, "Ada.Lovelace@Example.COM")).toBe("ada.lovelace@example.com")
      expect(decoded(Email, "  ada@example.com \n")).toBe("ada@example.com")
    })

    it("keeps an already lower-case address as it is", () => {
      expect(decoded(Email, "ada+tickets@mail.example.org")).toBe("ada+tickets@mail.example.org")
    })

    it("rejects what is not an email address", () => {
      for (const input of ["", "   ", "ada", "ada@", "@example.com", "ada@example", "ada lovelace@example.com"])
        expect(rejects(Email, input), JSON.stringify(input)).toBe(true)
      expect(messageOf(Email, "ada")).toContain("must be an email address")
    })

    it("rejects an address longer than 254 characters", () => {
      const local = "a".repeat(64)
      const domain = `${"b".repeat(200)}.example.com`
      expect(rejects(Email, `${local}@${domain}`)).toBe(true)
    })

    it("rejects non-strings", () => {
      expect(rejects(Email, 42)).toBe(true)
      expect(rejects(Email, null)).toBe(true)
    })
  })

  describe("Currency", () => {
    it("accepts an ISO 4217 code in upper case", () => {
      expect(decoded(Currency, "EUR")).toBe("EUR")
      expect(decoded(Currency, "JPY")).toBe("JPY")
    })

    it("rejects lower case, wrong lengths and non-letters", () => {
      for (const input of ["eur", "Eur", "EURO", "EU", "", "E1R", " EUR"])
        expect(rejects(Currency, input), JSON.stringify(input)).toBe(true)
      expect(messageOf(Currency, "eur")).toContain("ISO 4217")
    })
  })

  describe("Instant", () => {
    it("decodes a UTC date-time to a Date", () => {
      expect(decoded(Instant, "2027-06-01T19:30:00Z")).toEqual(new Date("2027-06-01T19:30:00Z"))
    })

    it("honours an explicit offset", () => {
      expect(decoded(Instant, "2027-06-01T21:30:00+02:00")).toEqual(new Date("2027-06-01T19:30:00Z"))
      expect(decoded(Instant, "2027-06-01T14:30-05:00")).toEqual(new Date("2027-06-01T19:30:00Z"))
    })

    it("accepts fractional seconds", () => {
      expect(decoded(Instant, "2027-06-01T19:30:00.123Z")).toEqual(new Date("2027-06-01T19:30:00.123Z"))
    })

    it("requires a zone offset", () => {
      expect(rejects(Instant, "2027-01-01")).toBe(true)
      expect(rejects(Instant, "2027-01-01T00:00:00")).toBe(true)
      expect(messageOf(Instant, "2027-01-01")).toContain("zone offset")
    })

    it("rejects other date notations", () => {
      for (const input of ["01/06/2027 19:30", "Tue, 01 Jun 2027 19:30:00 GMT", "1780000000000", ""])
        expect(rejects(Instant, input), JSON.stringify(input)).toBe(true)
    })

    it("rejects a well-formed string that is not a real date", () => {
      expect(rejects(Instant, "2027-13-45T25:61:00Z")).toBe(true)
      for (const input of ["6555-60-62T21:34-49:20", "2027-02-29T10:00:00Z", "2027-04-31T10:00:00Z"])
        expect(rejects(Instant, input), input).toBe(true)
      expect(messageOf(Instant, "2027-04-31T10:00:00Z")).toContain("a date that exists")
      expect(decoded(Instant, "2028-02-29T10:00:00Z")).toEqual(new Date("2028-02-29T10:00:00Z"))
    })
  })

  describe("TimeZoneName", () => {
    it("accepts IANA zone names", () => {
      for (const input of ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"])
        expect(decoded(TimeZoneName, input)).toBe(input)
    })

    it("rejects unknown zones and the empty string", () => {
      for (const input of ["Mars/Base", "Europe/Atlantis", "", "Paris"])
        expect(rejects(TimeZoneName, input), JSON.stringify(input)).toBe(true)
      expect(messageOf(TimeZoneName, "Mars/Base")).toContain("IANA time zone")
    })
  })

  describe("MinorUnits", () => {
    it("accepts non-negative integers up to the limit", () => {
      expect(decoded(MinorUnits, 0)).toBe(0)
      expect(decoded(MinorUnits, 4500)).toBe(4500)
      expect(decoded(MinorUnits, 10_000_000_000)).toBe(10_000_000_000)
    })

    it("rejects fractions, negatives, numbers past the limit and strings", () => {
      for (const input of [1.5, -1, 0.01, 10_000_000_001, Number.NaN, Number.POSITIVE_INFINITY, "4500"])
        expect(rejects(MinorUnits, input), String(input)).toBe(true)
    })
  })

  describe("MinorAmount", () => {
    it("accepts any non-negative integer, and refuses negatives and fractions", () => {
      expect(decoded(MinorAmount, 0)).toBe(0)
      expect(decoded(MinorAmount, 50_000_000_000)).toBe(50_000_000_000)
      for (const input of [-1, 2.5, "100"]) expect(rejects(MinorAmount, input), String(input)).toBe(true)
    })
  })

  describe("Timestamp", () => {
    it("reads a database timestamp with its offset and writes it back as an ISO 8601 UTC date-time", () => {
      const at = decoded(Timestamp, "2026-12-04T03:02:30.625+00:00")
      expect(at).toEqual(new Date("2026-12-04T03:02:30.625Z"))
      expect(Schema.encodeSync(Timestamp)(at)).toBe("2026-12-04T03:02:30.625Z")
      expect(rejects(Timestamp, "not a date")).toBe(true)
    })
  })

  describe("BoundedText", () => {
    const Title = BoundedText(5)

    it("trims", () => {
      expect(decoded(Title, "  Hello  ")).toBe("Hello")
    })

    it("rejects blank text", () => {
      expect(rejects(Title, "")).toBe(true)
      expect(rejects(Title, "   ")).toBe(true)
      expect(messageOf(Title, "  ")).toContain("must not be empty")
    })

    it("bounds the trimmed length", () => {
      expect(rejects(Title, "Hello!")).toBe(true)
      expect(decoded(Title, " Hello ")).toBe("Hello")
      expect(messageOf(Title, "Hello!")).toContain("at most 5 characters")
    })
  })

  describe("PageLimit", () => {
    it("reads an integer between 1 and 100 from a string", () => {
      expect(decoded(PageLimit, "1")).toBe(1)
      expect(decoded(PageLimit, "100")).toBe(100)
    })

    it("rejects 0, 101, fractions and non-numbers", () => {
      for (const input of ["0", "101", "2.5", "ten", ""])
        expect(rejects(PageLimit, input), JSON.stringify(input)).toBe(true)
    })
  })
})

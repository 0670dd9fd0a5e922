import { describe, expect, it } from "@effect/vitest"
import { Option, Result } from "effect"
import fc from "fast-check"
import { EventId, TicketTypeId, UserId } from "../shared/Ids.ts"
import { CODE_ALPHABET, GENERATED_CODE_LENGTH, Voucher, type VoucherId } from "./Voucher.ts"
import {
  applicableSubtotal,
  checkVoucherSpec,
  codeFromBytes,
  type Discount,
  discountMinor,
  normalizeCode,
  type PricedLine,
  priceAfter,
  usableFor,
  type VoucherSpec
} from "./VoucherRules.ts"

const GA = TicketTypeId.make("33333333-3333-4333-8333-333333333333")
const VIP = TicketTypeId.make("44444444-4444-4444-8444-444444444444")
const EVENT = EventId.make("11111111-1111-4111-8111-111111111111")
const T0 = new Date("2027-06-01T12:00:00Z")
const plus = (minutes: number) => new Date(T0.getTime() + minutes * 60_000)

const line = fc.record({
  ticketTypeId: fc.constantFrom<string>(GA, VIP),
  quantity: fc.integer({ min: 1, max: 100 }),
  unitPriceMinor: fc.nat(100_000_000)
})
const lines = fc.array(line, { minLength: 1, maxLength: 20 })
const discount: fc.Arbitrary<Discount> = fc.oneof(
  fc.record({
    kind: fc.constant("percent" as const),
    value: fc.integer({ min: 1, max: 100 }),
    ticketTypeIds: fc.subarray([GA, VIP])
  }),
  fc.record({
    kind: fc.constant("fixed" as const),
    value: fc.integer({ min: 1, max: 100_000_000_00 }),
    ticketTypeIds: fc.subarray([GA, VIP])
  })
)
const total = (ls: ReadonlyArray<PricedLine>) => ls.reduce((s, l) => s + l.quantity * l.unitPriceMinor, 0)

describe("voucher pricing", () => {
  it("the price after a voucher is never negative, and the discount never exceeds what it applies to", () => {
    fc.assert(
      fc.property(discount, lines, (d, ls) => {
        const off = discountMinor(d, ls)
        expect(Number.isInteger(off)).toBe(true)
        expect(off).toBeGreaterThanOrEqual(0)
        expect(off).toBeLessThanOrEqual(applicableSubtotal(d, ls))
        expect(priceAfter(d, ls)).toBeGreaterThanOrEqual(0)
        expect(priceAfter(d, ls)).toBe(total(ls) - off)
      })
    )
  })

  it("a fixed amount is taken off once, capped at the price of the tickets it applies to", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), lines, (value, ls) => {
        const subtotal = total(ls)
        expect(discountMinor({ kind: "fixed", value, ticketTypeIds: [] }, ls)).toBe(Math.min(value, subtotal))
      })
    )
    expect(
      discountMinor({ kind: "fixed", value: 5_000, ticketTypeIds: [] }, [
        { ticketTypeId: GA, quantity: 1, unitPriceMinor: 3_000 }
      ])
    ).toBe(3_000)
  })

  it("a percentage is rounded down to a whole minor unit: never more than the percentage of the price", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), lines, (percent, ls) => {
        const off = discountMinor({ kind: "percent", value: percent, ticketTypeIds: [] }, ls)
        const exact = (total(ls) * percent) / 100
        expect(off).toBeLessThanOrEqual(exact)
        expect(exact - off).toBeLessThan(1)
      })
    )
    // 15 % of 3 × 999 = 449.55 → 449
    expect(
      discountMinor({ kind: "percent", value: 15, ticketTypeIds: [] }, [
        { ticketTypeId: GA, quantity: 3, unitPriceMinor: 999 }
      ])
    ).toBe(449)
    // 100 % makes the tickets free, not cheaper than free
    expect(
      priceAfter({ kind: "percent", value: 100, ticketTypeIds: [] }, [
        { ticketTypeId: GA, quantity: 2, unitPriceMinor: 2_500 }
      ])
    ).toBe(0)
  })

  it("applies only to the ticket types it names", () => {
    const ls: ReadonlyArray<PricedLine> = [
      { ticketTypeId: GA, quantity: 2, unitPriceMinor: 1_000 },
      { ticketTypeId: VIP, quantity: 1, unitPriceMinor: 10_000 }
    ]
    expect(discountMinor({ kind: "percent", value: 50, ticketTypeIds: [VIP] }, ls)).toBe(5_000)
    expect(discountMinor({ kind: "fixed", value: 5_000, ticketTypeIds: [GA] }, ls)).toBe(2_000)
    expect(discountMinor({ kind: "percent", value: 50, ticketTypeIds: [] }, ls)).toBe(6_000)
  })
})

describe("voucher validity", () => {
  const voucher = new Voucher({
    id: "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa" as VoucherId,
    eventId: EVENT,
    code: "ABCDEFGHJK",
    kind: "percent",
    value: 10,
    ticketTypeIds: [VIP],
    validFrom: plus(0),
    validUntil: plus(60),
    maxRedemptions: 1,
    redeemed: 0,
    createdBy: UserId.make("22222222-2222-4222-8222-222222222222"),
    createdAt: plus(-10)
  })

  it("is usable from validFrom (inclusive) until validUntil (exclusive), at its event, for its ticket types", () => {
    expect(usableFor(voucher, EVENT, plus(0), [VIP])).toBe(true)
    expect(usableFor(voucher, EVENT, plus(59), [GA, VIP])).toBe(true)
    expect(usableFor(voucher, EVENT, plus(-1), [VIP])).toBe(false)
    expect(usableFor(voucher, EVENT, plus(60), [VIP])).toBe(false)
    expect(usableFor(voucher, EVENT, plus(1), [GA])).toBe(false)
    expect(usableFor(voucher, EventId.make("55555555-5555-4555-8555-555555555555"), plus(1), [VIP])).toBe(false)
    expect(usableFor(new Voucher({ ...voucher, validFrom: null, validUntil: null }), EVENT, plus(9e6), [VIP])).toBe(
      true
    )
  })

  const spec: VoucherSpec = {
    kind: "percent",
    value: 20,
    ticketTypeIds: [GA],
    validFrom: plus(0),
    validUntil: plus(60),
    maxRedemptions: 10,
    count: 100,
    code: null
  }
  const refusal = (s: Partial<VoucherSpec>) => {
    const checked = checkVoucherSpec({ ...spec, ...s }, [GA, VIP])
    return Result.isFailure(checked) ? checked.failure.message : "accepted"
  }

  it("accepts what an organizer may ask for, and refuses the rest with a sentence", () => {
    expect(refusal({})).toBe("accepted")
    expect(refusal({ value: 0 })).toMatch(/percentage discount must be a whole number from 1 to 100/)
    expect(refusal({ value: 101 })).toMatch(/from 1 to 100/)
    expect(refusal({ kind: "fixed", value: 0 })).toMatch(/fixed discount must be a positive/)
    expect(refusal({ kind: "fixed", value: 1.5 })).toMatch(/fixed discount/)
    expect(refusal({ maxRedemptions: 0 })).toMatch(/maxRedemptions/)
    expect(refusal({ count: 5_001 })).toMatch(/count must be a whole number from 1 to 5000/)
    expect(refusal({ validUntil: plus(0) })).toMatch(/validUntil must be after validFrom/)
    expect(refusal({ ticketTypeIds: ["66666666-6666-4666-8666-666666666666"] })).toMatch(/not a ticket type/)
    expect(refusal({ code: "SHORT", count: 1 })).toMatch(/10 to 40/)
    expect(refusal({ code: "SPRING-SALE-2027", count: 2 })).toMatch(/one voucher/)
    expect(refusal({ code: "spring-sale-2027", count: 1 })).toBe("accepted")
  })
})

describe("voucher codes", () => {
  it("are made of the unambiguous alphabet only, at full length, from any bytes with enough usable ones", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes) => {
        const usable = bytes.filter((b) => b < 248).length
        const code = codeFromBytes(bytes)
        if (usable < GENERATED_CODE_LENGTH) return expect(Option.isNone(code)).toBe(true)
        const value = Option.getOrThrow(code)
        expect(value).toHaveLength(GENERATED_CODE_LENGTH)
        expect([...value].every((c) => CODE_ALPHABET.includes(c))).toBe(true)
        expect(value).not.toMatch(/[01ILO]/)
      })
    )
  })

  it("skip the bytes that would make some letters likelier than others", () => {
    const bytes = new Uint8Array([255, 248, 0, 30, 247, ...Array(20).fill(1)])
    expect(Option.getOrThrow(codeFromBytes(bytes, 3))).toBe(
      `${CODE_ALPHABET[0]}${CODE_ALPHABET[30]}${CODE_ALPHABET[30]}`
    )
  })

  it("compare without case, dashes or spaces", () => {
    expect(normalizeCode(" qx7p-m2kd 9rht ")).toBe("QX7PM2KD9RHT")
  })
})

import { Option, Result } from "effect"
import { type InvalidVoucher, invalidVoucher } from "./errors.ts"
import {
  CODE_ALPHABET,
  type DiscountKind,
  GENERATED_CODE_LENGTH,
  MAX_CODE_LENGTH,
  MIN_CODE_LENGTH,
  type Voucher
} from "./Voucher.ts"

/** At most this many vouchers in one call (bulk creation). */
export const MAX_VOUCHERS_PER_BATCH = 5_000
export const MAX_REDEMPTIONS = 1_000_000
export const MAX_FIXED_DISCOUNT_MINOR = 100_000_000_00

/** A priced line of a hold: `quantity` tickets of one type at `unitPriceMinor` each. */
export interface PricedLine {
  readonly ticketTypeId: string
  readonly quantity: number
  readonly unitPriceMinor: number
}

/** What a discount depends on. */
export type Discount = Pick<Voucher, "kind" | "value" | "ticketTypeIds">

/** The code as stored and compared: upper case, without dashes or spaces. */
export const normalizeCode = (input: string): string => input.toUpperCase().replace(/[\s-]/gu, "")

/**
 * A code from random bytes (the caller's cryptographic source): each byte below 248 picks one of the 31 letters
 * (248 = 8 × 31, so every letter is equally likely), larger bytes are skipped. None when the bytes ran out first.
 */
export const codeFromBytes = (bytes: Uint8Array, length = GENERATED_CODE_LENGTH): Option.Option<string> => {
  const limit = CODE_ALPHABET.length * Math.floor(256 / CODE_ALPHABET.length)
  let code = ""
  for (const byte of bytes) {
    if (code.length === length) break
    if (byte < limit) code += CODE_ALPHABET[byte % CODE_ALPHABET.length]
  }
  return code.length === length ? Option.some(code) : Option.none()
}

const applies = (discount: Discount, ticketTypeId: string) =>
  discount.ticketTypeIds.length === 0 || discount.ticketTypeIds.includes(ticketTypeId as never)

/** The price of the lines the voucher applies to, in minor units. */
export const applicableSubtotal = (discount: Discount, lines: ReadonlyArray<PricedLine>): number =>
  lines.reduce((sum, l) => (applies(discount, l.ticketTypeId) ? sum + l.quantity * l.unitPriceMinor : sum), 0)

/**
 * The discount a voucher gives on a hold (one redemption per hold), in minor units: a fixed amount off the tickets
 * it applies to, never more than their price; or a percentage of their price, rounded down to a whole minor unit
 * (the customer never pays a fraction of a cent more than the percentage, the organizer never gives more).
 * Never negative and never more than the applicable price, so the price after it is never negative.
 */
export const discountMinor = (discount: Discount, lines: ReadonlyArray<PricedLine>): number => {
  const subtotal = applicableSubtotal(discount, lines)
  if (subtotal <= 0) return 0
  if (discount.kind === "fixed") return Math.min(Math.max(0, discount.value), subtotal)
  const percent = Math.min(100, Math.max(0, discount.value))
  return Math.floor((subtotal * percent) / 100)
}

/** The price of the lines after the voucher: never negative. */
export const priceAfter = (discount: Discount, lines: ReadonlyArray<PricedLine>): number =>
  lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor, 0) - discountMinor(discount, lines)

/**
 * Whether a voucher may be used on a hold of these ticket types at `at`: of this event, inside its window
 * (validFrom inclusive, validUntil exclusive) and for at least one of the ticket types held. Its redemptions are
 * counted elsewhere (atomically, by the repository).
 */
export const usableFor = (
  voucher: Pick<Voucher, "eventId" | "validFrom" | "validUntil" | "ticketTypeIds">,
  eventId: string,
  at: Date,
  ticketTypeIds: ReadonlyArray<string>
): boolean =>
  voucher.eventId === eventId &&
  (voucher.validFrom === null || at.getTime() >= voucher.validFrom.getTime()) &&
  (voucher.validUntil === null || at.getTime() < voucher.validUntil.getTime()) &&
  (voucher.ticketTypeIds.length === 0 || ticketTypeIds.some((id) => voucher.ticketTypeIds.includes(id as never)))

/** What an organizer asks for. */
export interface VoucherSpec {
  readonly kind: DiscountKind
  readonly value: number
  readonly ticketTypeIds: ReadonlyArray<string>
  readonly validFrom: Date | null
  readonly validUntil: Date | null
  readonly maxRedemptions: number
  /** How many vouchers (each its own code). */
  readonly count: number
  /** One chosen code instead of generated ones (count must be 1). */
  readonly code: string | null
  /**
   * Units of its one ticket type each voucher withholds from the public sale for its holders (a reserved quota);
   * absent or null: none.
   */
  readonly reservedUnits?: number | null | undefined
}

export const MAX_RESERVED_UNITS = 1_000_000

/** The rules of a new batch of vouchers; `eventTicketTypes` are the ids of the event's ticket types. */
export const checkVoucherSpec = (
  spec: VoucherSpec,
  eventTicketTypes: ReadonlyArray<string>
): Result.Result<VoucherSpec, InvalidVoucher> => {
  const whole = (n: number) => Number.isSafeInteger(n)
  if (spec.kind === "percent" && !(whole(spec.value) && spec.value >= 1 && spec.value <= 100))
    return Result.fail(invalidVoucher("a percentage discount must be a whole number from 1 to 100"))
  if (spec.kind === "fixed" && !(whole(spec.value) && spec.value >= 1 && spec.value <= MAX_FIXED_DISCOUNT_MINOR))
    return Result.fail(invalidVoucher("a fixed discount must be a positive whole number of minor units"))
  if (!(whole(spec.maxRedemptions) && spec.maxRedemptions >= 1 && spec.maxRedemptions <= MAX_REDEMPTIONS))
    return Result.fail(invalidVoucher(`maxRedemptions must be a whole number from 1 to ${MAX_REDEMPTIONS}`))
  if (!(whole(spec.count) && spec.count >= 1 && spec.count <= MAX_VOUCHERS_PER_BATCH))
    return Result.fail(invalidVoucher(`count must be a whole number from 1 to ${MAX_VOUCHERS_PER_BATCH}`))
  if (spec.validFrom !== null && spec.validUntil !== null && spec.validUntil.getTime() <= spec.validFrom.getTime())
    return Result.fail(invalidVoucher("validUntil must be after validFrom"))
  const unknown = spec.ticketTypeIds.find((id) => !eventTicketTypes.includes(id))
  if (unknown !== undefined)
    return Result.fail(invalidVoucher(`ticket type ${unknown} is not a ticket type of this event`))
  const reserved = spec.reservedUnits ?? null
  if (reserved !== null) {
    if (!(whole(reserved) && reserved >= 1 && reserved <= MAX_RESERVED_UNITS))
      return Result.fail(invalidVoucher(`reservedUnits must be a whole number from 1 to ${MAX_RESERVED_UNITS}`))
    if (spec.ticketTypeIds.length !== 1)
      return Result.fail(invalidVoucher("a voucher with reservedUnits must name exactly one ticket type"))
  }
  if (spec.code !== null) {
    if (spec.count !== 1) return Result.fail(invalidVoucher("a chosen code makes one voucher: leave count out or 1"))
    const code = normalizeCode(spec.code)
    if (code.length < MIN_CODE_LENGTH || code.length > MAX_CODE_LENGTH)
      return Result.fail(
        invalidVoucher(`a chosen code must have ${MIN_CODE_LENGTH} to ${MAX_CODE_LENGTH} letters and digits`)
      )
  }
  return Result.succeed(spec)
}

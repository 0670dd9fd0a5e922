import { Schema } from "effect"

/** ISO 4217 alphabetic code, upper case (EUR, USD, JPY...). */
export const Currency = Schema.String.check(
  Schema.isPattern(/^[A-Z]{3}$/u, {
    message: "must be an ISO 4217 currency code of three upper-case letters, e.g. EUR"
  })
)
  .pipe(Schema.brand("Currency"))
  .annotate({
    description: "ISO 4217 currency code, three upper-case letters",
    examples: ["EUR" as never]
  })
export type Currency = typeof Currency.Type

/** An amount in the currency's minor unit (cents for EUR), never a float. */
export const MinorUnits = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100_000_000_00 })).annotate({
  description: "Amount in minor units (e.g. cents), a non-negative integer"
})
export type MinorUnits = typeof MinorUnits.Type

/** A sum in minor units (an order's total, a refund): a non-negative integer with no bound but the platform's. */
export const MinorAmount = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
  description: "Amount in minor units (e.g. cents), a non-negative integer"
})
export type MinorAmount = typeof MinorAmount.Type

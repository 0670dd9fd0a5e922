import { Schema } from "effect"

/** ISO 4217 alphabetic code, upper case (EUR, USD, JPY...). */
export const Currency = Schema.String.pipe(
  Schema.pattern(/^[A-Z]{3}$/),
  Schema.brand("Currency"),
  Schema.annotations({
    description: "ISO 4217 currency code, three upper-case letters",
    examples: ["EUR" as never],
    message: () => "must be an ISO 4217 currency code of three upper-case letters, e.g. EUR"
  })
)
export type Currency = typeof Currency.Type

/** An amount in the currency's minor unit (cents for EUR), never a float. */
export const MinorUnits = Schema.Int.pipe(
  Schema.between(0, 100_000_000_00),
  Schema.annotations({ description: "Amount in minor units (e.g. cents), a non-negative integer" })
)
export type MinorUnits = typeof MinorUnits.Type

import type { Schema } from "effect"

/**
 * Request bodies report every problem at once, not only the first one, and refuse fields the API does not
 * know (a misspelt optional field would otherwise be silently ignored).
 */
export const payload = <S extends Schema.Schema.Any>(schema: S, identifier: string): S =>
  schema.annotations({ identifier, parseOptions: { errors: "all", onExcessProperty: "error" } }) as S

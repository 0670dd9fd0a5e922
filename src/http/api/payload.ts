import type { Schema } from "effect"

/** Request bodies report every problem at once, not only the first one. */
export const payload = <S extends Schema.Schema.Any>(schema: S, identifier: string): S =>
  schema.annotations({ identifier, parseOptions: { errors: "all" } }) as S

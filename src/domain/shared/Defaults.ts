import { Effect, Schema } from "effect"

/**
 * A field that may be left out, both when decoding (absent or undefined) and when constructing, and then takes
 * `value()`: Effect 3's `Schema.optionalWith(schema, { default: value })`.
 */
export const withDefault = <S extends Schema.Constraint & Schema.WithoutConstructorDefault>(
  schema: S,
  value: () => S["Type"]
): Schema.withConstructorDefault<Schema.withDecodingDefaultType<S>> => {
  const decoding = Schema.withDecodingDefaultType<S>(Effect.sync(value))(schema)
  return Schema.withConstructorDefault<Schema.withDecodingDefaultType<S>>(Effect.sync(value))(decoding)
}

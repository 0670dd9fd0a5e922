import { Schema, SchemaTransformation } from "effect"

/** Keyset pagination: an opaque cursor for the next page, null on the last one. */
export interface PageOf<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}

/**
 * A whole number between `minimum` and `maximum` as a query string writes it (decimal digits only). The OpenAPI
 * document states it as a bounded integer (src/http/api/OpenApiDocument.ts turns the string's `allOf` into it).
 */
export const IntegerText = (minimum: number, maximum: number) => {
  const message = `must be a whole number from ${minimum} to ${maximum}`
  return Schema.String.check(
    Schema.makeFilter(
      (text: string) => (/^\d{1,15}$/.test(text) && Number(text) >= minimum && Number(text) <= maximum) || message,
      { toJsonSchema: () => ({ type: "integer", minimum, maximum }) }
    )
  ).pipe(
    Schema.decodeTo(
      Schema.Int.check(Schema.isBetween({ minimum, maximum }, { message })),
      SchemaTransformation.transform({ decode: (text) => Number(text), encode: (n) => String(n) })
    )
  )
}

/** A page size in a query string: 1 to 100. */
export const PageLimit = IntegerText(1, 100)

import { Schema, SchemaTransformation } from "effect"
import { encodeCursor, type KeysetPosition } from "./Cursor.ts"

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

/**
 * A page from the rows of a keyset query that asked for one row more than `limit`: the first `limit` rows, and the
 * cursor after the last of them when that extra row shows there is more.
 */
export const pageOf = <A>(
  rows: ReadonlyArray<A>,
  limit: number,
  positionOf: (row: A) => KeysetPosition
): { readonly items: Array<A>; readonly nextCursor: string | null } => {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null }
}

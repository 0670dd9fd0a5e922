import { Schema } from "effect"

/** Keyset pagination: an opaque cursor for the next page, null on the last one. */
export interface PageOf<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}

export const PageLimit = Schema.NumberFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 100 }))

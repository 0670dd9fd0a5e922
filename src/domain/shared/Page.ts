import { Schema } from "effect"

/** Keyset pagination: an opaque cursor for the next page, absent on the last one. */
export const Page = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({
    items: Schema.Array(item),
    nextCursor: Schema.NullOr(Schema.String)
  })

export interface PageOf<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}

export const PageLimit = Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 100))

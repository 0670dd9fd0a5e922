import { Schema } from "effect"

/** Half of a UTF-16 surrogate pair without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Deeper JSON than this is refused: no request of the API needs more than a few levels. */
const MAX_DEPTH = 32

/**
 * The first string in a decoded body that PostgreSQL or JSON tooling cannot store faithfully: a NUL character, or a
 * lone UTF-16 surrogate (half a character); or a body nested deeper than MAX_DEPTH.
 */
const unsafeText = (
  value: unknown,
  path: ReadonlyArray<PropertyKey>
): { readonly path: ReadonlyArray<PropertyKey>; readonly message: string } | undefined => {
  if (path.length > MAX_DEPTH) return { path, message: `must not be nested deeper than ${MAX_DEPTH} levels` }
  if (typeof value === "string") {
    if (value.includes("\u0000")) return { path, message: "must not contain NUL characters" }
    if (LONE_SURROGATE.test(value)) return { path, message: "must be valid Unicode (a lone surrogate was found)" }
    return undefined
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unsafeText(value[i], [...path, i])
      if (found) return found
    }
    return undefined
  }
  if (typeof value === "object" && value !== null && !(value instanceof Date)) {
    for (const [key, inner] of Object.entries(value)) {
      const found = unsafeText(inner, [...path, key])
      if (found) return found
    }
  }
  return undefined
}

/** How every request body is decoded: all problems at once, and fields the API does not know are refused. */
export const payloadParseOptions = { errors: "all", onExcessProperty: "error" } as const

/**
 * Request bodies refuse NUL characters and lone surrogates in any string (PostgreSQL cannot store them) and absurd
 * nesting. Every problem is reported at once, and fields the API does not know are refused (a misspelt optional
 * field would otherwise be silently ignored): `payloadParseOptions`, set on the whole API (GoTicketApi), since
 * Effect 4 takes parse options from the API rather than from the schema.
 */
export const payload = <S extends Schema.Top>(schema: S, identifier: string): S["Rebuild"] =>
  schema
    .check(
      Schema.makeFilter((value: S["Type"]) => {
        const found = unsafeText(value, [])
        return found === undefined ? undefined : { path: found.path, issue: found.message }
      })
    )
    .annotate({ identifier }) as S["Rebuild"]

/**
 * A rule the OpenAPI document states that the schema leaves to the domain, which refuses a breach with its own
 * error (e.g. 422 UnknownEventType): the value is not refused here, so that error still reaches the client.
 */
export const statedAs = <T>(jsonSchema: Record<string, unknown>) =>
  Schema.makeFilter<T>(() => true, { toJsonSchema: () => jsonSchema })

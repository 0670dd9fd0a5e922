import { Schema, SchemaTransformation } from "effect"

/**
 * A trimmed, non-empty string with an upper bound: what every name and title is. The text as sent must have a
 * character that is not white space; the bound applies once leading and trailing white space is removed. The
 * OpenAPI document states the bound on the text as sent (`maxLength`), which is never more than the server allows.
 */
export const BoundedText = (max: number) =>
  Schema.String.annotate({ description: `Text of 1 to ${max} characters; leading and trailing spaces are removed` })
    .check(
      Schema.isPattern(/\S/u, { message: "must not be empty" }),
      Schema.makeFilter(() => true, { toJsonSchema: () => ({ maxLength: max }) })
    )
    .pipe(
      Schema.decodeTo(
        Schema.String.check(
          Schema.isMinCodePoints(1, { message: "must not be empty" }),
          Schema.isMaxCodePoints(max, { message: `must be at most ${max} characters` })
        ),
        SchemaTransformation.trim()
      )
    )

const canonicalZone = (name: string): string | undefined => {
  try {
    return name.length > 0 ? new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone : undefined
  } catch {
    return undefined
  }
}

/** The canonical IANA zone names this runtime knows: what the OpenAPI document lists. */
export const knownTimeZones: ReadonlyArray<string> = [...Intl.supportedValuesOf("timeZone"), "UTC"].sort()

/**
 * An IANA time zone name that the runtime knows, stored in its canonical spelling (europe/paris → Europe/Paris). The
 * document lists the canonical names; other spellings and aliases the runtime knows (UTC, US/Eastern) are accepted too.
 */
export const TimeZoneName = Schema.String.annotate({
  description: "IANA time zone name, e.g. Europe/Paris",
  examples: ["Europe/Paris"]
})
  .check(
    Schema.makeFilter((name: string) => canonicalZone(name) !== undefined, {
      message: "must be an IANA time zone name such as Europe/Paris",
      toJsonSchema: () => ({ enum: [...knownTimeZones] }),
      arbitraryConstraint: { patterns: [{ source: "^(Europe/Paris|America/New_York|Asia/Tokyo|UTC)$", flags: "" }] }
    })
  )
  .pipe(
    Schema.decodeTo(
      Schema.String,
      SchemaTransformation.transform({ decode: (name) => canonicalZone(name) ?? name, encode: (name) => name })
    )
  )

/** The RFC 3339 shape: a date, a time to the minute (seconds and fraction optional) and `Z` or a zone offset. */
const RFC3339 =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/u

/** Whether the day exists in its month (no 31 April, 29 February only in leap years). */
const isRealDate = (text: string): boolean => {
  const year = Number(text.slice(0, 4))
  const month = Number(text.slice(5, 7))
  const day = Number(text.slice(8, 10))
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** An instant, written as an RFC 3339 date-time with `Z` or a zone offset (seconds may be left out). */
export const Instant = Schema.String.annotate({
  format: "date-time",
  description: "RFC 3339 date-time with `Z` or a zone offset, e.g. 2027-06-01T19:30:00Z",
  examples: ["2027-06-01T19:30:00Z"]
})
  .check(
    Schema.isPattern(RFC3339, {
      message: "must be an RFC 3339 date-time with a zone offset, e.g. 2027-06-01T19:30:00Z"
    }),
    Schema.makeFilter((text: string) => isRealDate(text) || "must be a date that exists, e.g. not 31 April")
  )
  .pipe(Schema.decodeTo(Schema.Date, SchemaTransformation.dateFromString))

/**
 * An instant as the platform writes it: an ISO 8601 date-time in UTC (`Date.toISOString()`, e.g.
 * 2027-06-01T19:30:00.000Z), stated as `format: date-time` in the OpenAPI document. Decodes any date-time text the
 * platform itself stored (a database timestamp with its offset included): for what a client sends, see `Instant`.
 */
export const Timestamp = Schema.String.annotate({
  format: "date-time",
  description: "ISO 8601 date-time in UTC, e.g. 2027-06-01T19:30:00.000Z",
  expected: "a date-time string"
}).pipe(Schema.decodeTo(Schema.Date, SchemaTransformation.dateFromString))

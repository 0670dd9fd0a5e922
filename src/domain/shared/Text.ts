import { Schema, SchemaTransformation } from "effect"

/** A trimmed, non-empty string with an upper bound: what every name and title is. */
export const BoundedText = (max: number) =>
  Schema.Trim.check(
    Schema.isMinLength(1, { message: "must not be empty" }),
    Schema.isMaxLength(max, { message: `must be at most ${max} characters` })
  )

const canonicalZone = (name: string): string | undefined => {
  try {
    return name.length > 0 ? new Intl.DateTimeFormat("en", { timeZone: name }).resolvedOptions().timeZone : undefined
  } catch {
    return undefined
  }
}

/** An IANA time zone name that the runtime knows, stored in its canonical spelling (europe/paris → Europe/Paris). */
export const TimeZoneName = Schema.String.check(
  Schema.makeFilter((name: string) => canonicalZone(name) !== undefined, {
    message: "must be an IANA time zone name such as Europe/Paris"
  })
)
  .pipe(
    Schema.decodeTo(
      Schema.String,
      SchemaTransformation.transform({ decode: (name) => canonicalZone(name) ?? name, encode: (name) => name })
    )
  )
  .annotate({ description: "IANA time zone name", examples: ["Europe/Paris"] })

/** An instant, written as an ISO 8601 string with a zone offset. */
export const Instant = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, {
    message: "must be an ISO 8601 date-time with a zone offset, e.g. 2027-06-01T19:30:00Z"
  })
)
  .pipe(Schema.decodeTo(Schema.Date, SchemaTransformation.dateFromString))
  .annotate({ description: "ISO 8601 date-time with offset" })

import { Schema } from "effect"

/** A trimmed, non-empty string with an upper bound: what every name and title is. */
export const BoundedText = (max: number) =>
  Schema.Trim.pipe(
    Schema.minLength(1, { message: () => "must not be empty" }),
    Schema.maxLength(max, { message: () => `must be at most ${max} characters` })
  )

/** An IANA time zone name that the runtime knows (Europe/Paris, America/New_York). */
export const TimeZoneName = Schema.String.pipe(
  Schema.filter(
    (name) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: name })
        return name.length > 0
      } catch {
        return false
      }
    },
    { message: () => "must be an IANA time zone name such as Europe/Paris" }
  ),
  Schema.annotations({ description: "IANA time zone name", examples: ["Europe/Paris"] })
)

/** An instant, written as an ISO 8601 string with a zone offset. */
export const Instant = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, {
    message: () => "must be an ISO 8601 date-time with a zone offset, e.g. 2027-06-01T19:30:00Z"
  }),
  Schema.compose(Schema.Date),
  Schema.annotations({ description: "ISO 8601 date-time with offset" })
)

import { Schema } from "effect"
import { HttpApiSchema } from "effect/http-api"
import { Forbidden, Unauthenticated } from "../../domain/accounts/errors.ts"

/** Errors produced by the gateway itself rather than by the domain. Documented in the OpenAPI spec. */
export class InternalServerError extends Schema.TaggedError<InternalServerError>()(
  "InternalServerError",
  { message: Schema.String, requestId: Schema.String },
  { httpApiStatus: 500, description: "An unexpected failure; quote the requestId when reporting it" }
) {}

export class MalformedRequest extends Schema.TaggedError<MalformedRequest>()(
  "MalformedRequest",
  { message: Schema.String },
  { httpApiStatus: 400, description: "The body is not valid JSON" }
) {}

export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { message: Schema.String, limitBytes: Schema.Int },
  { httpApiStatus: 413, description: "The body exceeds the configured limit" }
) {}

export const Unauthorized401 = Unauthenticated.pipe(HttpApiSchema.status(401))
export const Forbidden403 = Forbidden.pipe(HttpApiSchema.status(403))

export class RateLimited extends Schema.TaggedError<RateLimited>()(
  "RateLimited",
  { message: Schema.String, retryAfterSeconds: Schema.Int },
  {
    httpApiStatus: 429,
    description: "Too many requests: wait `retryAfterSeconds` (also in `Retry-After`) and try again"
  }
) {}

export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  { message: Schema.String },
  { httpApiStatus: 415, description: "A request body that is not labelled JSON" }
) {}

/** The kinds of problem a request can have, as the `code` of each issue. */
export const IssueCode = Schema.Literals([
  "missing",
  "unexpected",
  "invalid_type",
  "invalid_value",
  "too_long",
  "too_short",
  "pattern",
  "out_of_range",
  "not_integer",
  "ambiguous"
]).annotate({
  description:
    "missing: a required field is absent; unexpected: a field the request does not accept; invalid_type: a value of the wrong type; too_long / too_short: a string or list outside its length bounds; pattern: a string not of the stated form; out_of_range: a number outside its bounds; not_integer: a fraction where a whole number is wanted; invalid_value: any other rule (NUL characters, half a character, a date that does not exist …); ambiguous: a body that fits more than one shape"
})
export type IssueCode = typeof IssueCode.Type

/** One problem found in a request: where (`path`), what kind (`code`) and a sentence (`message`). */
export const DecodeIssue = Schema.Struct({
  code: IssueCode,
  path: Schema.Array(Schema.Union([Schema.String, Schema.Number])).annotate({
    description: "Where the problem is: field names and list positions from the top of the body, query, path or headers"
  }),
  message: Schema.String.annotate({ description: "The rule that was broken, e.g. `must be at most 254 characters`" }),
  _tag: Schema.String.annotate({ description: "The older name of the kind: Missing, Unexpected, Type, Refinement" })
}).annotate({ identifier: "Issue", description: "A problem found in the request, with the path to it" })

/** A request that does not match the contract: every problem at once, and a sentence about the first. */
export class HttpApiDecodeError extends Schema.TaggedError<HttpApiDecodeError>()(
  "HttpApiDecodeError",
  {
    issues: Schema.Array(DecodeIssue),
    message: Schema.String.annotate({
      description:
        "The first problem in a sentence naming the field and the rule, e.g. `body field email must be an email address (and 2 more problems)`"
    })
  },
  {
    httpApiStatus: 400,
    description:
      "The request does not match the contract: a missing or unknown field, a value of the wrong type or outside its rules"
  }
) {}

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

/** One problem found in a request: where (`path`) and what (`message`). */
export const DecodeIssue = Schema.Struct({
  _tag: Schema.String,
  path: Schema.Array(Schema.Union([Schema.String, Schema.Number])),
  message: Schema.String
}).annotate({ identifier: "Issue", description: "A problem found in the request, with the path to it" })

/** A request that does not match the contract: every problem at once (the shape of Effect 3's HttpApiDecodeError). */
export class HttpApiDecodeError extends Schema.TaggedError<HttpApiDecodeError>()(
  "HttpApiDecodeError",
  { issues: Schema.Array(DecodeIssue), message: Schema.String },
  { httpApiStatus: 400, description: "The request did not match the expected schema" }
) {}

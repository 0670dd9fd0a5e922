import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { Forbidden, Unauthenticated } from "../../domain/accounts/errors.ts"

/** Errors produced by the gateway itself rather than by the domain. Documented in the OpenAPI spec. */
export class InternalServerError extends Schema.TaggedError<InternalServerError>()(
  "InternalServerError",
  { message: Schema.String, requestId: Schema.String },
  HttpApiSchema.annotations({
    status: 500,
    description: "An unexpected failure; quote the requestId when reporting it"
  })
) {}

export class MalformedRequest extends Schema.TaggedError<MalformedRequest>()(
  "MalformedRequest",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 400, description: "The body is not valid JSON" })
) {}

export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  { message: Schema.String, limitBytes: Schema.Int },
  HttpApiSchema.annotations({ status: 413, description: "The body exceeds the configured limit" })
) {}

export const Unauthorized401 = Unauthenticated.annotations(HttpApiSchema.annotations({ status: 401 }))
export const Forbidden403 = Forbidden.annotations(HttpApiSchema.annotations({ status: 403 }))

export class RateLimited extends Schema.TaggedError<RateLimited>()(
  "RateLimited",
  { message: Schema.String, retryAfterSeconds: Schema.Int },
  HttpApiSchema.annotations({
    status: 429,
    description: "Too many requests: wait `retryAfterSeconds` (also in `Retry-After`) and try again"
  })
) {}

export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 415, description: "A request body that is not labelled JSON" })
) {}

import { Schema } from "effect"

/** A grant the rules refuse (no name, an empty or too long event list, an event of someone else, a past expiry…). */
export class InvalidApiKeyGrant extends Schema.TaggedError<InvalidApiKeyGrant>()("InvalidApiKeyGrant", {
  message: Schema.String
}) {}

/** No API key of the caller's with this id. */
export class ApiKeyNotFound extends Schema.TaggedError<ApiKeyNotFound>()("ApiKeyNotFound", {
  message: Schema.String
}) {}

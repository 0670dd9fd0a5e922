import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { ApiKeyNotFound, InvalidApiKeyGrant } from "../../domain/organizerkeys/errors.ts"
import {
  MAX_KEY_EVENTS,
  OrganizerApiKeyId,
  OrganizerApiKeyName,
  OrganizerKeyAccess
} from "../../domain/organizerkeys/OrganizerApiKey.ts"
import { EventId } from "../../domain/shared/Ids.ts"
import { Instant } from "../../domain/shared/Text.ts"
import { Authentication } from "./Authentication.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"

export const CreateApiKeyRequest = payload(
  Schema.Struct({
    name: OrganizerApiKeyName.annotate({ description: "What the key is for, e.g. the integration's name" }),
    access: OrganizerKeyAccess.annotate({
      description: "`read`: the organizer endpoints that only read (GET); `write`: every organizer endpoint"
    }),
    events: Schema.optionalKey(
      Schema.Array(EventId).check(Schema.isMinLength(1), Schema.isMaxLength(MAX_KEY_EVENTS))
    ).annotate({
      description: `The events the key reaches (1 to ${MAX_KEY_EVENTS} of yours); absent: all your events, present and future`
    }),
    expiresAt: Schema.optionalKey(Instant).annotate({
      description: "When the key stops working (in the future, within 730 days); absent: never"
    })
  }),
  "CreateApiKeyRequest"
)

export const ApiKeyView = Schema.Struct({
  id: OrganizerApiKeyId,
  name: Schema.String,
  prefix: Schema.String.annotate({ description: "The key's first characters, to recognise it" }),
  access: OrganizerKeyAccess,
  events: Schema.NullOr(Schema.Array(EventId)).annotate({ description: "null: all the organizer's events" }),
  createdAt: Schema.Date,
  expiresAt: Schema.NullOr(Schema.Date),
  lastUsedAt: Schema.NullOr(Schema.Date).annotate({ description: "The last call made with it, to the minute" }),
  revokedAt: Schema.NullOr(Schema.Date)
}).annotate({ identifier: "ApiKey" })

export const CreatedApiKeyView = Schema.Struct({
  ...ApiKeyView.fields,
  secret: Schema.String.annotate({
    description: "The key (gto_…). Shown only here: send it as `Authorization: Bearer gto_…` to the organizer endpoints"
  })
}).annotate({ identifier: "CreatedApiKey" })

const keyErrors = [Forbidden403] as const

/** An organizer's API keys: made, listed and revoked by the organizer in person (an API key cannot manage keys). */
export class OrganizerApiKeysApi extends HttpApiGroup.make("organizerApiKeys")
  .add(
    HttpApiEndpoint.post("create", "/v1/organizer/api-keys", {
      payload: CreateApiKeyRequest,
      success: CreatedApiKeyView.pipe(HttpApiSchema.status(201)),
      error: [...keyErrors, InvalidApiKeyGrant.pipe(HttpApiSchema.status(422))]
    })
      .annotate(OpenApi.Summary, "Create an API key for an integration")
      .annotate(
        OpenApi.Description,
        "A key lets an integration call the organizer endpoints (Organizer, Organizer orders) for the caller's events without a person's password: `Authorization: Bearer gto_…`. A `read` key may call their GET endpoints, a `write` key all of them; a key that names events reaches only those (and cannot create events). A key never reaches account, admin, customer or key endpoints. Every call made with it is recorded on the audit trail under the key's id. The answer carries the key itself, which is never shown again (only its SHA-256 is kept). Listing an event that is not the caller's is 422."
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/v1/organizer/api-keys", { success: Schema.Array(ApiKeyView), error: keyErrors })
      .annotate(OpenApi.Summary, "The caller's API keys")
      .annotate(OpenApi.Description, "Every key, revoked ones too, newest first, without their secrets.")
  )
  .add(
    HttpApiEndpoint.delete("revoke", "/v1/organizer/api-keys/:keyId", {
      params: { keyId: OrganizerApiKeyId },
      success: ApiKeyView,
      error: [...keyErrors, ApiKeyNotFound.pipe(HttpApiSchema.status(404))]
    })
      .annotate(OpenApi.Summary, "Revoke an API key")
      .annotate(
        OpenApi.Description,
        "The key opens nothing more (within 5 seconds on every server). It stays listed with its `revokedAt`; revoking it again changes nothing. Someone else's key is 404."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Organizer API keys") {}

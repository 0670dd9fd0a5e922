import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { InvalidServiceKeyGrant, ServiceKeyNotFound } from "../../domain/servicekeys/errors.ts"
import { MAX_DOOR_EVENTS, ServiceKeyId, ServiceKeyName, ServiceScope } from "../../domain/servicekeys/ServiceKey.ts"
import { MAX_KEY_LIFETIME_DAYS } from "../../domain/servicekeys/ServiceKeyRules.ts"
import { EventId } from "../../domain/shared/Ids.ts"
import { Instant } from "../../domain/shared/Text.ts"
import { Authentication } from "./Authentication.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"

export const CreateServiceKeyRequest = payload(
  Schema.Struct({
    name: ServiceKeyName.annotate({ description: "What the key is for, e.g. `box office` (1 to 100 characters)" }),
    scopes: Schema.Array(ServiceScope)
      .check(Schema.isMinLength(1, { message: "grant at least one scope" }), Schema.isMaxLength(10))
      .annotate({
        description:
          "inventory:read (availability), booking:write (holds, checkout, orders), door:scan (check-ins for `doorEvents`), support, ops (dead letters, backlog), admin (the service keys themselves: grant it on its own)"
      }),
    doorEvents: Schema.optionalKey(Schema.Array(EventId).check(Schema.isMaxLength(MAX_DOOR_EVENTS))).annotate({
      description: `The events a door:scan key may scan for (exactly when it has that scope; at most ${MAX_DOOR_EVENTS})`
    }),
    expiresAt: Schema.optionalKey(Instant).annotate({
      description: `When the key stops working: in the future, at most ${MAX_KEY_LIFETIME_DAYS} days ahead (never, when absent)`
    })
  }),
  "CreateServiceKeyRequest"
)

export const ServiceKeyView = Schema.Struct({
  id: ServiceKeyId,
  name: Schema.String,
  prefix: Schema.String.annotate({ description: "The key's first characters, to recognise it; never usable" }),
  scopes: Schema.Array(ServiceScope),
  doorEvents: Schema.Array(EventId),
  createdBy: Schema.NullOr(Schema.String).annotate({
    description: "The admin who created it; null when the operator script or another key did"
  }),
  createdAt: Schema.Date,
  expiresAt: Schema.NullOr(Schema.Date),
  lastUsedAt: Schema.NullOr(Schema.Date).annotate({ description: "Its last use, to the minute (null: never used)" }),
  revokedAt: Schema.NullOr(Schema.Date)
}).annotate({ identifier: "ServiceKey" })

export const CreatedServiceKeyView = Schema.Struct({
  key: ServiceKeyView,
  secret: Schema.String.annotate({
    description: "The key itself (gtk_…). Shown only in this answer: only its hash is kept"
  })
}).annotate({ identifier: "CreatedServiceKey" })

const keyErrors = [Forbidden403] as const

/** The internal callers' service keys, for admins: the same service as the RPC procedures and the operator CLI. */
export class ServiceKeysApi extends HttpApiGroup.make("serviceKeys")
  .add(
    HttpApiEndpoint.get("list", "/v1/admin/service-keys", { success: Schema.Array(ServiceKeyView), error: keyErrors })
      .annotate(OpenApi.Summary, "Every service key, newest first")
      .annotate(
        OpenApi.Description,
        "Revoked and expired keys included, with their prefix, scopes, expiry, last use and revocation; never a key itself. The same list as `goticket keys list`."
      )
  )
  .add(
    HttpApiEndpoint.post("create", "/v1/admin/service-keys", {
      payload: CreateServiceKeyRequest,
      success: CreatedServiceKeyView.pipe(HttpApiSchema.status(201)),
      error: [InvalidServiceKeyGrant.pipe(HttpApiSchema.status(422)), ...keyErrors]
    })
      .annotate(OpenApi.Summary, "Create a service key (its secret is shown once)")
      .annotate(
        OpenApi.Description,
        "A key for an internal caller of the RPC interface with these scopes. The answer carries the key, which is never shown again; only its hash is kept. A grant the rules refuse (a scope twice is fine, door events without door:scan or door:scan without events, an expiry in the past or too far ahead) is 422 InvalidServiceKeyGrant. On the audit trail under the admin."
      )
  )
  .add(
    HttpApiEndpoint.delete("revoke", "/v1/admin/service-keys/:serviceKeyId", {
      params: { serviceKeyId: ServiceKeyId },
      success: ServiceKeyView,
      error: [ServiceKeyNotFound.pipe(HttpApiSchema.status(404)), ...keyErrors]
    })
      .annotate(OpenApi.Summary, "Revoke a service key")
      .annotate(
        OpenApi.Description,
        "The key stops working: at once on the instance that answers, within 5 seconds on the others. Revoking a revoked key answers it unchanged. On the audit trail under the admin."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Service keys") {}

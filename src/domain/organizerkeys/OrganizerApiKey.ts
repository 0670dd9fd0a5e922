import { Schema } from "effect"
import { EventId, UserId, Uuid } from "../shared/Ids.ts"
import { BoundedText } from "../shared/Text.ts"

export const OrganizerApiKeyId = Uuid.pipe(Schema.brand("OrganizerApiKeyId")).annotate({
  description: "OrganizerApiKeyId (UUID)"
})
export type OrganizerApiKeyId = typeof OrganizerApiKeyId.Type

/**
 * What a key may do on its organizer's events: `read` the organizer endpoints that only read (GET), or `write`, which
 * also allows the ones that change something.
 */
export const OrganizerKeyAccess = Schema.Literals(["read", "write"])
export type OrganizerKeyAccess = typeof OrganizerKeyAccess.Type

/** The most events one key may name. */
export const MAX_KEY_EVENTS = 100

export const OrganizerApiKeyName = BoundedText(100)

/**
 * An organizer's credential for their own integrations (a CRM, a box-office screen, a spreadsheet export), as stored:
 * the key itself is shown once when created and kept only as a hash. `prefix` is the key's first characters, enough to
 * recognise it in a listing, never to use it.
 */
export class OrganizerApiKey extends Schema.Class<OrganizerApiKey>("OrganizerApiKey")({
  id: OrganizerApiKeyId,
  organizerId: UserId,
  name: OrganizerApiKeyName,
  prefix: Schema.String,
  access: OrganizerKeyAccess,
  /** The events the key may reach; null: every event of its organizer, present and future. */
  events: Schema.NullOr(Schema.Array(EventId)),
  createdAt: Schema.DateFromString,
  expiresAt: Schema.NullOr(Schema.DateFromString),
  /** When it last authenticated a call, to the minute (null: never used). */
  lastUsedAt: Schema.NullOr(Schema.DateFromString),
  revokedAt: Schema.NullOr(Schema.DateFromString)
}) {}

/** What an organizer asks for: the rules (OrganizerApiKeyRules.checkKeyGrant) decide whether it may be issued. */
export interface OrganizerApiKeyGrant {
  readonly name: string
  readonly access: OrganizerKeyAccess
  readonly events: ReadonlyArray<EventId> | null
  readonly expiresAt: Date | null
}

/** What a request made with a key carries on its Actor: which key, and what it may reach. */
export const ApiKeyCaller = Schema.Struct({
  keyId: OrganizerApiKeyId,
  access: OrganizerKeyAccess,
  events: Schema.NullOr(Schema.Array(EventId))
})
export type ApiKeyCaller = typeof ApiKeyCaller.Type

import { Schema } from "effect"
import { EventId, UserId, Uuid } from "../shared/Ids.ts"
import { BoundedText } from "../shared/Text.ts"

export const ServiceKeyId = Uuid.pipe(Schema.brand("ServiceKeyId")).annotate({ description: "ServiceKeyId (UUID)" })
export type ServiceKeyId = typeof ServiceKeyId.Type

/**
 * What a key may do, one scope per group of internal calls:
 * - `inventory:read`: availability of events and its stream;
 * - `booking:write`: holds, checkout, orders and their status streams, on behalf of a customer;
 * - `door:scan`: check-ins, offline scan uploads and void lists, only for the events the key names;
 * - `support`: order lookup, refunds, confirmation mails;
 * - `ops`: dead letters, outbox and saga backlog figures;
 * - `admin`: the service keys themselves (list, create, revoke). A key with it can mint a key with any scope, so it
 *   is granted on its own and only to whoever would otherwise hold the database's credentials.
 */
export const ServiceScope = Schema.Literals(["inventory:read", "booking:write", "door:scan", "support", "ops", "admin"])
export type ServiceScope = typeof ServiceScope.Type
export const SERVICE_SCOPES: ReadonlyArray<ServiceScope> = ServiceScope.literals

/** The most events one door key may name (a festival's days, a venue's season). */
export const MAX_DOOR_EVENTS = 100

export const ServiceKeyName = BoundedText(100)

/**
 * An internal caller's credential, as stored (the key itself is shown once when created and kept only as a hash).
 * `prefix` is the key's first characters, enough to recognise it in a listing, never to use it.
 */
export class ServiceKey extends Schema.Class<ServiceKey>("ServiceKey")({
  id: ServiceKeyId,
  name: ServiceKeyName,
  prefix: Schema.String,
  scopes: Schema.Array(ServiceScope),
  /** The events a `door:scan` key may scan for; empty for every other key. */
  doorEvents: Schema.Array(EventId),
  /** The admin who created it; null when created by the operator CLI without an account. */
  createdBy: Schema.NullOr(UserId),
  createdAt: Schema.DateFromString,
  expiresAt: Schema.NullOr(Schema.DateFromString),
  /** When it last authenticated a call, to the minute (null: never used). */
  lastUsedAt: Schema.NullOr(Schema.DateFromString),
  revokedAt: Schema.NullOr(Schema.DateFromString)
}) {}

/** What an admin asks for: the rules (ServiceKeyRules.checkGrant) decide whether it may be issued. */
export interface ServiceKeyGrant {
  readonly name: string
  readonly scopes: ReadonlyArray<ServiceScope>
  readonly doorEvents: ReadonlyArray<EventId>
  readonly expiresAt: Date | null
}

/** The caller an RPC call runs for: the key that authenticated it. */
export interface ServiceCaller {
  readonly keyId: ServiceKeyId
  readonly name: string
  readonly scopes: ReadonlyArray<ServiceScope>
  readonly doorEvents: ReadonlyArray<EventId>
}

/** The audit trail names actors by UUID: a key's actions are recorded under its id. */
export const auditActorOf = (keyId: ServiceKeyId): UserId => keyId as string as UserId

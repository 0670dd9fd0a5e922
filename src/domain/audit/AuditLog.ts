import { Context, type Effect, Schema } from "effect"
import type { Actor } from "../accounts/Actor.ts"
import { withDefault } from "../shared/Defaults.ts"
import { EventId, UserId, Uuid } from "../shared/Ids.ts"
import type { PageOf } from "../shared/Page.ts"

/** What was done, dotted: `<resource>.<past-tense verb>`, e.g. `event.published`, `auth.login_failed`. */
export const AuditAction = Schema.String.check(
  Schema.isPattern(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/u, {
    message: "must be dotted lower case, e.g. event.published"
  }),
  Schema.isMaxLength(100)
)

/** `denied`: refused by a rule or a permission; `failed`: attempted and did not work (e.g. a wrong password). */
export const AuditOutcome = Schema.Literals(["success", "denied", "failed"])
export type AuditOutcome = typeof AuditOutcome.Type

/** The role the actor acted in; `system` for background work, `anonymous` for callers without an account. */
export const ActorRole = Schema.Literals(["customer", "organizer", "admin", "system", "anonymous"])
export type ActorRole = typeof ActorRole.Type

/** A value of a summary: flat and small, never a nested document. */
export const SummaryValue = Schema.Union([
  Schema.String,
  Schema.Number,
  Schema.Boolean,
  Schema.Null,
  Schema.Array(Schema.Union([Schema.String, Schema.Number]))
])
export type SummaryValue = typeof SummaryValue.Type

export const SummaryFields = Schema.Record(Schema.String, SummaryValue)
export type SummaryFields = typeof SummaryFields.Type

/**
 * The state before and after the action, as far as it matters: statuses, titles, times, prices, capacities,
 * amounts, ticket ids. Never emails, names of people, passwords, tokens, ticket codes or webhook secrets
 * (`sanitizeSummary` drops such keys anyway).
 */
export const AuditSummary = Schema.Struct({
  before: Schema.optional(SummaryFields),
  after: Schema.optional(SummaryFields)
})
export type AuditSummary = typeof AuditSummary.Type

/** What the application says about an action. The adapter adds when, from where and the request and trace ids. */
export class AuditEntry extends Schema.Class<AuditEntry>("AuditEntry")({
  action: AuditAction,
  outcome: AuditOutcome,
  /** The user who acted; null for the system and anonymous callers. */
  actorId: Schema.NullOr(UserId),
  actorRole: ActorRole,
  resourceType: Schema.String.check(Schema.isPattern(/^[a-z][a-z_]*$/), Schema.isMaxLength(50)),
  /** Null when the action names no existing resource (a forged ticket code, a login for an unknown email). */
  resourceId: Schema.NullOr(Schema.String.check(Schema.isMaxLength(200))),
  /** The event the action concerns, for its organizer's view of the trail. */
  eventId: withDefault(Schema.NullOr(EventId), () => null),
  summary: withDefault(AuditSummary, () => ({}))
}) {}

/** A stored audit record: the entry, stamped by the adapter. */
export class AuditRecord extends AuditEntry.extend<AuditRecord>("AuditRecord")({
  id: Uuid,
  at: Schema.DateFromString,
  ip: Schema.NullOr(Schema.String),
  userAgent: Schema.NullOr(Schema.String),
  requestId: Schema.NullOr(Schema.String),
  traceId: Schema.NullOr(Schema.String)
}) {}

/** Every field narrows the search; `from` and `to` are inclusive. */
export interface AuditFilter {
  readonly actorId?: UserId | undefined
  readonly action?: string | undefined
  readonly resourceType?: string | undefined
  readonly resourceId?: string | undefined
  readonly eventId?: EventId | undefined
  readonly from?: Date | undefined
  readonly to?: Date | undefined
}

/**
 * Port: the append-only audit trail. Records are never changed or removed; after a record is stored, one
 * structured log line (`audit`) repeats it.
 */
export interface AuditLogShape {
  /**
   * Runs `change` and appends the record `describe` makes of its result, in one transaction: both are kept or
   * neither. A failing change writes no record. `describe` returning null records nothing (e.g. a retried request
   * that changed nothing). On a deadlock or serialization failure the PostgreSQL adapter rolls back and runs both
   * again, so `change` must be database work only (call caches, brokers and sagas after it).
   */
  readonly audited: <A, E, R>(
    change: Effect.Effect<A, E, R>,
    describe: (result: A) => AuditEntry | null
  ) => Effect.Effect<A, E, R>
  /** A record of its own: an action that changed nothing else (a refused login, an export, a refusal). */
  readonly record: (entry: AuditEntry) => Effect.Effect<void>
  /** Records newest first, `limit` per page; the cursor is the previous page's `nextCursor`. */
  readonly search: (
    filter: AuditFilter,
    page: { readonly cursor?: string | undefined; readonly limit: number }
  ) => Effect.Effect<PageOf<AuditRecord>>
}

export class AuditLog extends Context.Service<AuditLog, AuditLogShape>()("goticket/AuditLog") {}

/**
 * The actor fields of an entry for an authenticated caller. A call made with an organizer's API key is recorded under
 * the key's id (role organizer), so that the trail tells the integration's actions from the person's.
 */
export const actedBy = (actor: Actor): { readonly actorId: UserId; readonly actorRole: ActorRole } => ({
  actorId: actor.apiKey === undefined ? actor.userId : (actor.apiKey.keyId as string as UserId),
  actorRole: actor.isAdmin ? "admin" : actor.accountType
})

/** The actor fields of an entry for background work. */
export const bySystem = { actorId: null, actorRole: "system" } as const satisfies {
  readonly actorId: null
  readonly actorRole: ActorRole
}

/** The actor fields of an entry for a caller without an account (or not signed in yet). */
export const byAnonymous = { actorId: null, actorRole: "anonymous" } as const satisfies {
  readonly actorId: null
  readonly actorRole: ActorRole
}

/** Keys that can carry secrets or personal data: dropped from every summary whatever the caller put there. */
const FORBIDDEN_KEY =
  /password|secret|token|e-?mail|code|phone|card|iban|^name$|fullname|firstname|lastname|surname|address|^ip$|useragent/i
const MAX_STRING = 200
const MAX_ITEMS = 100
const MAX_KEYS = 30

const clampValue = (value: SummaryValue): SummaryValue => {
  if (typeof value === "string") return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING - 1)}…` : value
  if (Array.isArray(value))
    return value.slice(0, MAX_ITEMS).map((v) => (typeof v === "string" ? (clampValue(v) as string) : v))
  return value
}

const sanitizeFields = (fields: SummaryFields | undefined): SummaryFields | undefined => {
  if (fields === undefined) return undefined
  const kept: Record<string, SummaryValue> = {}
  for (const [key, value] of Object.entries(fields).slice(0, MAX_KEYS))
    if (!FORBIDDEN_KEY.test(key)) kept[key] = clampValue(value)
  return kept
}

/**
 * What adapters store of a summary: keys that look like secrets or personal data are dropped, strings are cut at
 * 200 characters, lists at 100 items, at most 30 keys on each side.
 */
export const sanitizeSummary = (summary: AuditSummary): AuditSummary => {
  const before = sanitizeFields(summary.before)
  const after = sanitizeFields(summary.after)
  return { ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) }
}

import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Option, Schema } from "effect"
import { ActorRole, AuditAction, AuditOutcome, AuditSummary } from "../../domain/audit/AuditLog.ts"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { decodeCursor } from "../../domain/shared/Cursor.ts"
import { EventId, UserId } from "../../domain/shared/Ids.ts"
import { Instant } from "../../domain/shared/Text.ts"
import { Authentication, RouteTagger } from "./Authentication.ts"
import { eventIdParam } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"

export const AuditRecordView = Schema.Struct({
  id: Schema.UUID,
  at: Schema.Date,
  action: Schema.String.annotations({ description: "What was done, e.g. event.published, ticket.checked_in" }),
  outcome: AuditOutcome,
  actorId: Schema.NullOr(UserId).annotations({ description: "Who did it (null: the system or an anonymous caller)" }),
  actorRole: ActorRole,
  resourceType: Schema.String,
  resourceId: Schema.NullOr(Schema.String),
  eventId: Schema.NullOr(EventId),
  summary: AuditSummary.annotations({
    description: "The state before and after (statuses, titles, times, prices, amounts; no personal data)"
  }),
  ip: Schema.NullOr(Schema.String),
  userAgent: Schema.NullOr(Schema.String),
  requestId: Schema.NullOr(Schema.String).annotations({ description: "The x-request-id of the request" }),
  traceId: Schema.NullOr(Schema.String)
}).annotations({ identifier: "AuditRecord" })

export const AuditPage = Schema.Struct({
  items: Schema.Array(AuditRecordView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "AuditPage" })

const AuditLimit = Schema.NumberFromString.pipe(
  Schema.int({ message: () => "must be a whole number" }),
  Schema.between(1, 200, { message: () => "must be between 1 and 200" })
)

const AuditCursor = Schema.String.pipe(
  Schema.maxLength(200),
  Schema.filter((cursor) => Option.isSome(decodeCursor(cursor)), {
    message: () => "must be the nextCursor of a previous page"
  })
)

const filters = {
  actorId: Schema.optional(UserId).annotations({ description: "Only what this account did" }),
  action: Schema.optional(AuditAction).annotations({ description: "e.g. event.published" }),
  resourceType: Schema.optional(Schema.String.pipe(Schema.pattern(/^[a-z][a-z_]*$/), Schema.maxLength(50))),
  resourceId: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  from: Schema.optional(Instant).annotations({ description: "Records at or after" }),
  to: Schema.optional(Instant).annotations({ description: "Records at or before" }),
  cursor: Schema.optional(AuditCursor).annotations({ description: "nextCursor of the previous page" }),
  limit: Schema.optional(AuditLimit).annotations({ description: "Page size, 1 to 200 (default 50)" })
}

export const EventAuditParams = Schema.Struct(filters).annotations({ parseOptions: { errors: "all" } })
export const AdminAuditParams = Schema.Struct({
  ...filters,
  eventId: Schema.optional(EventId).annotations({ description: "Only what concerns this event" })
}).annotations({ parseOptions: { errors: "all" } })

/** The audit trail: everything for admins, one event's trail for its organizer. Newest first, cursor-paginated. */
export class AuditApi extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("all", "/v1/admin/audit")
      .setUrlParams(AdminAuditParams)
      .addSuccess(AuditPage)
      .annotate(OpenApi.Summary, "The whole audit trail, newest first (admins)")
      .annotate(
        OpenApi.Description,
        "Every state-changing action: who (actor and role), what (action, outcome), which resource, when, from where (IP, user agent), the request and trace ids, and a before/after summary without secrets or personal data."
      )
  )
  .add(
    HttpApiEndpoint.get("forEvent")`/v1/events/${eventIdParam}/audit`
      .setUrlParams(EventAuditParams)
      .addSuccess(AuditPage)
      .addError(EventNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "An event's audit trail, newest first (its organizer)")
  )
  .addError(Forbidden403)
  .middleware(RouteTagger)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Audit") {}

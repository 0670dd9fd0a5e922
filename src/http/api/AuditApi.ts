import { Option, Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { ActorRole, AuditAction, AuditOutcome, AuditSummary } from "../../domain/audit/AuditLog.ts"
import { decodeCursor } from "../../domain/shared/Cursor.ts"
import { EventId, UserId } from "../../domain/shared/Ids.ts"
import { IntegerText } from "../../domain/shared/Page.ts"
import { Instant, Timestamp } from "../../domain/shared/Text.ts"
import { Authentication } from "./Authentication.ts"
import { EventNotFound404, eventIdParam } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"

export const AuditRecordView = Schema.Struct({
  id: Schema.String.check(Schema.isUUID()),
  at: Timestamp,
  action: Schema.String.annotate({ description: "What was done, e.g. event.published, ticket.checked_in" }),
  outcome: AuditOutcome,
  actorId: Schema.NullOr(UserId).annotate({ description: "Who did it (null: the system or an anonymous caller)" }),
  actorRole: ActorRole,
  resourceType: Schema.String,
  resourceId: Schema.NullOr(Schema.String),
  eventId: Schema.NullOr(EventId),
  summary: AuditSummary.annotate({
    description: "The state before and after (statuses, titles, times, prices, amounts; no personal data)"
  }),
  ip: Schema.NullOr(Schema.String),
  userAgent: Schema.NullOr(Schema.String),
  requestId: Schema.NullOr(Schema.String).annotate({ description: "The x-request-id of the request" }),
  traceId: Schema.NullOr(Schema.String)
}).annotate({ identifier: "AuditRecord" })

export const AuditPage = Schema.Struct({
  items: Schema.Array(AuditRecordView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotate({ identifier: "AuditPage" })

const AuditLimit = IntegerText(1, 200)

const AuditCursor = Schema.String.check(
  Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }),
  Schema.makeFilter((cursor: string) => Option.isSome(decodeCursor(cursor)), {
    message: "must be the nextCursor of a previous page"
  })
)

const filters = {
  actorId: Schema.optional(UserId).annotate({ description: "Only what this account did" }),
  action: Schema.optional(AuditAction).annotate({ description: "e.g. event.published" }),
  resourceType: Schema.optional(
    Schema.String.check(
      Schema.isPattern(/^[a-z][a-z_]*$/u),
      Schema.isMaxCodePoints(50, { message: "must be at most 50 characters" })
    )
  ),
  resourceId: Schema.optional(
    Schema.String.check(Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }))
  ),
  from: Schema.optional(Instant).annotate({ description: "Records at or after" }),
  to: Schema.optional(Instant).annotate({ description: "Records at or before" }),
  cursor: Schema.optional(AuditCursor).annotate({ description: "nextCursor of the previous page" }),
  limit: Schema.optional(AuditLimit).annotate({ description: "Page size, 1 to 200 (default 50)" })
}

/** The audit filters; the query of both endpoints reports all its problems at once (QueryParseOptions below). */
export const EventAuditParams = Schema.Struct(filters)
export const AdminAuditParams = Schema.Struct({
  ...filters,
  eventId: Schema.optional(EventId).annotate({ description: "Only what concerns this event" })
})

/** The audit trail: everything for admins, one event's trail for its organizer. Newest first, cursor-paginated. */
export class AuditApi extends HttpApiGroup.make("audit")
  .add(
    HttpApiEndpoint.get("all", "/v1/admin/audit", { query: AdminAuditParams, success: AuditPage, error: Forbidden403 })
      .annotate(OpenApi.Summary, "The whole audit trail, newest first (admins)")
      .annotate(
        OpenApi.Description,
        "Every state-changing action: who (actor and role), what (action, outcome), which resource, when, from where (IP, user agent), the request and trace ids, and a before/after summary without secrets or personal data."
      )
  )
  .add(
    HttpApiEndpoint.get("forEvent", "/v1/events/:eventId/audit", {
      params: eventIdParam,
      query: EventAuditParams,
      success: AuditPage,
      error: [EventNotFound404, Forbidden403]
    }).annotate(OpenApi.Summary, "An event's audit trail, newest first (its organizer)")
  )
  .middleware(Authentication)
  .annotate(HttpApi.QueryParseOptions, { errors: "all" })
  .annotate(OpenApi.Title, "Audit") {}

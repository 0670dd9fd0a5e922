import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { type AuditFilter, AuditLog, type AuditRecord } from "../../domain/audit/AuditLog.ts"
import { Catalog } from "../../services/catalog/Catalog.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"

const DEFAULT_AUDIT_PAGE = 50

const recordView = (r: AuditRecord) => ({
  id: r.id,
  at: r.at,
  action: r.action,
  outcome: r.outcome,
  actorId: r.actorId,
  actorRole: r.actorRole,
  resourceType: r.resourceType,
  resourceId: r.resourceId,
  eventId: r.eventId,
  summary: r.summary,
  ip: r.ip,
  userAgent: r.userAgent,
  requestId: r.requestId,
  traceId: r.traceId
})

export const AuditLive = HttpApiBuilder.group(GoTicketApi, "audit", (handlers) =>
  Effect.gen(function* () {
    const audit = yield* AuditLog
    const catalog = yield* Catalog
    const page = (
      filter: AuditFilter,
      params: { readonly cursor?: string | undefined; readonly limit?: number | undefined }
    ) =>
      audit
        .search(filter, { cursor: params.cursor, limit: params.limit ?? DEFAULT_AUDIT_PAGE })
        .pipe(Effect.map((found) => ({ items: found.items.map(recordView), nextCursor: found.nextCursor })))

    return handlers
      .handle("all", ({ query }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          if (!actor.isAdmin) return yield* new Forbidden({ message: "only admins read the whole audit trail" })
          const { cursor, limit, ...filter } = query
          return yield* page(filter, { cursor, limit })
        })
      )
      .handle("forEvent", ({ params, query }) =>
        Effect.gen(function* () {
          // Like the event's stats: its organizer (or an admin); someone else's draft is 404, their event 403.
          yield* catalog.requireManaged(yield* CurrentActor, params.eventId)
          const { cursor, limit, ...filter } = query
          return yield* page({ ...filter, eventId: params.eventId }, { cursor, limit })
        })
      )
  })
)

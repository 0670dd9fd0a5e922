import { type Cause, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import {
  type ActorRole,
  AuditLog,
  type AuditOutcome,
  AuditRecord,
  type AuditSummary
} from "../../domain/audit/AuditLog.ts"
import { decodeCursor } from "../../domain/shared/Cursor.ts"
import type { EventId, UserId } from "../../domain/shared/Ids.ts"
import { pageOf } from "../../domain/shared/Page.ts"
import { isConflict } from "../sql/Transient.ts"
import { logRecord, stamp } from "./AuditStamp.ts"

interface AuditRow {
  readonly id: string
  readonly at: Date
  readonly action: string
  readonly outcome: AuditOutcome
  readonly actorId: string | null
  readonly actorRole: ActorRole
  readonly resourceType: string
  readonly resourceId: string | null
  readonly eventId: string | null
  readonly summary: AuditSummary
  readonly ip: string | null
  readonly userAgent: string | null
  readonly requestId: string | null
  readonly traceId: string | null
}

const recordFromRow = (r: AuditRow) =>
  new AuditRecord(
    {
      id: r.id,
      at: r.at,
      action: r.action,
      outcome: r.outcome,
      actorId: r.actorId as UserId | null,
      actorRole: r.actorRole,
      resourceType: r.resourceType,
      resourceId: r.resourceId,
      eventId: r.eventId as EventId | null,
      summary: r.summary,
      ip: r.ip,
      userAgent: r.userAgent,
      requestId: r.requestId,
      traceId: r.traceId
    },
    { disableChecks: true }
  )

/** A conflict (Transient.isConflict) anywhere in the transaction's failure, a defect included. */
const isRetryable = (cause: Cause.Cause<unknown>) =>
  cause.reasons.some((reason) =>
    isConflict(reason._tag === "Fail" ? reason.error : reason._tag === "Die" ? reason.defect : undefined)
  )

/** The change's own failure, carried through the transaction so it can be told apart from the database's. */
class ChangeFailed<E> {
  readonly error: E
  constructor(error: E) {
    this.error = error
  }
}

/**
 * The audit trail in PostgreSQL (`audit_log`, migrations/0007_audit_log.sql: append-only by triggers and
 * privileges). `audited` runs the change and the insert in one transaction; repositories that open their own
 * transaction inside it get a savepoint. The repositories' own retries of conflicts cannot work inside a
 * transaction (the first error aborts it), so the whole transaction is retried here instead.
 */
export const AuditLogPg = Layer.effect(
  AuditLog,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insert = (r: AuditRecord) =>
      sql`INSERT INTO audit_log (id, at, action, outcome, actor_id, actor_role, resource_type, resource_id, event_id,
            summary, ip, user_agent, request_id, trace_id)
          VALUES (${r.id}, ${r.at}, ${r.action}, ${r.outcome}, ${r.actorId}, ${r.actorRole}, ${r.resourceType},
            ${r.resourceId}, ${r.eventId}, ${JSON.stringify(r.summary)}::jsonb, ${r.ip}, ${r.userAgent},
            ${r.requestId}, ${r.traceId})`.pipe(Effect.asVoid, Effect.orDie, Effect.withSpan("AuditLog.insert"))

    return AuditLog.of({
      audited: (change, describe) =>
        Effect.gen(function* () {
          const result = yield* Effect.mapError(change, (error) => new ChangeFailed(error))
          const entry = describe(result)
          if (entry === null) return [result, null] as const
          const record = yield* stamp(entry)
          yield* insert(record)
          return [result, record] as const
        }).pipe(
          sql.withTransaction,
          Effect.sandbox,
          Effect.retry({ times: 3, while: isRetryable }),
          Effect.catch(Effect.failCause),
          Effect.catch((e) => (e instanceof ChangeFailed ? Effect.fail(e.error) : Effect.die(e))),
          Effect.tap(([, record]) => (record === null ? Effect.void : logRecord(record))),
          Effect.map(([result]) => result),
          Effect.withSpan("AuditLog.audited")
        ),
      record: (entry) =>
        stamp(entry).pipe(Effect.tap(insert), Effect.flatMap(logRecord), Effect.withSpan("AuditLog.record")),
      search: (filter, { cursor, limit }) => {
        const position = Option.flatMap(Option.fromNullishOr(cursor), decodeCursor)
        return sql<AuditRow>`SELECT * FROM audit_log WHERE ${sql.and([
          filter.actorId === undefined ? sql`true` : sql`actor_id = ${filter.actorId}`,
          filter.action === undefined ? sql`true` : sql`action = ${filter.action}`,
          filter.resourceType === undefined ? sql`true` : sql`resource_type = ${filter.resourceType}`,
          filter.resourceId === undefined ? sql`true` : sql`resource_id = ${filter.resourceId}`,
          filter.eventId === undefined ? sql`true` : sql`event_id = ${filter.eventId}`,
          filter.from === undefined ? sql`true` : sql`at >= ${filter.from}`,
          filter.to === undefined ? sql`true` : sql`at <= ${filter.to}`,
          Option.match(position, {
            onNone: () => sql`true`,
            onSome: (c) => sql`(at, id) < (${c.at}::timestamptz, ${c.id}::uuid)`
          })
        ])} ORDER BY at DESC, id DESC LIMIT ${limit + 1}`.pipe(
          Effect.map((rows) => pageOf(rows.map(recordFromRow), limit, (r) => ({ at: r.at, id: r.id }))),
          Effect.orDie,
          Effect.withSpan("AuditLog.search")
        )
      }
    })
  })
)

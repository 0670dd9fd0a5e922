import { randomBytes } from "node:crypto"
import { Clock, Effect, Option } from "effect"
import { AuditContext } from "../../domain/audit/AuditContext.ts"
import { type AuditEntry, AuditRecord, sanitizeSummary } from "../../domain/audit/AuditLog.ts"

/** What both audit adapters add to an entry, and the log line that repeats a stored record. */

let lastMs = -1
let sequence = 0

/**
 * A UUID of version 7: the millisecond first, then a counter within the millisecond, then randomness. Records
 * made by one process in the same millisecond therefore sort by id in the order they were made, so the
 * (at, id) order of the trail is the order of the actions.
 */
export const timeOrderedId = (ms: number): string => {
  if (ms === lastMs) sequence = (sequence + 1) & 0xfff
  else {
    lastMs = ms
    sequence = randomBytes(2).readUInt16BE(0) & 0x3ff
  }
  const time = Math.max(0, Math.trunc(ms)).toString(16).padStart(12, "0").slice(-12)
  const random = randomBytes(8)
  random[0] = ((random[0] ?? 0) & 0x3f) | 0x80
  const tail = random.toString("hex")
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${sequence.toString(16).padStart(3, "0")}-${tail.slice(0, 4)}-${tail.slice(4, 16)}`
}

const clip = (value: string | null, max: number) => (value === null ? null : value.slice(0, max))

/** The entry with its time, origin (AuditContext), trace id (current span) and a summary fit to be kept. */
export const stamp = (entry: AuditEntry): Effect.Effect<AuditRecord> =>
  Effect.gen(function* () {
    const origin = yield* AuditContext
    const ms = yield* Clock.currentTimeMillis
    const span = yield* Effect.option(Effect.currentSpan)
    return new AuditRecord(
      {
        action: entry.action,
        outcome: entry.outcome,
        actorId: entry.actorId,
        actorRole: entry.actorRole,
        resourceType: entry.resourceType,
        resourceId: entry.resourceId,
        eventId: entry.eventId,
        summary: sanitizeSummary(entry.summary),
        id: timeOrderedId(ms),
        at: new Date(ms),
        ip: clip(origin.ip, 100),
        userAgent: clip(origin.userAgent, 512),
        requestId: clip(origin.requestId, 128),
        traceId: Option.match(span, { onNone: () => null, onSome: (s) => s.traceId })
      },
      { disableChecks: true }
    )
  })

/** The structured log line of a stored record (after its transaction committed). */
export const logRecord = (record: AuditRecord): Effect.Effect<void> =>
  Effect.logInfo("audit").pipe(
    Effect.annotateLogs({
      auditId: record.id,
      at: record.at.toISOString(),
      action: record.action,
      outcome: record.outcome,
      actorId: record.actorId,
      actorRole: record.actorRole,
      resourceType: record.resourceType,
      resourceId: record.resourceId,
      eventId: record.eventId,
      summary: record.summary,
      ip: record.ip,
      userAgent: record.userAgent,
      requestId: record.requestId,
      traceId: record.traceId
    })
  )

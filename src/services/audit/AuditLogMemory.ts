import { Effect, Layer, Option, Ref } from "effect"
import { type AuditFilter, AuditLog, type AuditRecord } from "../../domain/audit/AuditLog.ts"
import { decodeCursor, type KeysetPosition } from "../../domain/shared/Cursor.ts"
import { pageOf } from "../../domain/shared/Page.ts"
import { logRecord, stamp } from "./AuditStamp.ts"

const newestFirst = (a: AuditRecord, b: AuditRecord) =>
  b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

const isBefore = (r: AuditRecord, cursor: KeysetPosition) =>
  r.at.getTime() < cursor.at.getTime() || (r.at.getTime() === cursor.at.getTime() && r.id < cursor.id)

const matches = (filter: AuditFilter) => (r: AuditRecord) =>
  (filter.actorId === undefined || r.actorId === filter.actorId) &&
  (filter.action === undefined || r.action === filter.action) &&
  (filter.resourceType === undefined || r.resourceType === filter.resourceType) &&
  (filter.resourceId === undefined || r.resourceId === filter.resourceId) &&
  (filter.eventId === undefined || r.eventId === filter.eventId) &&
  (filter.from === undefined || r.at.getTime() >= filter.from.getTime()) &&
  (filter.to === undefined || r.at.getTime() <= filter.to.getTime())

/**
 * The in-memory twin of AuditLogPg: records in one Ref per layer build. There is no transaction to share: the
 * record is appended once the change has succeeded, and nothing is appended when it fails.
 */
export const AuditLogMemory = Layer.effect(
  AuditLog,
  Effect.gen(function* () {
    const ref = yield* Ref.make<ReadonlyArray<AuditRecord>>([])
    const append = (record: AuditRecord) =>
      Ref.update(ref, (records) => [...records, record]).pipe(Effect.andThen(logRecord(record)))

    return AuditLog.of({
      audited: (change, describe) =>
        Effect.tap(change, (result) => {
          const entry = describe(result)
          return entry === null ? Effect.void : Effect.flatMap(stamp(entry), append)
        }),
      record: (entry) => Effect.flatMap(stamp(entry), append),
      search: (filter, { cursor, limit }) =>
        Effect.map(Ref.get(ref), (records) => {
          const position = Option.flatMap(Option.fromNullishOr(cursor), decodeCursor)
          const found = records
            .filter(matches(filter))
            .filter((r) => Option.match(position, { onNone: () => true, onSome: (c) => isBefore(r, c) }))
            .sort(newestFirst)
          return pageOf(found, limit, (r) => ({ at: r.at, id: r.id }))
        })
    })
  })
)

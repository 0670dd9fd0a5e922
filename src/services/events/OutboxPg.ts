import { Effect, Layer } from "effect"
import { SqlClient, SqlError } from "effect/sql"
import type { AggregateType, EventType } from "../../domain/events/DomainEvents.ts"
import { EventEnvelope } from "../../domain/events/EventEnvelope.ts"
import { Outbox } from "../../domain/events/Outbox.ts"

interface OutboxRow {
  /** bigint: int8 arrives as a JS BigInt. */
  readonly position: bigint
  readonly id: string
  readonly type: string
  readonly version: number
  readonly occurredAt: Date
  readonly aggregateType: string
  readonly aggregateId: string
  readonly payload: unknown
  readonly traceparent: string | null
}

/** The row as its envelope (checked by the envelope's schema: a row that is not one is a defect). */
const envelopeOf = (row: OutboxRow): EventEnvelope =>
  new EventEnvelope({
    id: row.id,
    type: row.type as EventType,
    version: row.version,
    occurredAt: row.occurredAt,
    aggregateType: row.aggregateType as AggregateType,
    aggregateId: row.aggregateId,
    payload: row.payload,
    traceparent: row.traceparent
  })

/** What `append` hands to jsonb_to_recordset: the envelope's fields, the time as ISO 8601. */
const recordOf = (envelope: EventEnvelope) => ({
  id: envelope.id,
  type: envelope.type,
  version: envelope.version,
  occurredAt: envelope.occurredAt.toISOString(),
  aggregateType: envelope.aggregateType,
  aggregateId: envelope.aggregateId,
  payload: envelope.payload,
  traceparent: envelope.traceparent
})

/** How many of the 16 relay slots (migrations/0005_domain_events.sql) one relay takes per batch. */
const SLOTS_PER_BATCH = 8

/**
 * The outbox in PostgreSQL. State changes write their events from triggers; `append` writes others in the caller's
 * transaction. A relay locks the slots it works on (`FOR UPDATE SKIP LOCKED`, the slots with the oldest waiting
 * events first), so relays running at once never send one event twice and each aggregate's events go out in order.
 */
export const OutboxPg = Layer.effect(
  Outbox,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    // Two statements on purpose: the events are read with a snapshot taken after the slot locks are held, so a
    // relay that gets a slot the moment another one commits sees the events that one marked sent.
    const lockSlots = sql<{ slot: number }>`
      SELECT s.slot FROM outbox_slots s
      WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.slot = s.slot AND o.sent_at IS NULL)
      ORDER BY (SELECT min(o.position) FROM outbox o WHERE o.slot = s.slot AND o.sent_at IS NULL)
      LIMIT ${SLOTS_PER_BATCH}
      FOR UPDATE SKIP LOCKED`

    const claim = (limit: number) =>
      Effect.flatMap(lockSlots, (slots) =>
        slots.length === 0
          ? Effect.succeed([] as ReadonlyArray<OutboxRow>)
          : sql<OutboxRow>`
            SELECT position, id, type, version, occurred_at, aggregate_type, aggregate_id, payload, traceparent
            FROM outbox WHERE sent_at IS NULL AND slot IN ${sql.in(slots.map((s) => s.slot))}
            ORDER BY position LIMIT ${limit}`
      )

    return Outbox.of({
      append: (events) =>
        events.length === 0
          ? Effect.void
          : sql`
            INSERT INTO outbox (id, type, version, occurred_at, aggregate_type, aggregate_id, payload, traceparent, slot)
            SELECT e.id, e.type, e.version, e."occurredAt", e."aggregateType", e."aggregateId", e.payload, e.traceparent,
                   hashtext(e."aggregateId"::text) & 15
            FROM jsonb_to_recordset(${JSON.stringify(events.map(recordOf))}::jsonb)
              AS e(id uuid, type text, version int, "occurredAt" timestamptz, "aggregateType" text, "aggregateId" uuid,
                   payload jsonb, traceparent text)`.pipe(
              Effect.asVoid,
              Effect.orDie,
              Effect.withSpan("Outbox.append")
            ),
      relay: (limit, publish) =>
        sql
          .withTransaction(
            Effect.gen(function* () {
              const rows = yield* claim(limit)
              if (rows.length === 0) return 0
              yield* publish(rows.map(envelopeOf))
              yield* sql`UPDATE outbox SET sent_at = clock_timestamp()
                WHERE position = ANY (${`{${rows.map((r) => r.position).join(",")}}`}::bigint[])`
              return rows.length
            })
          )
          .pipe(Effect.catchIf(SqlError.isSqlError, Effect.die), Effect.withSpan("Outbox.relay")),
      lag: sql<{ pending: number; oldestAgeMs: number }>`
        SELECT count(*)::int AS pending,
               coalesce(extract(epoch FROM clock_timestamp() - min(occurred_at)) * 1000, 0)::float8 AS oldest_age_ms
        FROM outbox WHERE sent_at IS NULL`.pipe(
        Effect.map(([row]) => ({ pending: row?.pending ?? 0, oldestAgeMs: Math.max(0, row?.oldestAgeMs ?? 0) })),
        Effect.orDie
      ),
      resendSince: (since) =>
        sql<{ n: number }>`WITH again AS (UPDATE outbox SET sent_at = NULL WHERE sent_at >= ${since} RETURNING 1)
          SELECT count(*)::int AS n FROM again`.pipe(
          Effect.map(([row]) => row?.n ?? 0),
          Effect.orDie
        ),
      purgeSent: (olderThan) =>
        sql<{ n: number }>`WITH gone AS (DELETE FROM outbox WHERE sent_at < ${olderThan} RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
          Effect.map(([row]) => row?.n ?? 0),
          Effect.orDie
        )
    })
  })
)

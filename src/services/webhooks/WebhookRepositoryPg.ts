import { Effect, Layer, Option, Redacted, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type { EventType, PublicEventType } from "../../domain/events/DomainEvents.ts"
import { EnvelopeJson } from "../../domain/events/EventEnvelope.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import {
  type DeliveryId,
  type DeliveryStatus,
  WebhookDelivery,
  WebhookEndpoint,
  type WebhookId
} from "../../domain/webhooks/Webhook.ts"
import {
  type ClaimedDelivery,
  WebhookRepository,
  type WebhookSubscriptions
} from "../../domain/webhooks/WebhookRepository.ts"

interface EndpointRow {
  readonly id: string
  readonly organizerId: string
  readonly url: string
  readonly eventTypes: ReadonlyArray<string>
  readonly secret: string
  readonly active: boolean
  readonly createdAt: Date
  readonly deactivatedAt: Date | null
}

interface DeliveryRow {
  readonly id: string
  readonly endpointId: string
  readonly eventId: string
  readonly eventType: string
  readonly payload: unknown
  readonly status: string
  readonly attempts: number
  readonly nextAttemptAt: Date | null
  readonly lastStatusCode: number | null
  readonly lastError: string | null
  readonly createdAt: Date
  readonly deliveredAt: Date | null
}

const endpointOf = (row: EndpointRow) =>
  new WebhookEndpoint({
    id: row.id as WebhookId,
    organizerId: row.organizerId as UserId,
    url: row.url,
    eventTypes: row.eventTypes as ReadonlyArray<PublicEventType>,
    secret: Redacted.make(row.secret),
    active: row.active,
    createdAt: row.createdAt,
    deactivatedAt: row.deactivatedAt
  })

const deliveryOf = (row: DeliveryRow) =>
  new WebhookDelivery({
    id: row.id as DeliveryId,
    endpointId: row.endpointId as WebhookId,
    eventId: row.eventId,
    eventType: row.eventType as EventType,
    payload: row.payload,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt
  })

/** A PostgreSQL array literal of names that need no quoting (event types are identifiers). */
const textArray = (items: ReadonlyArray<string>) => `{${items.join(",")}}`

const encodeEnvelope = Schema.encodeSync(EnvelopeJson)

/** The WebhookRepository on PostgreSQL (tables of migrations/0006_organizer_webhooks.sql). */
export const WebhookRepositoryPg = Layer.effect(
  WebhookRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    return WebhookRepository.of({
      register: (endpoint) =>
        sql`INSERT INTO webhook_endpoints (id, organizer_id, url, event_types, secret, active, created_at, deactivated_at)
            VALUES (${endpoint.id}, ${endpoint.organizerId}, ${endpoint.url}, ${textArray(endpoint.eventTypes)}::text[],
                    ${Redacted.value(endpoint.secret)}, ${endpoint.active}, ${endpoint.createdAt},
                    ${endpoint.deactivatedAt})`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("WebhookRepository.register")
        ),
      listByOrganizer: (organizerId) =>
        sql<EndpointRow>`SELECT * FROM webhook_endpoints WHERE organizer_id = ${organizerId} AND active
            ORDER BY created_at, id`.pipe(
          Effect.map((rows) => rows.map(endpointOf)),
          Effect.orDie,
          Effect.withSpan("WebhookRepository.listByOrganizer")
        ),
      findById: (id) =>
        sql<EndpointRow>`SELECT * FROM webhook_endpoints WHERE id = ${id}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), endpointOf)),
          Effect.orDie,
          Effect.withSpan("WebhookRepository.findById")
        ),
      deactivate: (id, at) =>
        // Data-modifying CTEs all run, in one statement: the endpoint and its pending deliveries end together.
        sql<{ n: number }>`
          WITH ended AS (
            UPDATE webhook_endpoints SET active = false, deactivated_at = ${at} WHERE id = ${id} AND active RETURNING id
          ), abandoned AS (
            UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL,
                last_error = 'the endpoint was deleted'
            WHERE endpoint_id IN (SELECT id FROM ended) AND status = 'pending'
            RETURNING id
          )
          SELECT count(*)::int AS n FROM ended`.pipe(
          Effect.map(([row]) => (row?.n ?? 0) > 0),
          Effect.orDie,
          Effect.withSpan("WebhookRepository.deactivate")
        ),
      enqueue: (envelope, organizerId, at) =>
        sql<{ id: string }>`
          INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at, created_at)
          SELECT e.id, ${envelope.id}::uuid, ${envelope.type}::text, ${encodeEnvelope(envelope)}::jsonb,
                 ${at}::timestamptz, ${at}::timestamptz
          FROM webhook_endpoints e
          WHERE e.organizer_id = ${organizerId} AND e.active AND ${envelope.type}::text = ANY (e.event_types)
          ON CONFLICT (endpoint_id, event_id) DO NOTHING
          RETURNING id`.pipe(
          Effect.map((rows) => rows.length),
          Effect.orDie,
          Effect.withSpan("WebhookRepository.enqueue", {
            attributes: { "event.id": envelope.id, "event.type": envelope.type }
          })
        ),
      subscriptions: sql<{
        readonly asOf: Date
        readonly organizerId: string | null
        readonly eventTypes: ReadonlyArray<string> | null
      }>`
          SELECT statement_timestamp() AS as_of, e.organizer_id, e.event_types
          FROM (SELECT 1) AS one LEFT JOIN webhook_endpoints e ON e.active`.pipe(
        Effect.map((rows): WebhookSubscriptions => {
          const byOrganizer = new Map<UserId, Set<EventType>>()
          for (const row of rows) {
            if (row.organizerId === null || row.eventTypes === null) continue
            const types = byOrganizer.get(row.organizerId as UserId) ?? new Set<EventType>()
            for (const type of row.eventTypes) types.add(type as EventType)
            byOrganizer.set(row.organizerId as UserId, types)
          }
          return { asOf: rows[0]?.asOf ?? new Date(0), byOrganizer }
        }),
        Effect.orDie,
        Effect.withSpan("WebhookRepository.subscriptions")
      ),
      claimDue: ({ now, leaseUntil, limit }) =>
        // One statement, one short transaction: lock due rows no one else holds (SKIP LOCKED), lease them, answer.
        // A row another claimer leased meanwhile is re-checked against `next_attempt_at <= now` and left out.
        sql<DeliveryRow & { readonly url: string; readonly secret: string }>`
          UPDATE webhook_deliveries d SET next_attempt_at = ${leaseUntil}
          FROM (
            SELECT due.id FROM webhook_deliveries due
              JOIN webhook_endpoints e ON e.id = due.endpoint_id
            WHERE due.status = 'pending' AND due.next_attempt_at <= ${now} AND e.active
            ORDER BY due.next_attempt_at
            LIMIT ${limit}
            FOR UPDATE OF due SKIP LOCKED
          ) claimed, webhook_endpoints e
          WHERE d.id = claimed.id AND e.id = d.endpoint_id
          RETURNING d.*, e.url, e.secret`.pipe(
          Effect.map((rows) =>
            rows.map(
              (row): ClaimedDelivery => ({
                delivery: deliveryOf(row),
                url: row.url,
                secret: Redacted.make(row.secret)
              })
            )
          ),
          Effect.orDie,
          Effect.withSpan("WebhookRepository.claimDue")
        ),
      recordSuccess: ({ deliveryId, attempts, at, statusCode }) =>
        sql`UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, next_attempt_at = NULL,
              last_status_code = ${statusCode}, last_error = NULL, delivered_at = ${at}
            WHERE id = ${deliveryId} AND status = 'pending' AND attempts = ${attempts}
            RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("WebhookRepository.recordSuccess")
        ),
      recordFailure: ({ deliveryId, attempts, statusCode, error, nextAttemptAt }) =>
        sql`UPDATE webhook_deliveries
            SET status = ${nextAttemptAt === null ? "failed" : "pending"}, attempts = attempts + 1,
                next_attempt_at = ${nextAttemptAt}, last_status_code = ${statusCode}, last_error = ${error}
            WHERE id = ${deliveryId} AND status = 'pending' AND attempts = ${attempts}
            RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("WebhookRepository.recordFailure")
        ),
      listDeliveries: (endpointId, page) =>
        sql<DeliveryRow>`
          SELECT * FROM webhook_deliveries WHERE endpoint_id = ${endpointId}
            ${page.before ? sql`AND (created_at, id) < (${page.before.createdAt}, ${page.before.id}::uuid)` : sql``}
          ORDER BY created_at DESC, id DESC LIMIT ${page.limit}`.pipe(
          Effect.map((rows) => rows.map(deliveryOf)),
          Effect.orDie,
          Effect.withSpan("WebhookRepository.listDeliveries")
        )
    })
  })
)

import { Clock, Effect, Layer, Option, Ref, Schema } from "effect"
import type { EventType } from "../../domain/events/DomainEvents.ts"
import { EnvelopeJson } from "../../domain/events/EventEnvelope.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { type DeliveryId, WebhookDelivery, WebhookEndpoint } from "../../domain/webhooks/Webhook.ts"
import {
  type AttemptRecord,
  type ClaimedDelivery,
  WebhookRepository,
  type WebhookSubscriptions
} from "../../domain/webhooks/WebhookRepository.ts"

interface Tables {
  readonly endpoints: ReadonlyMap<string, WebhookEndpoint>
  readonly deliveries: ReadonlyMap<string, WebhookDelivery>
}

const encodeEnvelope = Schema.encodeSync(EnvelopeJson)

const newestFirst = (a: WebhookDelivery, b: WebhookDelivery) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

const withDelivery = (tables: Tables, delivery: WebhookDelivery): Tables => ({
  ...tables,
  deliveries: new Map(tables.deliveries).set(delivery.id, delivery)
})

/** Applies an attempt's outcome to the delivery it names, if the record is not stale. */
const record = (
  ref: Ref.Ref<Tables>,
  attempt: AttemptRecord,
  change: (delivery: WebhookDelivery) => Partial<ConstructorParameters<typeof WebhookDelivery>[0]>
) =>
  Ref.modify(ref, (tables) => {
    const delivery = tables.deliveries.get(attempt.deliveryId)
    if (delivery === undefined || delivery.status !== "pending" || delivery.attempts !== attempt.attempts)
      return [false, tables] as const
    const next = new WebhookDelivery(
      { ...delivery, attempts: delivery.attempts + 1, ...change(delivery) },
      { disableChecks: true }
    )
    return [true, withDelivery(tables, next)] as const
  })

/** The in-memory twin of WebhookRepositoryPg: one Ref per layer build, every operation one atomic step. */
export const WebhookRepositoryMemory = Layer.effect(
  WebhookRepository,
  Effect.gen(function* () {
    const ref = yield* Ref.make<Tables>({ endpoints: new Map(), deliveries: new Map() })
    const read = <A>(f: (tables: Tables) => A) => Effect.map(Ref.get(ref), f)

    return WebhookRepository.of({
      register: (endpoint) =>
        Ref.update(ref, (tables) => {
          if (tables.endpoints.has(endpoint.id)) throw new Error(`webhook endpoint ${endpoint.id} exists already`)
          return { ...tables, endpoints: new Map(tables.endpoints).set(endpoint.id, endpoint) }
        }),
      listByOrganizer: (organizerId) =>
        read((tables) =>
          [...tables.endpoints.values()]
            .filter((e) => e.organizerId === organizerId && e.active)
            .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        ),
      findById: (id) => read((tables) => Option.fromNullishOr(tables.endpoints.get(id))),
      deactivate: (id, at) =>
        Ref.modify(ref, (tables) => {
          const endpoint = tables.endpoints.get(id)
          if (endpoint === undefined || !endpoint.active) return [false, tables] as const
          const deliveries = new Map(tables.deliveries)
          for (const d of tables.deliveries.values())
            if (d.endpointId === id && d.status === "pending")
              deliveries.set(
                d.id,
                new WebhookDelivery(
                  { ...d, status: "failed", nextAttemptAt: null, lastError: "the endpoint was deleted" },
                  { disableChecks: true }
                )
              )
          const endpoints = new Map(tables.endpoints).set(
            id,
            new WebhookEndpoint({ ...endpoint, active: false, deactivatedAt: at }, { disableChecks: true })
          )
          return [true, { endpoints, deliveries }] as const
        }),
      enqueue: (envelope, organizerId, at) => {
        const payload: unknown = JSON.parse(encodeEnvelope(envelope))
        return Ref.modify(ref, (tables) => {
          const deliveries = new Map(tables.deliveries)
          let created = 0
          for (const endpoint of tables.endpoints.values()) {
            if (endpoint.organizerId !== organizerId || !endpoint.active) continue
            if (!(endpoint.eventTypes as ReadonlyArray<string>).includes(envelope.type)) continue
            const seen = [...deliveries.values()].some((d) => d.endpointId === endpoint.id && d.eventId === envelope.id)
            if (seen) continue
            const delivery = new WebhookDelivery(
              {
                id: crypto.randomUUID() as DeliveryId,
                endpointId: endpoint.id,
                eventId: envelope.id,
                eventType: envelope.type,
                payload,
                status: "pending",
                attempts: 0,
                nextAttemptAt: at,
                lastStatusCode: null,
                lastError: null,
                createdAt: at,
                deliveredAt: null
              },
              { disableChecks: true }
            )
            deliveries.set(delivery.id, delivery)
            created++
          }
          return [created, created === 0 ? tables : { ...tables, deliveries }] as const
        })
      },
      subscriptions: Effect.gen(function* () {
        // The clock first: whatever was registered before it is in the tables read after it.
        const asOf = new Date(yield* Clock.currentTimeMillis)
        const tables = yield* Ref.get(ref)
        const byOrganizer = new Map<UserId, Set<EventType>>()
        for (const endpoint of tables.endpoints.values()) {
          if (!endpoint.active) continue
          const types = byOrganizer.get(endpoint.organizerId) ?? new Set<EventType>()
          for (const type of endpoint.eventTypes) types.add(type)
          byOrganizer.set(endpoint.organizerId, types)
        }
        return { asOf, byOrganizer } satisfies WebhookSubscriptions
      }),
      claimDue: ({ now, leaseUntil, limit }) =>
        Ref.modify(ref, (tables): readonly [ReadonlyArray<ClaimedDelivery>, Tables] => {
          const due = [...tables.deliveries.values()]
            .filter(
              (d) =>
                d.status === "pending" &&
                d.nextAttemptAt !== null &&
                d.nextAttemptAt.getTime() <= now.getTime() &&
                tables.endpoints.get(d.endpointId)?.active === true
            )
            .sort((a, b) => (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0))
            .slice(0, limit)
          if (due.length === 0) return [[], tables]
          const deliveries = new Map(tables.deliveries)
          const claimed = due.map((d): ClaimedDelivery => {
            const leased = new WebhookDelivery({ ...d, nextAttemptAt: leaseUntil }, { disableChecks: true })
            deliveries.set(d.id, leased)
            const endpoint = tables.endpoints.get(d.endpointId) as WebhookEndpoint
            return { delivery: leased, url: endpoint.url, secret: endpoint.secret }
          })
          return [claimed, { ...tables, deliveries }]
        }),
      recordSuccess: (attempt) =>
        record(ref, attempt, () => ({
          status: "delivered",
          nextAttemptAt: null,
          lastStatusCode: attempt.statusCode,
          lastError: null,
          deliveredAt: attempt.at
        })),
      recordFailure: (attempt) =>
        record(ref, attempt, () => ({
          status: attempt.nextAttemptAt === null ? "failed" : "pending",
          nextAttemptAt: attempt.nextAttemptAt,
          lastStatusCode: attempt.statusCode,
          lastError: attempt.error
        })),
      listDeliveries: (endpointId, page) =>
        read((tables) => {
          const before = page.before
          return [...tables.deliveries.values()]
            .filter(
              (d) =>
                d.endpointId === endpointId &&
                (before === undefined ||
                  d.createdAt.getTime() < before.createdAt.getTime() ||
                  (d.createdAt.getTime() === before.createdAt.getTime() && d.id < before.id))
            )
            .sort(newestFirst)
            .slice(0, page.limit)
        })
    })
  })
)

import { expect, layer } from "@effect/vitest"
import { Effect, type Layer, Option, Redacted, Schema } from "effect"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { EventType } from "../../src/domain/events/DomainEvents.ts"
import { EnvelopeJson, EventEnvelope } from "../../src/domain/events/EventEnvelope.ts"
import type { EventId, UserId } from "../../src/domain/shared/Ids.ts"
import { type WebhookDelivery, WebhookEndpoint, type WebhookId } from "../../src/domain/webhooks/Webhook.ts"
import { WebhookRepository } from "../../src/domain/webhooks/WebhookRepository.ts"
import { aUser } from "./UserRepositoryContract.ts"

/*
 * Times are the caller's: every operation takes them as arguments, so both adapters run on the same fixed instants.
 * Claims see every test's deliveries (one database per file), so each test deactivates its endpoints when done:
 * that ends their pending deliveries, which no later claim then sees.
 */

export const T0 = new Date("2027-03-01T12:00:00.000Z")
export const after = (date: Date, ms: number) => new Date(date.getTime() + ms)

export const anOrganizer = Effect.gen(function* () {
  const user = aUser({ accountType: "organizer" })
  yield* (yield* UserRepository).insert(user, "hash")
  return user.id
})

export const anEndpoint = (
  organizerId: UserId,
  overrides: Partial<ConstructorParameters<typeof WebhookEndpoint>[0]> = {}
) =>
  new WebhookEndpoint({
    id: crypto.randomUUID() as WebhookId,
    organizerId,
    url: "https://hooks.example.com/goticket",
    eventTypes: ["OrderConfirmed", "OrderRefunded"],
    secret: Redacted.make(`whsec_${crypto.randomUUID()}`),
    active: true,
    createdAt: T0,
    deactivatedAt: null,
    ...overrides
  })

export const aStoredEndpoint = (
  organizerId: UserId,
  overrides: Partial<ConstructorParameters<typeof WebhookEndpoint>[0]> = {}
) =>
  Effect.gen(function* () {
    const endpoint = anEndpoint(organizerId, overrides)
    yield* (yield* WebhookRepository).register(endpoint)
    return endpoint
  })

/** An envelope of the given type about `eventId` (payload shaped as an order event's). */
export const anEnvelope = (type: EventType = "OrderConfirmed", eventId = crypto.randomUUID() as EventId) =>
  new EventEnvelope({
    id: crypto.randomUUID(),
    type,
    version: 1,
    occurredAt: new Date("2027-03-01T11:59:59.123Z"),
    aggregateType: "order",
    aggregateId: crypto.randomUUID(),
    payload: {
      orderId: crypto.randomUUID(),
      customerId: crypto.randomUUID(),
      eventId,
      totalMinor: 5000,
      currency: "EUR",
      tickets: 2
    },
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
  })

const deliveriesOf = (endpointId: WebhookId) =>
  Effect.flatMap(WebhookRepository, (repo) => repo.listDeliveries(endpointId, { limit: 100 }))

const onlyDeliveryOf = (endpointId: WebhookId) =>
  Effect.map(deliveriesOf(endpointId), (all) => {
    expect(all).toHaveLength(1)
    return all[0] as WebhookDelivery
  })

/** Ends the endpoints' pending deliveries, so that later tests' claims do not see them. */
export const retire = (...endpoints: ReadonlyArray<WebhookEndpoint>) =>
  Effect.flatMap(WebhookRepository, (repo) =>
    Effect.forEach(endpoints, (e) => repo.deactivate(e.id, after(T0, 1)), { discard: true })
  )

/** One contract, every adapter: what any WebhookRepository must do. */
export const webhookRepositoryContract = (name: string, adapters: Layer.Layer<WebhookRepository | UserRepository>) =>
  layer(adapters, { timeout: "60 seconds", excludeTestServices: true })(`WebhookRepository contract: ${name}`, (it) => {
    it.effect("registers endpoints and lists an organizer's active ones, oldest first", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const bob = yield* anOrganizer
        const second = yield* aStoredEndpoint(alice, { createdAt: after(T0, 1000), eventTypes: ["EventCancelled"] })
        const first = yield* aStoredEndpoint(alice)
        const bobs = yield* aStoredEndpoint(bob)

        const listed = yield* repo.listByOrganizer(alice)
        expect(listed.map((e) => e.id)).toEqual([first.id, second.id])
        expect(listed[1]).toMatchObject({
          url: second.url,
          eventTypes: ["EventCancelled"],
          active: true,
          organizerId: alice,
          createdAt: second.createdAt,
          deactivatedAt: null
        })
        const found = Option.getOrThrow(yield* repo.findById(first.id))
        expect(Redacted.value(found.secret)).toBe(Redacted.value(first.secret))
        expect(found.eventTypes).toEqual(["OrderConfirmed", "OrderRefunded"])
        expect((yield* repo.listByOrganizer(bob)).map((e) => e.id)).toEqual([bobs.id])
        expect(Option.isNone(yield* repo.findById(crypto.randomUUID() as WebhookId))).toBe(true)
        yield* retire(first, second, bobs)
      })
    )

    it.effect("deactivates an endpoint once: no longer listed, found inactive, its pending deliveries failed", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const endpoint = yield* aStoredEndpoint(alice)
        const delivered = anEnvelope()
        yield* repo.enqueue(delivered, alice, T0)
        const [claimed] = yield* repo.claimDue({ now: T0, leaseUntil: after(T0, 30_000), limit: 10 })
        expect(claimed?.delivery.eventId).toBe(delivered.id)
        yield* repo.recordSuccess({
          deliveryId: claimed?.delivery.id as WebhookDelivery["id"],
          attempts: 0,
          at: T0,
          statusCode: 200
        })
        yield* repo.enqueue(anEnvelope(), alice, after(T0, 1))

        expect(yield* repo.deactivate(endpoint.id, after(T0, 5000))).toBe(true)
        expect(yield* repo.deactivate(endpoint.id, after(T0, 6000))).toBe(false)
        expect(yield* repo.deactivate(crypto.randomUUID() as WebhookId, T0)).toBe(false)
        expect(yield* repo.listByOrganizer(alice)).toEqual([])
        const found = Option.getOrThrow(yield* repo.findById(endpoint.id))
        expect(found).toMatchObject({ active: false, deactivatedAt: after(T0, 5000) })

        const [pending, done] = yield* deliveriesOf(endpoint.id)
        expect(pending).toMatchObject({ status: "failed", nextAttemptAt: null, lastError: "the endpoint was deleted" })
        expect(done).toMatchObject({ status: "delivered", eventId: delivered.id })
        // Nothing new for an inactive endpoint.
        expect(yield* repo.enqueue(anEnvelope(), alice, after(T0, 7000))).toBe(0)
      })
    )

    it.effect("answers who listens to what: each organizer's active endpoints' event types, read at one moment", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const bob = yield* anOrganizer
        const before = yield* repo.subscriptions
        expect(before.byOrganizer.has(alice)).toBe(false)
        yield* aStoredEndpoint(alice, { eventTypes: ["OrderConfirmed", "OrderRefunded"] })
        const second = yield* aStoredEndpoint(alice, { eventTypes: ["TicketIssued", "OrderConfirmed"] })
        const bobs = yield* aStoredEndpoint(bob, { eventTypes: ["TicketVoided"] })
        expect(yield* repo.deactivate(bobs.id, after(T0, 1))).toBe(true)

        const now = yield* repo.subscriptions
        expect(now.byOrganizer.get(alice)).toEqual(new Set(["OrderConfirmed", "OrderRefunded", "TicketIssued"]))
        expect(now.byOrganizer.has(bob)).toBe(false)
        expect(now.asOf.getTime()).toBeGreaterThanOrEqual(before.asOf.getTime())
        yield* repo.deactivate(second.id, after(T0, 2))
        expect((yield* repo.subscriptions).byOrganizer.get(alice)).toEqual(new Set(["OrderConfirmed", "OrderRefunded"]))
        for (const endpoint of yield* repo.listByOrganizer(alice)) yield* repo.deactivate(endpoint.id, after(T0, 3))
      })
    )

    it.effect("enqueues an event once per subscribed active endpoint of the organizer, with the envelope as JSON", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const bob = yield* anOrganizer
        const orders = yield* aStoredEndpoint(alice, { eventTypes: ["OrderConfirmed"] })
        const everything = yield* aStoredEndpoint(alice, { eventTypes: ["OrderConfirmed", "TicketIssued"] })
        const tickets = yield* aStoredEndpoint(alice, { eventTypes: ["TicketIssued"] })
        const gone = yield* aStoredEndpoint(alice, { eventTypes: ["OrderConfirmed"] })
        yield* repo.deactivate(gone.id, T0)
        const bobs = yield* aStoredEndpoint(bob, { eventTypes: ["OrderConfirmed"] })

        const envelope = anEnvelope("OrderConfirmed")
        expect(yield* repo.enqueue(envelope, alice, T0)).toBe(2)
        // Handed over again (a redelivery): nothing new.
        expect(yield* repo.enqueue(envelope, alice, after(T0, 1000))).toBe(0)

        const delivery = yield* onlyDeliveryOf(orders.id)
        expect(delivery).toMatchObject({
          endpointId: orders.id,
          eventId: envelope.id,
          eventType: "OrderConfirmed",
          status: "pending",
          attempts: 0,
          nextAttemptAt: T0,
          lastStatusCode: null,
          lastError: null,
          createdAt: T0,
          deliveredAt: null
        })
        // The payload is the envelope's wire form: it reads back as the same envelope.
        expect(Schema.decodeUnknownSync(EnvelopeJson)(JSON.stringify(delivery.payload))).toEqual(envelope)
        expect((yield* onlyDeliveryOf(everything.id)).eventId).toBe(envelope.id)
        expect(yield* deliveriesOf(tickets.id)).toEqual([])
        expect(yield* deliveriesOf(gone.id)).toEqual([])
        expect(yield* deliveriesOf(bobs.id)).toEqual([])
        yield* retire(orders, everything, tickets, bobs)
      })
    )

    it.effect("claims due deliveries only, leases them, and hands them out again when the lease runs out", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const endpoint = yield* aStoredEndpoint(alice)
        const early = anEnvelope()
        const late = anEnvelope()
        yield* repo.enqueue(early, alice, T0)
        yield* repo.enqueue(late, alice, after(T0, 60_000))

        expect(yield* repo.claimDue({ now: after(T0, -1), leaseUntil: T0, limit: 10 })).toEqual([])
        const claimed = yield* repo.claimDue({ now: T0, leaseUntil: after(T0, 15_000), limit: 10 })
        expect(claimed.map((c) => c.delivery.eventId)).toEqual([early.id])
        expect(claimed[0]?.url).toBe(endpoint.url)
        expect(Redacted.value(claimed[0]?.secret as Redacted.Redacted<string>)).toBe(Redacted.value(endpoint.secret))
        expect(claimed[0]?.delivery).toMatchObject({ attempts: 0, status: "pending", nextAttemptAt: after(T0, 15_000) })

        // Leased: no one else gets it until the lease runs out.
        expect(yield* repo.claimDue({ now: after(T0, 14_999), leaseUntil: after(T0, 30_000), limit: 10 })).toEqual([])
        const again = yield* repo.claimDue({ now: after(T0, 15_000), leaseUntil: after(T0, 30_000), limit: 10 })
        expect(again.map((c) => c.delivery.eventId)).toEqual([early.id])

        // Oldest due first, at most `limit`.
        const both = yield* repo.claimDue({ now: after(T0, 60_000), leaseUntil: after(T0, 90_000), limit: 1 })
        expect(both.map((c) => c.delivery.eventId)).toEqual([early.id])
        const rest = yield* repo.claimDue({ now: after(T0, 60_000), leaseUntil: after(T0, 90_000), limit: 5 })
        expect(rest.map((c) => c.delivery.eventId)).toEqual([late.id])
        yield* retire(endpoint)
      })
    )

    it.effect("records a success: delivered, one attempt more, its status code; a stale record changes nothing", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const endpoint = yield* aStoredEndpoint(alice)
        yield* repo.enqueue(anEnvelope(), alice, T0)
        const delivery = yield* onlyDeliveryOf(endpoint.id)

        expect(
          yield* repo.recordSuccess({ deliveryId: delivery.id, attempts: 3, at: after(T0, 10), statusCode: 200 })
        ).toBe(false)
        expect(
          yield* repo.recordSuccess({ deliveryId: delivery.id, attempts: 0, at: after(T0, 10), statusCode: 204 })
        ).toBe(true)
        expect(yield* onlyDeliveryOf(endpoint.id)).toMatchObject({
          status: "delivered",
          attempts: 1,
          nextAttemptAt: null,
          lastStatusCode: 204,
          lastError: null,
          deliveredAt: after(T0, 10)
        })
        // Recording it again (a worker whose lease ran out) is ignored.
        expect(
          yield* repo.recordFailure({
            deliveryId: delivery.id,
            attempts: 0,
            at: after(T0, 20),
            statusCode: 500,
            error: "late",
            nextAttemptAt: after(T0, 1000)
          })
        ).toBe(false)
        expect(
          yield* repo.claimDue({ now: after(T0, 3_600_000), leaseUntil: after(T0, 3_700_000), limit: 10 })
        ).toEqual([])
        yield* retire(endpoint)
      })
    )

    it.effect("records failures: pending again at the next attempt, then failed for good when none is left", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const endpoint = yield* aStoredEndpoint(alice)
        yield* repo.enqueue(anEnvelope(), alice, T0)
        const delivery = yield* onlyDeliveryOf(endpoint.id)

        yield* repo.recordFailure({
          deliveryId: delivery.id,
          attempts: 0,
          at: T0,
          statusCode: 503,
          error: "the endpoint answered 503",
          nextAttemptAt: after(T0, 1000)
        })
        expect(yield* onlyDeliveryOf(endpoint.id)).toMatchObject({
          status: "pending",
          attempts: 1,
          nextAttemptAt: after(T0, 1000),
          lastStatusCode: 503,
          lastError: "the endpoint answered 503"
        })
        expect(yield* repo.claimDue({ now: after(T0, 999), leaseUntil: after(T0, 5000), limit: 10 })).toEqual([])
        const [claimed] = yield* repo.claimDue({ now: after(T0, 1000), leaseUntil: after(T0, 5000), limit: 10 })
        expect(claimed?.delivery.attempts).toBe(1)

        yield* repo.recordFailure({
          deliveryId: delivery.id,
          attempts: 1,
          at: after(T0, 1000),
          statusCode: null,
          error: "connection refused",
          nextAttemptAt: null
        })
        expect(yield* onlyDeliveryOf(endpoint.id)).toMatchObject({
          status: "failed",
          attempts: 2,
          nextAttemptAt: null,
          lastStatusCode: null,
          lastError: "connection refused",
          deliveredAt: null
        })
        expect(
          yield* repo.claimDue({ now: after(T0, 3_600_000), leaseUntil: after(T0, 3_700_000), limit: 10 })
        ).toEqual([])
        yield* retire(endpoint)
      })
    )

    it.effect("lists an endpoint's deliveries newest first, page by page", () =>
      Effect.gen(function* () {
        const repo = yield* WebhookRepository
        const alice = yield* anOrganizer
        const endpoint = yield* aStoredEndpoint(alice)
        const other = yield* aStoredEndpoint(alice)
        const envelopes = Array.from({ length: 7 }, () => anEnvelope())
        // Two at the same instant: the id breaks the tie.
        for (const [i, envelope] of envelopes.entries())
          yield* repo.enqueue(envelope, alice, after(T0, Math.min(i, 5) * 1000))

        const seen: Array<WebhookDelivery> = []
        let before: { createdAt: Date; id: string } | undefined
        for (;;) {
          const page = yield* repo.listDeliveries(endpoint.id, { limit: 3, before })
          if (page.length === 0) break
          seen.push(...page)
          const last = page[page.length - 1] as WebhookDelivery
          before = { createdAt: last.createdAt, id: last.id }
        }
        expect(seen).toHaveLength(7)
        expect(new Set(seen.map((d) => d.eventId))).toEqual(new Set(envelopes.map((e) => e.id)))
        for (let i = 1; i < seen.length; i++) {
          const [a, b] = [seen[i - 1] as WebhookDelivery, seen[i] as WebhookDelivery]
          expect(
            a.createdAt.getTime() > b.createdAt.getTime() ||
              (a.createdAt.getTime() === b.createdAt.getTime() && a.id > b.id)
          ).toBe(true)
        }
        expect(seen[seen.length - 1]?.eventId).toBe(envelopes[0]?.id)
        expect((yield* deliveriesOf(other.id)).length).toBe(7)
        yield* retire(endpoint, other)
      })
    )
  })

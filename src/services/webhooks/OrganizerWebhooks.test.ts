import { describe, expect, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Redacted, Result } from "effect"
import { TestClock } from "effect/testing"
import { anEvent } from "../../../test/contracts/EventRepositoryContract.ts"
import { anEnvelope } from "../../../test/contracts/WebhookRepositoryContract.ts"
import { Actor } from "../../domain/accounts/Actor.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { EventPublished, type EventType, OrderConfirmed } from "../../domain/events/DomainEvents.ts"
import { EventEnvelope } from "../../domain/events/EventEnvelope.ts"
import type { EventId, OrderId, UserId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { EVENT_TYPES, type WebhookId } from "../../domain/webhooks/Webhook.ts"
import { WebhookRepository } from "../../domain/webhooks/WebhookRepository.ts"
import { checkWebhookUrl, DEFAULT_RETRY_POLICY, retryDelay } from "../../domain/webhooks/WebhookRules.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { OrganizerWebhooks } from "./OrganizerWebhooks.ts"
import { WebhookRepositoryMemory } from "./WebhookRepositoryMemory.ts"

const anActor = (accountType: "customer" | "organizer" = "organizer", isAdmin = false) =>
  new Actor({ userId: crypto.randomUUID() as UserId, accountType, isAdmin })

const withConfig = (settings: Record<string, string>) =>
  OrganizerWebhooks.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(WebhookRepositoryMemory, EventRepositoryMemory)),
    Layer.provide(UserRepositoryMemory),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(settings)))
  )

const anOrderConfirmed = (eventId: EventId) =>
  new OrderConfirmed({
    orderId: crypto.randomUUID() as OrderId,
    customerId: crypto.randomUUID() as UserId,
    eventId,
    totalMinor: 5000,
    currency: "EUR" as Currency,
    tickets: 2
  })

describe("webhook rules", () => {
  it("accepts https anywhere and plain http on loopback hosts only where allowed", () => {
    const allowed = { allowHttpLoopback: true }
    expect(checkWebhookUrl(" https://example.com/hooks ", allowed)).toEqual(Result.succeed("https://example.com/hooks"))
    for (const url of ["http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:3000/", "http://127.9.8.7/"])
      expect(Result.isSuccess(checkWebhookUrl(url, allowed))).toBe(true)
    for (const url of ["http://example.com/x", "http://10.0.0.1/", "http://128.0.0.1/", "http://localhost.evil.com/"])
      expect(checkWebhookUrl(url, allowed)).toMatchObject({
        _tag: "Failure",
        failure: { _tag: "InvalidWebhookUrl", url }
      })
    expect(Result.isFailure(checkWebhookUrl("http://127.0.0.1/", { allowHttpLoopback: false }))).toBe(true)
    for (const url of [
      "example.com/hooks",
      "ftp://example.com/",
      "https://user:pw@example.com/",
      "https://example.com/#x"
    ])
      expect(Result.isFailure(checkWebhookUrl(url, allowed))).toBe(true)
  })

  it("backs off exponentially, capped, and gives up after the last attempt", () => {
    const delays = Array.from({ length: 15 }, (_, i) => retryDelay(DEFAULT_RETRY_POLICY, i + 1))
    expect(
      delays.slice(0, 4).map((d) =>
        d.pipe(
          Result.fromOption(() => 0),
          Result.getOrThrow
        )
      )
    ).toEqual([1000, 2000, 4000, 8000])
    expect(delays[13]).toEqual(expect.objectContaining({ value: 3_600_000 }))
    expect(delays[14]?._tag).toBe("None")
  })
})

layer(withConfig({}))("OrganizerWebhooks (development defaults)", (it) => {
  it.effect("registers an endpoint with a fresh whsec_ secret of 32 random bytes, shown at registration", () =>
    Effect.gen(function* () {
      const webhooks = yield* OrganizerWebhooks
      const organizer = anActor()
      const { endpoint, secret } = yield* webhooks.register(organizer, {
        url: "http://127.0.0.1:9999/hooks",
        eventTypes: ["OrderConfirmed", "EventPublished", "OrderConfirmed"]
      })
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/)
      expect(Redacted.value(endpoint.secret)).toBe(secret)
      expect(endpoint).toMatchObject({
        organizerId: organizer.userId,
        eventTypes: ["OrderConfirmed", "EventPublished"]
      })
      expect(String(endpoint.secret)).not.toContain(secret)
      yield* TestClock.adjust("1 millis")
      const other = yield* webhooks.register(organizer, { url: "https://example.com/", eventTypes: ["TicketIssued"] })
      expect(other.secret).not.toBe(secret)
      expect((yield* webhooks.list(organizer)).map((e) => e.id)).toEqual([endpoint.id, other.endpoint.id])
    })
  )

  it.effect("refuses bad URLs and unknown event types with what is wrong and what is valid", () =>
    Effect.gen(function* () {
      const webhooks = yield* OrganizerWebhooks
      const organizer = anActor()
      const http = yield* Effect.flip(
        webhooks.register(organizer, { url: "http://example.com/hooks", eventTypes: ["OrderConfirmed"] })
      )
      expect(http).toMatchObject({ _tag: "InvalidWebhookUrl", url: "http://example.com/hooks" })
      expect(http.message).toContain("https")
      const unknown = yield* Effect.flip(
        webhooks.register(organizer, { url: "https://example.com/", eventTypes: ["OrderConfirmed", "OrderShipped"] })
      )
      expect(unknown).toMatchObject({ _tag: "UnknownEventType", unknown: ["OrderShipped"], validTypes: EVENT_TYPES })
      expect(unknown.message).toContain("OrderConfirmed, OrderCancelled")
      expect(yield* webhooks.list(organizer)).toEqual([])
    })
  )

  it.effect("only organizers manage webhooks, and only their own (admins any)", () =>
    Effect.gen(function* () {
      const webhooks = yield* OrganizerWebhooks
      const alice = anActor()
      const { endpoint } = yield* webhooks.register(alice, { url: "https://a.example/", eventTypes: ["TicketIssued"] })
      const customer = anActor("customer")
      expect(yield* Effect.flip(webhooks.list(customer))).toMatchObject({ _tag: "Forbidden" })
      expect(
        yield* Effect.flip(webhooks.register(customer, { url: "https://a.example/", eventTypes: ["TicketIssued"] }))
      ).toMatchObject({ _tag: "Forbidden" })
      const bob = anActor()
      expect(yield* webhooks.list(bob)).toEqual([])
      expect(yield* Effect.flip(webhooks.remove(bob, endpoint.id))).toMatchObject({ _tag: "WebhookNotFound" })
      expect(yield* Effect.flip(webhooks.deliveries(bob, endpoint.id, { limit: 10 }))).toMatchObject({
        _tag: "WebhookNotFound"
      })
      expect((yield* webhooks.deliveries(anActor("customer", true), endpoint.id, { limit: 10 })).items).toEqual([])
      yield* webhooks.remove(alice, endpoint.id)
      expect(yield* Effect.flip(webhooks.remove(alice, endpoint.id))).toMatchObject({ _tag: "WebhookNotFound" })
      expect(yield* webhooks.list(alice)).toEqual([])
      expect(yield* Effect.flip(webhooks.remove(alice, crypto.randomUUID() as WebhookId))).toMatchObject({
        _tag: "WebhookNotFound"
      })
    })
  )

  it.effect("queues a domain event for the subscribed endpoints of the organizer of the event it concerns", () =>
    Effect.gen(function* () {
      const webhooks = yield* OrganizerWebhooks
      const repo = yield* WebhookRepository
      const alice = anActor()
      const concert = anEvent(alice.userId)
      yield* (yield* EventRepository).insert(concert)
      const orders = yield* webhooks.register(alice, { url: "https://a.example/", eventTypes: ["OrderConfirmed"] })
      const events = yield* webhooks.register(alice, { url: "https://b.example/", eventTypes: ["EventPublished"] })
      const bob = anActor()
      const bobs = yield* webhooks.register(bob, { url: "https://c.example/", eventTypes: ["OrderConfirmed"] })

      const envelope = anEnvelope("OrderConfirmed", concert.id)
      expect(yield* webhooks.enqueueFor(envelope, anOrderConfirmed(concert.id))).toBe(1)
      expect(yield* webhooks.enqueueFor(envelope, anOrderConfirmed(concert.id))).toBe(0)
      const page = yield* webhooks.deliveries(alice, orders.endpoint.id, { limit: 10 })
      expect(page.items.map((d) => d.eventId)).toEqual([envelope.id])
      expect(page.nextCursor).toBeNull()
      expect((yield* repo.listDeliveries(bobs.endpoint.id, { limit: 10 })).length).toBe(0)

      // Event lifecycle events name their organizer themselves.
      const published = new EventPublished({
        eventId: concert.id,
        organizerId: alice.userId,
        title: concert.title,
        startsAt: concert.startsAt
      })
      expect(yield* webhooks.enqueueFor(anEnvelope("EventPublished", concert.id), published)).toBe(1)
      expect((yield* webhooks.deliveries(alice, events.endpoint.id, { limit: 10 })).items).toHaveLength(1)

      // An event that does not exist (any more): nothing is queued, and that is not an error.
      const ghost = crypto.randomUUID() as EventId
      expect(yield* webhooks.enqueueFor(anEnvelope("OrderConfirmed", ghost), anOrderConfirmed(ghost))).toBe(0)
    })
  )

  it.effect("pages deliveries newest first with an opaque cursor", () =>
    Effect.gen(function* () {
      const webhooks = yield* OrganizerWebhooks
      const alice = anActor()
      const concert = anEvent(alice.userId)
      yield* (yield* EventRepository).insert(concert)
      const { endpoint } = yield* webhooks.register(alice, {
        url: "https://a.example/",
        eventTypes: ["OrderConfirmed"]
      })
      const envelopes = Array.from({ length: 5 }, () => anEnvelope("OrderConfirmed", concert.id))
      for (const envelope of envelopes) {
        yield* webhooks.enqueueFor(envelope, anOrderConfirmed(concert.id))
        yield* TestClock.adjust("2 millis")
      }
      const seen: Array<string> = []
      let cursor: string | undefined
      for (let i = 0; i < 5; i++) {
        const page = yield* webhooks.deliveries(alice, endpoint.id, { cursor, limit: 2 })
        seen.push(...page.items.map((d) => d.eventId))
        if (page.nextCursor === null) break
        cursor = page.nextCursor
      }
      expect(seen).toEqual(envelopes.map((e) => e.id).reverse())
    })
  )
})

/** The memory repository, counting how often the subscriptions are read. */
let subscriptionReads = 0
const countingRepository = Layer.effect(
  WebhookRepository,
  Effect.map(Effect.service(WebhookRepository), (repo) =>
    WebhookRepository.of({
      ...repo,
      subscriptions: Effect.suspend(() => {
        subscriptionReads++
        return repo.subscriptions
      })
    })
  )
).pipe(Layer.provide(WebhookRepositoryMemory))

layer(
  OrganizerWebhooks.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(countingRepository, EventRepositoryMemory)),
    Layer.provide(UserRepositoryMemory),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
  )
)("OrganizerWebhooks.mightQueue", (it) => {
  it.effect("skips events no endpoint listens to, reads once for a backlog, never misses an earlier endpoint", () =>
    Effect.gen(function* () {
      const webhooks = yield* OrganizerWebhooks
      const alice = anActor()
      const concert = anEvent(alice.userId)
      yield* (yield* EventRepository).insert(concert)
      const envelopeAt = (type: EventType, ms: number) =>
        new EventEnvelope({ ...anEnvelope(type, concert.id), occurredAt: new Date(ms) })
      const confirmed = anOrderConfirmed(concert.id)
      yield* TestClock.adjust("1 second")
      const reads = subscriptionReads

      // Nobody listens: skipped. A backlog of events older than that read is answered without reading again.
      expect(yield* webhooks.mightQueue(envelopeAt("OrderConfirmed", 500), confirmed)).toBe(false)
      for (let ms = 501; ms < 600; ms += 10)
        expect(yield* webhooks.mightQueue(envelopeAt("OrderConfirmed", ms), confirmed)).toBe(false)
      expect(subscriptionReads - reads).toBe(1)

      // An endpoint registered before an event occurred is seen, though the last read was older than the event.
      yield* webhooks.register(alice, { url: "https://a.example/", eventTypes: ["OrderConfirmed"] })
      yield* TestClock.adjust("10 millis")
      expect(yield* webhooks.mightQueue(envelopeAt("OrderConfirmed", 1_010), confirmed)).toBe(true)
      expect(subscriptionReads - reads).toBe(2)
      // Other types stay skipped; so do events that name another organizer.
      expect(yield* webhooks.mightQueue(envelopeAt("OrderRefunded", 1_000), confirmed)).toBe(false)
      const bobs = new EventPublished({
        eventId: concert.id,
        organizerId: crypto.randomUUID() as UserId,
        title: concert.title,
        startsAt: concert.startsAt
      })
      yield* webhooks.register(alice, { url: "https://b.example/", eventTypes: ["EventPublished"] })
      yield* TestClock.adjust("10 millis")
      expect(yield* webhooks.mightQueue(envelopeAt("EventPublished", 1_020), bobs)).toBe(false)
      expect(
        yield* webhooks.mightQueue(
          envelopeAt("EventPublished", 1_020),
          new EventPublished({ ...bobs, organizerId: alice.userId })
        )
      ).toBe(true)
    })
  )
})

describe("OrganizerWebhooks in production", () => {
  const refused = (settings: Record<string, string>) =>
    Effect.gen(function* () {
      const webhooks = yield* OrganizerWebhooks
      return yield* Effect.exit(
        webhooks.register(anActor(), { url: "http://127.0.0.1:9999/hooks", eventTypes: ["OrderConfirmed"] })
      )
    }).pipe(Effect.provide(withConfig(settings)))

  it.effect("refuses plain http even on loopback when NODE_ENV=production, unless explicitly allowed", () =>
    Effect.gen(function* () {
      expect(Exit.isFailure(yield* refused({ NODE_ENV: "production" }))).toBe(true)
      expect(Exit.isFailure(yield* refused({ WEBHOOKS_ALLOW_HTTP_LOOPBACK: "false" }))).toBe(true)
      expect(Exit.isSuccess(yield* refused({ NODE_ENV: "production", WEBHOOKS_ALLOW_HTTP_LOOPBACK: "true" }))).toBe(
        true
      )
    })
  )
})

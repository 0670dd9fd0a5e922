import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { EventPublished, OrderConfirmed } from "../../src/domain/events/DomainEvents.ts"
import type { EventId, OrderId, UserId } from "../../src/domain/shared/Ids.ts"
import type { Currency } from "../../src/domain/shared/Money.ts"
import { makeWebhookReceiver } from "../../src/services/payments/testing/WebhookReceiver.ts"
import { OrganizerWebhooks } from "../../src/services/webhooks/OrganizerWebhooks.ts"
import { anEnvelope } from "../contracts/WebhookRepositoryContract.ts"
import { client, eventBody, TestServerLive } from "../support/TestServer.ts"

const anOrderConfirmed = (eventId: string) =>
  new OrderConfirmed({
    orderId: crypto.randomUUID() as OrderId,
    customerId: crypto.randomUUID() as UserId,
    eventId: eventId as EventId,
    totalMinor: 5000,
    currency: "EUR" as Currency,
    tickets: 2
  })

describe("organizer webhooks over HTTP", () => {
  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("webhooks", (it) => {
    it.effect("an organizer registers an endpoint, sees it listed (without its secret) and deletes it", () =>
      Effect.gen(function* () {
        const api = yield* client
        const organizer = yield* api.account("organizer")
        const registered = yield* api.call("POST", "/v1/organizer/webhooks", {
          token: organizer.token,
          body: { url: "http://127.0.0.1:4000/hooks", eventTypes: ["OrderConfirmed", "EventPublished"] }
        })
        expect(registered.status).toBe(201)
        expect(registered.body).toEqual({
          id: expect.any(String),
          url: "http://127.0.0.1:4000/hooks",
          eventTypes: ["OrderConfirmed", "EventPublished"],
          secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
          createdAt: expect.any(String)
        })

        const listed = yield* api.call("GET", "/v1/organizer/webhooks", { token: organizer.token })
        expect(listed.status).toBe(200)
        const { secret: _, ...view } = registered.body
        expect(listed.body).toEqual([view])
        expect(JSON.stringify(listed.body)).not.toContain(registered.body.secret)

        const removed = yield* api.call("DELETE", `/v1/organizer/webhooks/${registered.body.id}`, {
          token: organizer.token
        })
        expect(removed.status).toBe(204)
        expect((yield* api.call("GET", "/v1/organizer/webhooks", { token: organizer.token })).body).toEqual([])
        const again = yield* api.call("DELETE", `/v1/organizer/webhooks/${registered.body.id}`, {
          token: organizer.token
        })
        expect(again.status).toBe(404)
        expect(again.body._tag).toBe("WebhookNotFound")
      })
    )

    it.effect("refuses plain http to a public host, unknown event types and malformed requests, saying why", () =>
      Effect.gen(function* () {
        const api = yield* client
        const organizer = yield* api.account("organizer")
        const register = (body: unknown) => api.call("POST", "/v1/organizer/webhooks", { token: organizer.token, body })

        const http = yield* register({ url: "http://example.com/hooks", eventTypes: ["OrderConfirmed"] })
        expect(http.status).toBe(422)
        expect(http.body).toMatchObject({ _tag: "InvalidWebhookUrl", url: "http://example.com/hooks" })
        expect(http.body.message).toMatch(/must use https/)

        const notAUrl = yield* register({ url: "hooks.example.com", eventTypes: ["OrderConfirmed"] })
        expect(notAUrl.status).toBe(422)
        expect(notAUrl.body.message).toMatch(/absolute URL/)

        const unknown = yield* register({ url: "https://example.com/hooks", eventTypes: ["OrderShipped"] })
        expect(unknown.status).toBe(422)
        expect(unknown.body).toMatchObject({ _tag: "UnknownEventType", unknown: ["OrderShipped"] })
        expect(unknown.body.validTypes).toContain("OrderConfirmed")
        expect(unknown.body.message).toContain("OrderConfirmed")

        expect((yield* register({ url: "https://example.com/hooks", eventTypes: [] })).status).toBe(400)
        expect((yield* register({ url: "https://example.com/hooks" })).status).toBe(400)
        expect((yield* api.call("GET", "/v1/organizer/webhooks", { token: organizer.token })).body).toEqual([])
        expect((yield* api.call("GET", "/v1/organizer/webhooks")).status).toBe(401)
      })
    )

    it.effect("a customer cannot use webhooks; another organizer cannot see, delete or inspect one", () =>
      Effect.gen(function* () {
        const api = yield* client
        const alice = yield* api.account("organizer")
        const bob = yield* api.account("organizer")
        const customer = yield* api.account("customer")
        const body = { url: "https://alice.example/hooks", eventTypes: ["TicketIssued"] }
        const created = yield* api.call("POST", "/v1/organizer/webhooks", { token: alice.token, body })
        expect(created.status).toBe(201)
        const id = created.body.id

        const asCustomer = yield* api.call("POST", "/v1/organizer/webhooks", { token: customer.token, body })
        expect(asCustomer.status).toBe(403)
        expect(asCustomer.body._tag).toBe("Forbidden")
        expect((yield* api.call("GET", "/v1/organizer/webhooks", { token: customer.token })).status).toBe(403)

        expect((yield* api.call("GET", "/v1/organizer/webhooks", { token: bob.token })).body).toEqual([])
        const deleted = yield* api.call("DELETE", `/v1/organizer/webhooks/${id}`, { token: bob.token })
        expect(deleted.status).toBe(404)
        const peek = yield* api.call("GET", `/v1/organizer/webhooks/${id}/deliveries`, { token: bob.token })
        expect(peek.status).toBe(404)
        expect((yield* api.call("DELETE", `/v1/organizer/webhooks/${id}`, { token: customer.token })).status).toBe(403)

        // Still there for its owner.
        const mine = yield* api.call("GET", "/v1/organizer/webhooks", { token: alice.token })
        expect(mine.body.map((w: { id: string }) => w.id)).toEqual([id])
      })
    )

    it.effect("events about the organizer's event are delivered to the endpoint and listed with their status", () =>
      Effect.gen(function* () {
        const api = yield* client
        const webhooks = yield* OrganizerWebhooks
        const receiver = yield* makeWebhookReceiver()
        const organizer = yield* api.account("organizer")
        const concert = yield* api.call("POST", "/v1/events", { token: organizer.token, body: eventBody() })
        expect(concert.status).toBe(201)
        const eventId = concert.body.id as string

        const registered = yield* api.call("POST", "/v1/organizer/webhooks", {
          token: organizer.token,
          body: { url: receiver.url, eventTypes: ["OrderConfirmed", "EventPublished"] }
        })
        expect(registered.status).toBe(201)
        const webhookId = registered.body.id as string

        // What the domain-event consumer does for each event.
        const confirmed = anEnvelope("OrderConfirmed", eventId as EventId)
        expect(yield* webhooks.enqueueFor(confirmed, anOrderConfirmed(eventId))).toBe(1)
        yield* Effect.sleep("5 millis") // a later createdAt, for the newest-first order checked below
        const published = anEnvelope("EventPublished", eventId as EventId)
        const publishedEvent = new EventPublished({
          eventId: eventId as EventId,
          organizerId: organizer.id as UserId,
          title: "Night Concert",
          startsAt: new Date(concert.body.startsAt)
        })
        expect(yield* webhooks.enqueueFor(published, publishedEvent)).toBe(1)
        // Not subscribed: nothing queued.
        expect(
          yield* webhooks.enqueueFor(anEnvelope("OrderCancelled", eventId as EventId), anOrderConfirmed(eventId))
        ).toBe(0)

        const arrived = yield* receiver.acknowledged((d) => d.eventId === confirmed.id)
        expect(JSON.parse(arrived.payload)).toMatchObject({ id: confirmed.id, type: "OrderConfirmed" })
        yield* receiver.acknowledged((d) => d.eventId === published.id)

        // Recorded as delivered (the record follows the answer closely).
        let deliveries = yield* api.call("GET", `/v1/organizer/webhooks/${webhookId}/deliveries`, {
          token: organizer.token
        })
        for (
          let i = 0;
          i < 1500 && deliveries.body.items.some((d: { status: string }) => d.status !== "delivered");
          i++
        ) {
          yield* Effect.sleep("20 millis")
          deliveries = yield* api.call("GET", `/v1/organizer/webhooks/${webhookId}/deliveries`, {
            token: organizer.token
          })
        }
        expect(deliveries.status).toBe(200)
        expect(deliveries.body.nextCursor).toBeNull()
        expect(deliveries.body.items).toHaveLength(2)
        const item = deliveries.body.items.find((d: { eventId: string }) => d.eventId === confirmed.id)
        expect(item).toEqual({
          id: expect.any(String),
          eventId: confirmed.id,
          eventType: "OrderConfirmed",
          status: "delivered",
          attempts: 1,
          lastStatusCode: 200,
          lastError: null,
          createdAt: expect.any(String),
          deliveredAt: expect.any(String),
          nextAttemptAt: null
        })

        // Paged, newest first.
        const first = yield* api.call("GET", `/v1/organizer/webhooks/${webhookId}/deliveries?limit=1`, {
          token: organizer.token
        })
        expect(first.body.items.map((d: { eventId: string }) => d.eventId)).toEqual([published.id])
        expect(first.body.nextCursor).toEqual(expect.any(String))
        const second = yield* api.call(
          "GET",
          `/v1/organizer/webhooks/${webhookId}/deliveries?limit=1&cursor=${first.body.nextCursor}`,
          { token: organizer.token }
        )
        expect(second.body.items.map((d: { eventId: string }) => d.eventId)).toEqual([confirmed.id])
        expect(second.body.nextCursor).toBeNull()
        expect(
          (yield* api.call("GET", `/v1/organizer/webhooks/${webhookId}/deliveries?limit=0`, { token: organizer.token }))
            .status
        ).toBe(400)
      })
    )
  })
})

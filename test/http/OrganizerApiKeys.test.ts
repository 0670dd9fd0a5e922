import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { draftWithTicketType, publishedEvent } from "../support/SecurityWorld.ts"
import { client, eventBody, inDays, TestServerLive } from "../support/TestServer.ts"

describe("organizer API keys over HTTP", () => {
  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("keys", (it) => {
    it.effect("an organizer makes a key (shown once), lists it without its secret and revokes it", () =>
      Effect.gen(function* () {
        const api = yield* client
        const organizer = yield* api.account("organizer")
        const created = yield* api.call("POST", "/v1/organizer/api-keys", {
          token: organizer.token,
          body: { name: " Box office screen ", access: "read", expiresAt: inDays(30) }
        })
        expect(created.status).toBe(201)
        expect(created.body).toEqual({
          id: expect.any(String),
          name: "Box office screen",
          prefix: created.body.secret.slice(0, 12),
          access: "read",
          events: null,
          createdAt: expect.any(String),
          expiresAt: inDays(30),
          lastUsedAt: null,
          revokedAt: null,
          secret: expect.stringMatching(/^gto_[A-Za-z0-9_-]{43}$/)
        })
        const listed = yield* api.call("GET", "/v1/organizer/api-keys", { token: organizer.token })
        const { secret, ...view } = created.body
        expect(listed.body).toEqual([view])
        expect(JSON.stringify(listed.body)).not.toContain(secret)

        // Used once: the organizer's events answer, and the listing shows when.
        const mine = yield* api.call("GET", "/v1/organizer/events", { token: secret })
        expect(mine.status).toBe(200)
        const used = (yield* api.call("GET", "/v1/organizer/api-keys", { token: organizer.token })).body[0]
        expect(used.lastUsedAt).not.toBeNull()

        const revoked = yield* api.call("DELETE", `/v1/organizer/api-keys/${view.id}`, { token: organizer.token })
        expect(revoked.status).toBe(200)
        expect(revoked.body.revokedAt).toEqual(expect.any(String))
        const after = yield* api.call("GET", "/v1/organizer/events", { token: secret })
        expect(after.status).toBe(401)
        expect(after.body.message).toMatch(/revoked/)
        const again = yield* api.call("DELETE", `/v1/organizer/api-keys/${view.id}`, { token: organizer.token })
        expect(again.body.revokedAt).toBe(revoked.body.revokedAt)
      })
    )

    it.effect("refuses grants it cannot issue, saying why, and customers, keys and strangers", () =>
      Effect.gen(function* () {
        const api = yield* client
        const organizer = yield* api.account("organizer")
        const other = yield* api.account("organizer")
        const customer = yield* api.account("customer")
        const theirs = yield* publishedEvent(api, other, "Theirs")
        const create = (token: string, body: unknown) => api.call("POST", "/v1/organizer/api-keys", { token, body })
        const notMine = yield* create(organizer.token, { name: "x", access: "read", events: [theirs.eventId] })
        expect(notMine.status).toBe(422)
        expect(notMine.body).toMatchObject({ _tag: "InvalidApiKeyGrant", message: expect.stringMatching(/not one of/) })
        const past = yield* create(organizer.token, { name: "x", access: "read", expiresAt: "2020-01-01T00:00:00Z" })
        expect(past.status).toBe(422)
        const badAccess = yield* create(organizer.token, { name: "x", access: "admin" })
        expect(badAccess.status).toBe(400)
        expect(badAccess.body.issues[0].path).toEqual(["access"])
        expect((yield* create(organizer.token, { name: "x", access: "read", events: [] })).status).toBe(400)
        expect((yield* create(customer.token, { name: "x", access: "read" })).status).toBe(403)

        const key = (yield* create(organizer.token, { name: "all", access: "write" })).body
        // A key cannot make, list or revoke keys: these endpoints take a person's token only.
        expect((yield* create(key.secret, { name: "y", access: "write" })).status).toBe(401)
        expect((yield* api.call("GET", "/v1/organizer/api-keys", { token: key.secret })).status).toBe(401)
        // Someone else's key is not found, and stays usable.
        const foreign = yield* api.call("DELETE", `/v1/organizer/api-keys/${key.id}`, { token: other.token })
        expect(foreign.status).toBe(404)
        expect((yield* api.call("GET", "/v1/organizer/events", { token: key.secret })).status).toBe(200)
        expect((yield* api.call("GET", "/v1/organizer/api-keys", { token: other.token })).body).toEqual([])
      })
    )

    it.effect("a write key acts as its organizer, within its events, and the trail names the key", () =>
      Effect.gen(function* () {
        const api = yield* client
        const organizer = yield* api.account("organizer")
        const a = yield* draftWithTicketType(api, organizer, "Event A")
        const b = yield* draftWithTicketType(api, organizer, "Event B")
        const key = (yield* api.call("POST", "/v1/organizer/api-keys", {
          token: organizer.token,
          body: { name: "CRM", access: "write", events: [a.eventId] }
        })).body
        const edited = yield* api.call("PATCH", `/v1/events/${a.eventId}`, {
          token: key.secret,
          body: { title: "Event A, renamed" }
        })
        expect(edited.status).toBe(200)
        const published = yield* api.call("POST", `/v1/events/${a.eventId}/publish`, { token: key.secret })
        expect(published.status).toBe(200)

        const onB = yield* api.call("PATCH", `/v1/events/${b.eventId}`, { token: key.secret, body: { title: "No" } })
        expect(onB.status).toBe(403)
        expect(onB.body).toMatchObject({ _tag: "Forbidden", message: expect.stringMatching(/this event/) })
        expect((yield* api.call("GET", `/v1/events/${b.eventId}/stats`, { token: key.secret })).status).toBe(403)
        const create = yield* api.call("POST", "/v1/events", { token: key.secret, body: eventBody() })
        expect(create.status).toBe(403)
        // Its listing shows the events it names only.
        const mine = yield* api.call("GET", "/v1/organizer/events?limit=100", { token: key.secret })
        expect(mine.body.items.map((e: { id: string }) => e.id)).toEqual([a.eventId])
        const b2 = yield* api.call("GET", `/v1/events/${b.eventId}`, { token: organizer.token })
        expect(b2.body.title).toBe("Event B")

        const trail = yield* api.call("GET", `/v1/events/${a.eventId}/audit`, { token: organizer.token })
        const byKey = trail.body.items.filter((r: { action: string }) =>
          ["event.updated", "event.published"].includes(r.action)
        )
        expect(byKey.map((r: { actorId: string; actorRole: string }) => [r.actorId, r.actorRole])).toEqual([
          [key.id, "organizer"],
          [key.id, "organizer"]
        ])
        const made = trail.body.items.find((r: { action: string }) => r.action === "event.created")
        expect(made.actorId).toBe(organizer.id)
      })
    )

    it.effect("a read key reads and changes nothing; a key for all events may create one", () =>
      Effect.gen(function* () {
        const api = yield* client
        const organizer = yield* api.account("organizer")
        const event = yield* publishedEvent(api, organizer, "Read me")
        const keyOf = (access: string) =>
          Effect.map(
            api.call("POST", "/v1/organizer/api-keys", { token: organizer.token, body: { name: access, access } }),
            (r) => r.body.secret as string
          )
        const reader = yield* keyOf("read")
        expect((yield* api.call("GET", `/v1/events/${event.eventId}/stats`, { token: reader })).status).toBe(200)
        expect((yield* api.call("GET", `/v1/events/${event.eventId}/staff`, { token: reader })).status).toBe(200)
        const refused = yield* api.call("PATCH", `/v1/events/${event.eventId}`, {
          token: reader,
          body: { title: "Changed" }
        })
        expect(refused.status).toBe(403)
        expect(refused.body.message).toMatch(/only read/)
        expect((yield* api.call("POST", "/v1/events", { token: reader, body: eventBody() })).status).toBe(403)
        const still = yield* api.call("GET", `/v1/events/${event.eventId}`, { token: organizer.token })
        expect(still.body.title).toBe("Read me")

        const writer = yield* keyOf("write")
        const created = yield* api.call("POST", "/v1/events", { token: writer, body: eventBody({ title: "By key" }) })
        expect(created.status).toBe(201)
        expect(created.body.organizerId ?? organizer.id).toBe(organizer.id)
      })
    )

    it.effect("a key reaches no account, customer, admin or public-read endpoint, and a made-up key nothing", () =>
      Effect.gen(function* () {
        const api = yield* client
        const organizer = yield* api.account("organizer")
        const event = yield* publishedEvent(api, organizer, "Elsewhere")
        const key = (yield* api.call("POST", "/v1/organizer/api-keys", {
          token: organizer.token,
          body: { name: "all", access: "write" }
        })).body.secret as string
        for (const [method, path] of [
          ["GET", "/v1/me"],
          ["GET", "/v1/me/export"],
          ["GET", "/v1/me/two-factor"],
          ["GET", "/v1/orders"],
          ["GET", "/v1/organizer/webhooks"],
          ["GET", "/v1/admin/audit"],
          ["GET", `/v1/events/${event.eventId}/audit`],
          ["POST", "/v1/check-ins"]
        ] as const) {
          const reply = yield* api.call(method, path, { token: key, ...(method === "POST" ? { body: {} } : {}) })
          expect(reply.status, `${method} ${path}`).toBe(401)
        }
        const madeUp = `gto_${"A".repeat(43)}`
        const unknown = yield* api.call("GET", "/v1/organizer/events", { token: madeUp })
        expect(unknown.status).toBe(401)
        expect(unknown.body.message).toMatch(/not an API key/)
      })
    )
  })
})

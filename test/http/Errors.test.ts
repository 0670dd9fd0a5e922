import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { client, eventBody, TestServerLive } from "../support/TestServer.ts"

describe("bad input gets a clear 4xx, never a 5xx", () => {
  layer(TestServerLive({ MAX_BODY_BYTES: "4096" }), { timeout: "120 seconds", excludeTestServices: true })(
    "the gateway",
    (it) => {
      it.effect("answers malformed JSON with 400 and a message that says so", () =>
        Effect.gen(function* () {
          const api = yield* client
          const reply = yield* api.call("POST", "/v1/auth/register", { rawBody: '{"email": "a@b.c", ' })
          expect(reply.status).toBe(400)
          expect(reply.body._tag).toBe("MalformedRequest")
          expect(reply.body.message).toMatch(/not valid JSON/)
        })
      )

      it.effect("lists every schema problem at once, each with its path", () =>
        Effect.gen(function* () {
          const api = yield* client
          const reply = yield* api.call("POST", "/v1/auth/register", {
            body: { email: "not-an-email", password: "short", name: "", accountType: "boss" }
          })
          expect(reply.status).toBe(400)
          expect(reply.body._tag).toBe("HttpApiDecodeError")
          const paths = new Set(reply.body.issues.map((i: { path: Array<string> }) => i.path.join(".")))
          expect(paths).toEqual(new Set(["email", "password", "name", "accountType"]))
          expect(reply.body.message).toContain("must be an email address")
        })
      )

      it.effect("refuses a body over the configured limit with 413", () =>
        Effect.gen(function* () {
          const api = yield* client
          const organizer = yield* api.account("organizer")
          const reply = yield* api.call("POST", "/v1/events", {
            token: organizer.token,
            body: eventBody({ description: "x".repeat(5000) })
          })
          expect(reply.status).toBe(413)
          expect(reply.body).toMatchObject({ _tag: "PayloadTooLarge", limitBytes: 4096 })
        })
      )

      it.effect("answers unknown routes, ids and malformed ids with JSON 404/400", () =>
        Effect.gen(function* () {
          const api = yield* client
          const route = yield* api.call("GET", "/v1/nothing-here")
          expect(route.status).toBe(404)
          expect(route.body._tag).toBe("RouteNotFound")
          const unknown = yield* api.call("GET", `/v1/events/${crypto.randomUUID()}`)
          expect(unknown.status).toBe(404)
          expect(unknown.body._tag).toBe("EventNotFound")
          const malformed = yield* api.call("GET", "/v1/events/not-a-uuid")
          expect(malformed.status).toBe(400)
          expect(malformed.body.issues[0].path).toEqual(["eventId"])
        })
      )

      it.effect("refuses missing, malformed and forged tokens with 401", () =>
        Effect.gen(function* () {
          const api = yield* client
          const customer = yield* api.account("customer")
          const [header, payload] = customer.token.split(".")
          const forged = `${header}.${payload}.${"A".repeat(43)}`
          for (const headers of [
            {},
            { authorization: "Bearer" },
            { authorization: "Basic dXNlcjpwYXNz" },
            { authorization: `Bearer ${forged}` },
            { authorization: "Bearer not.a.jwt" }
          ]) {
            const reply = yield* api.call("GET", "/v1/me", { headers })
            expect(reply.status, JSON.stringify(headers)).toBe(401)
            expect(reply.body._tag).toBe("Unauthenticated")
          }
          expect((yield* api.call("GET", "/v1/me", { token: customer.token })).status).toBe(200)
        })
      )

      it.effect("never answers 5xx to a battery of hostile requests", () =>
        Effect.gen(function* () {
          const api = yield* client
          const organizer = yield* api.account("organizer")
          const event = (yield* api.call("POST", "/v1/events", { token: organizer.token, body: eventBody() })).body
          const hostile: Array<unknown> = [
            null,
            [],
            "string",
            42,
            { title: null },
            { title: "x".repeat(100_000).slice(0, 3000) },
            { title: "'; DROP TABLE events; --", venue: { name: "x", timezone: "Mars/Base" }, startsAt: "yesterday" },
            { startsAt: "2027-13-45T99:99:99Z" },
            { priceMinor: 1e308, currency: "EUR", capacity: -1, name: "\u0000" },
            { priceMinor: "12", currency: "€", capacity: 1.5, name: "ok" },
            { sections: [{ name: "A", rows: [{ label: "1", seats: [{ label: "1", ticketTypeId: "nope" }] }] }] },
            { email: { $ne: null } },
            JSON.parse('{"__proto__": {"isAdmin": true}}')
          ]
          const targets = [
            ["POST", "/v1/auth/register"],
            ["POST", "/v1/auth/login"],
            ["POST", "/v1/events"],
            ["PATCH", `/v1/events/${event.id}`],
            ["POST", `/v1/events/${event.id}/ticket-types`],
            ["POST", `/v1/events/${event.id}/seating`],
            ["POST", `/v1/events/${event.id}/staff`]
          ] as const
          for (const [method, path] of targets)
            for (const body of hostile) {
              const reply = yield* api.call(method, path, { token: organizer.token, body })
              expect(reply.status, `${method} ${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400)
              expect(reply.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500)
              expect(typeof reply.body?._tag, `${method} ${path}`).toBe("string")
            }
          const forgedCursors = [
            `+275760-09-13T00:00:00.000Z|${crypto.randomUUID()}`,
            `2027-01-01T00:00:00.000Z|${"-".repeat(36)}`
          ].map((text) => `cursor=${btoa(text).replaceAll("=", "")}`)
          for (const query of [
            "limit=0",
            "limit=1000",
            "limit=abc",
            "from=yesterday",
            "cursor=%00%01",
            "q=%25%5F",
            ...forgedCursors
          ]) {
            const reply = yield* api.call("GET", `/v1/events?${query}`)
            expect(reply.status, query).toBeLessThan(500)
          }
          const after = yield* api.call("GET", `/v1/events/${event.id}`, { token: organizer.token })
          expect(after.body).toMatchObject({ title: "Night Concert", version: 1, ticketTypes: [] })
        })
      )

      it.effect("echoes a sane X-Request-Id and makes one up otherwise", () =>
        Effect.gen(function* () {
          const api = yield* client
          const kept = yield* api.call("GET", "/health/live", { headers: { "x-request-id": "trace-me-123" } })
          expect(kept.headers.get("x-request-id")).toBe("trace-me-123")
          const replaced = yield* api.call("GET", "/health/live", { headers: { "x-request-id": "bad id\twith tabs" } })
          expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
        })
      )
    }
  )
})

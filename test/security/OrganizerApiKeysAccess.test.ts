import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { OrganizerApiKey, type OrganizerApiKeyId } from "../../src/domain/organizerkeys/OrganizerApiKey.ts"
import { OrganizerApiKeyRepository } from "../../src/domain/organizerkeys/OrganizerApiKeyRepository.ts"
import type { UserId } from "../../src/domain/shared/Ids.ts"
import { secretKeyHash } from "../../src/services/crypto/SecretKeys.ts"
import { ORGANIZER_KEY_PREFIX } from "../../src/services/organizerkeys/OrganizerApiKeys.ts"
import { InProcessSandbox } from "../../src/services/payments/PaymentGatewayLive.ts"
import {
  AccessTarget,
  methodOf,
  pathOf,
  type Row,
  TABLE,
  titleOf,
  World,
  WorldLive
} from "../support/AccessControlTable.ts"
import type { Api } from "../support/Purchase.ts"
import { ADMIN, ownerView, type SecurityWorld } from "../support/SecurityWorld.ts"
import { client, TEST_JWT_SECRET, TestServerLive } from "../support/TestServer.ts"

/**
 * Organizers' API keys against the access-control table (test/support/AccessControlTable.ts): what a key reaches
 * outside the organizer endpoints, a read key, a key for one event, and keys that are revoked, expired or made up.
 */

const ServerLive = TestServerLive({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password })

const TargetLive = Layer.effect(
  AccessTarget,
  Effect.gen(function* () {
    const sandbox = yield* InProcessSandbox
    return {
      api: yield* client,
      webhookSecret: Option.match(sandbox, { onNone: () => "", onSome: (s) => s.webhookSecret }),
      jwtSecret: TEST_JWT_SECRET
    }
  })
)

const Server = WorldLive.pipe(Layer.provideMerge(TargetLive), Layer.provideMerge(ServerLive))

layer(Server, { timeout: "180 seconds", excludeTestServices: true })("access control", (it) => {
  describe("organizer API keys", () => {
    /** The routes of the groups a key may call (their OpenAPI tag), from the document itself. */
    const keyedRoutes = (api: Api) =>
      Effect.map(api.call("GET", "/openapi.json"), (spec) => {
        const routes = new Set<string>()
        for (const [path, item] of Object.entries(
          spec.body.paths as Record<string, Record<string, { tags?: Array<string> }>>
        ))
          for (const [method, op] of Object.entries(item))
            if (op.tags?.some((t) => t === "Organizer" || t === "Organizer orders"))
              routes.add(`${method.toUpperCase()} ${path}`)
        return routes
      })
    const keyCall = (api: Api, w: SecurityWorld, r: Row, key: string) => {
      const request =
        r.request?.({ w, role: "owner", caller: w.organizer, webhookSecret: "", jwtSecret: TEST_JWT_SECRET }) ?? {}
      const path = pathOf(request.query === undefined ? r : { ...r, query: request.query }, w)
      return api.call(methodOf(r), path, { ...request, token: key })
    }

    it.effect("a key reaches nothing an anonymous caller cannot, outside the organizer endpoints", () =>
      Effect.gen(function* () {
        const api = yield* client
        const w = yield* World
        const keyed = yield* keyedRoutes(api)
        const before = yield* ownerView(api, w)
        const rows = TABLE.filter((r) => !keyed.has(r.route) && r.expected[0] === 401 && !r.fresh)
        expect(rows.length).toBeGreaterThan(20)
        for (const r of rows) {
          const reply = yield* keyCall(api, w, r, w.apiKeys.write)
          expect(reply.status, `${titleOf(r)} with a write key`).toBe(401)
        }
        expect(yield* ownerView(api, w)).toEqual(before)
      })
    )

    it.effect("a read key for all events reads what its organizer reads, and is refused every change", () =>
      Effect.gen(function* () {
        const api = yield* client
        const w = yield* World
        const keyed = yield* keyedRoutes(api)
        const rows = TABLE.filter((r) => keyed.has(r.route) && !r.fresh)
        expect(rows.length).toBeGreaterThan(10)
        const before = yield* ownerView(api, w)
        for (const r of rows.filter((r) => methodOf(r) !== "GET")) {
          const reply = yield* keyCall(api, w, r, w.apiKeys.read)
          expect(reply.status, `${titleOf(r)} with a read key`).toBe(403)
          expect(reply.body._tag).toBe("Forbidden")
        }
        expect(yield* ownerView(api, w), "a refused key changed nothing").toEqual(before)
        for (const r of rows.filter((r) => methodOf(r) === "GET")) {
          const reply = yield* keyCall(api, w, r, w.apiKeys.read)
          expect(reply.status, `${titleOf(r)} with a read key`).toBe(r.expected[4])
        }
      })
    )

    it.effect("a key for one event is refused on another of its organizer's events, and on anyone else's", () =>
      Effect.gen(function* () {
        const api = yield* client
        const w = yield* World
        const before = yield* ownerView(api, w)
        const key = w.apiKeys.sideWrite
        for (const eventId of [w.ids.event, w.ids.draft, w.ids.otherOrganizerEvent]) {
          const patch = yield* api.call("PATCH", `/v1/events/${eventId}`, { token: key, body: { title: "Taken" } })
          const stats = yield* api.call("GET", `/v1/events/${eventId}/stats`, { token: key })
          expect([patch.status, stats.status], eventId).toEqual([403, 403])
        }
        const create = yield* api.call("POST", "/v1/events", {
          token: key,
          body: {
            title: "By key",
            venue: { name: "Hall", timezone: "UTC" },
            startsAt: new Date(Date.now() + 9 * 86_400_000).toISOString()
          }
        })
        expect(create.status).toBe(403)
        expect(yield* ownerView(api, w)).toEqual(before)
        expect((yield* api.call("GET", `/v1/events/${w.ids.sideEvent}/stats`, { token: key })).status).toBe(200)
        // A key for all events is still refused someone else's event, as its organizer is.
        const foreign = yield* api.call("PATCH", `/v1/events/${w.ids.otherOrganizerEvent}`, {
          token: w.apiKeys.write,
          body: { title: "Taken" }
        })
        expect(foreign.status).toBe(403)
      })
    )

    it.effect("a revoked, an expired or a made-up key opens nothing", () =>
      Effect.gen(function* () {
        const api = yield* client
        const w = yield* World
        const expired = `${ORGANIZER_KEY_PREFIX}${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`
        const created = new Date(Date.now() - 2 * 86_400_000)
        yield* (yield* OrganizerApiKeyRepository).insert(
          new OrganizerApiKey({
            id: crypto.randomUUID() as OrganizerApiKeyId,
            organizerId: w.organizer.id as UserId,
            name: "expired",
            prefix: expired.slice(0, 12),
            access: "write",
            events: null,
            createdAt: created,
            expiresAt: new Date(created.getTime() + 86_400_000),
            lastUsedAt: null,
            revokedAt: null
          }),
          secretKeyHash(ORGANIZER_KEY_PREFIX, expired) as string
        )
        const madeUp = `${ORGANIZER_KEY_PREFIX}${"A".repeat(43)}`
        for (const [key, reason] of [
          [w.apiKeys.revoked, /revoked/],
          [expired, /expired/],
          [madeUp, /not an API key/]
        ] as const) {
          for (const [method, path] of [
            ["GET", "/v1/organizer/events"],
            ["GET", `/v1/events/${w.ids.event}/stats`],
            ["PATCH", `/v1/events/${w.ids.event}`]
          ] as const) {
            const reply = yield* api.call(method, path, {
              token: key,
              body: method === "GET" ? undefined : { title: "x" }
            })
            expect(reply.status, `${method} ${path}`).toBe(401)
            expect(reply.body.message).toMatch(reason)
          }
        }
      })
    )
  })
})

import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { EventId } from "../../src/domain/shared/Ids.ts"
import { InventoryClient, OperationsClient, rpcConnection } from "../../src/rpc/client/index.ts"
import { RpcAddress } from "../../src/rpc/server/RpcServerLive.ts"
import { publishedSale } from "../support/Sale.ts"
import { logIn } from "../support/SecurityWorld.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/*
 * Service keys over REST for an admin: the same service as the RPC procedures and `goticket keys`, so a key made
 * here works over RPC at once, shows up in the RPC listing, and stops working when revoked here.
 */

const ADMIN = { email: "keys-admin@example.com", password: "keys-admin-password" }

const overRpc = <A, E>(url: string, key: string, effect: Effect.Effect<A, E, InventoryClient | OperationsClient>) =>
  effect.pipe(
    Effect.provide(
      Layer.mergeAll(InventoryClient.layer, OperationsClient.layer).pipe(
        Layer.provide(rpcConnection({ url, key, protocol: "http" }))
      )
    ),
    Effect.scoped
  )

layer(TestServerLive({ RPC_PORT: "0", ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }), {
  timeout: "120 seconds",
  excludeTestServices: true
})("service keys over REST", (it) => {
  it.effect("an admin creates a key (shown once), it works over RPC, is listed by prefix, and revoked it stops", () =>
    Effect.gen(function* () {
      const api = yield* client
      const { url } = yield* RpcAddress
      const rpcUrl = url ?? ""
      const admin = yield* logIn(api, ADMIN.email, ADMIN.password)
      const sale = yield* publishedSale(api, { capacity: 5 })

      const made = yield* api.call("POST", "/v1/admin/service-keys", {
        token: admin,
        body: { name: "  box office  ", scopes: ["inventory:read"] }
      })
      expect(made.status).toBe(201)
      const secret = made.body.secret as string
      expect(secret).toMatch(/^gtk_/)
      expect(made.body.key).toMatchObject({
        name: "box office",
        scopes: ["inventory:read"],
        doorEvents: [],
        expiresAt: null,
        revokedAt: null,
        lastUsedAt: null
      })
      expect(secret.startsWith(made.body.key.prefix)).toBe(true)
      const keyId = made.body.key.id as string

      // The key works over RPC at once.
      const availability = yield* overRpc(
        rpcUrl,
        secret,
        Effect.flatMap(InventoryClient, (inventory) => inventory.Availability({ eventId: sale.eventId as EventId }))
      )
      expect(availability.ticketTypes[0]).toMatchObject({ available: 5 })

      // Listed by its prefix, never its secret.
      const listed = yield* api.call("GET", "/v1/admin/service-keys", { token: admin })
      expect(listed.status).toBe(200)
      expect(listed.body.map((k: { id: string }) => k.id)).toContain(keyId)
      expect(JSON.stringify(listed.body)).not.toContain(secret)

      const revoked = yield* api.call("DELETE", `/v1/admin/service-keys/${keyId}`, { token: admin })
      expect(revoked.status).toBe(200)
      expect(revoked.body.revokedAt).not.toBeNull()
      const again = yield* api.call("DELETE", `/v1/admin/service-keys/${keyId}`, { token: admin })
      expect(again.body.revokedAt).toBe(revoked.body.revokedAt)
      const refused = yield* overRpc(
        rpcUrl,
        secret,
        Effect.flip(
          Effect.flatMap(InventoryClient, (inventory) => inventory.Availability({ eventId: sale.eventId as EventId }))
        )
      )
      expect(refused).toMatchObject({ _tag: "ServiceKeyRejected", reason: "revoked" })
      const missing = yield* api.call("DELETE", `/v1/admin/service-keys/${crypto.randomUUID()}`, { token: admin })
      expect(missing.status).toBe(404)
      expect(missing.body._tag).toBe("ServiceKeyNotFound")

      // On the audit trail under the admin.
      const trail = yield* api.call("GET", `/v1/admin/audit?resourceId=${keyId}`, { token: admin })
      expect(trail.body.items.map((r: { action: string; actorRole: string }) => [r.action, r.actorRole])).toEqual([
        ["service_key.revoked", "admin"],
        ["service_key.created", "admin"]
      ])
    })
  )

  it.effect("a grant the rules refuse is 422 with a sentence and creates nothing; a non-admin is 403, audited", () =>
    Effect.gen(function* () {
      const api = yield* client
      const admin = yield* logIn(api, ADMIN.email, ADMIN.password)
      const organizer = yield* api.account("organizer")
      const count = Effect.map(
        api.call("GET", "/v1/admin/service-keys", { token: admin }),
        (r) => (r.body as ReadonlyArray<unknown>).length
      )
      const before = yield* count
      const doorWithoutEvents = yield* api.call("POST", "/v1/admin/service-keys", {
        token: admin,
        body: { name: "gate", scopes: ["door:scan"] }
      })
      expect(doorWithoutEvents.status).toBe(422)
      expect(doorWithoutEvents.body).toMatchObject({ _tag: "InvalidServiceKeyGrant", message: expect.any(String) })
      const past = yield* api.call("POST", "/v1/admin/service-keys", {
        token: admin,
        body: { name: "late", scopes: ["ops"], expiresAt: "2020-01-01T00:00:00Z" }
      })
      expect(past.status).toBe(422)
      const tooLong = yield* api.call("POST", "/v1/admin/service-keys", {
        token: admin,
        body: { name: "forever", scopes: ["ops"], expiresAt: "2099-01-01T00:00:00Z" }
      })
      expect(tooLong.status).toBe(422)
      const noScope = yield* api.call("POST", "/v1/admin/service-keys", {
        token: admin,
        body: { name: "none", scopes: [] }
      })
      expect(noScope.status).toBe(400)
      expect(noScope.body.issues[0]).toMatchObject({ path: ["scopes"], code: "too_short" })

      const forbidden = yield* api.call("POST", "/v1/admin/service-keys", {
        token: organizer.token,
        body: { name: "mine", scopes: ["admin"] }
      })
      expect(forbidden.status).toBe(403)
      expect(forbidden.body._tag).toBe("Forbidden")
      expect(yield* count).toBe(before)
      const denied = yield* api.call("GET", `/v1/admin/audit?actorId=${organizer.id}&action=service_key.created`, {
        token: admin
      })
      expect(denied.body.items).toMatchObject([{ outcome: "denied", actorRole: "organizer" }])
    })
  )
})

import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { client, TestServerLive } from "../support/TestServer.ts"

describe("accounts over HTTP", () => {
  layer(TestServerLive({ ADMIN_EMAIL: "Root@Example.com", ADMIN_PASSWORD: "root-password-123" }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("registration and login", (it) => {
    it.effect("registers, logs in with any letter case of the email, and reads the profile", () =>
      Effect.gen(function* () {
        const api = yield* client
        const email = `Mixed.Case-${crypto.randomUUID().slice(0, 6)}@Example.COM`
        const registered = yield* api.call("POST", "/v1/auth/register", {
          body: { email, password: "a-long-password", name: "  Grace Hopper  ", accountType: "customer" }
        })
        expect(registered.status).toBe(201)
        expect(registered.body).toMatchObject({ email: email.toLowerCase(), name: "Grace Hopper", roles: ["customer"] })
        expect(registered.body).not.toHaveProperty("passwordHash")

        const login = yield* api.call("POST", "/v1/auth/login", {
          body: { email: email.toUpperCase(), password: "a-long-password" }
        })
        expect(login.status).toBe(200)
        expect(login.body).toMatchObject({ tokenType: "Bearer", expiresIn: 900 })
        const me = yield* api.call("GET", "/v1/me", { token: login.body.accessToken })
        expect(me.status).toBe(200)
        expect(me.body.id).toBe(registered.body.id)
      })
    )

    it.effect("refuses a second account with the same email, whatever its case", () =>
      Effect.gen(function* () {
        const api = yield* client
        const account = yield* api.account("customer")
        const again = yield* api.call("POST", "/v1/auth/register", {
          body: {
            email: account.email.toUpperCase(),
            password: "another-password",
            name: "Twin",
            accountType: "organizer"
          }
        })
        expect(again.status).toBe(409)
        expect(again.body._tag).toBe("EmailAlreadyRegistered")
      })
    )

    it.effect("gives the same answer for an unknown email and a wrong password", () =>
      Effect.gen(function* () {
        const api = yield* client
        const account = yield* api.account("customer")
        const wrong = yield* api.call("POST", "/v1/auth/login", {
          body: { email: account.email, password: "nope-nope-nope" }
        })
        const unknown = yield* api.call("POST", "/v1/auth/login", {
          body: { email: "nobody-at-all@example.com", password: "nope-nope-nope" }
        })
        expect(wrong.status).toBe(401)
        expect(unknown.status).toBe(401)
        expect(wrong.body).toEqual(unknown.body)
      })
    )

    it.effect("bootstraps the configured admin, who may manage any organizer's event", () =>
      Effect.gen(function* () {
        const api = yield* client
        const login = yield* api.call("POST", "/v1/auth/login", {
          body: { email: "root@example.com", password: "root-password-123" }
        })
        expect(login.status).toBe(200)
        const me = yield* api.call("GET", "/v1/me", { token: login.body.accessToken })
        expect(me.body.roles).toContain("admin")

        const organizer = yield* api.account("organizer")
        const event = yield* api.call("POST", "/v1/events", {
          token: organizer.token,
          body: {
            title: "Admin can fix this",
            venue: { name: "Hall", timezone: "UTC" },
            startsAt: new Date(Date.now() + 7 * 86_400_000).toISOString()
          }
        })
        const fixed = yield* api.call("PATCH", `/v1/events/${event.body.id}`, {
          token: login.body.accessToken,
          body: { title: "Fixed by admin" }
        })
        expect(fixed.status).toBe(200)
        expect(fixed.body.title).toBe("Fixed by admin")
      })
    )

    it.effect("reports live and ready", () =>
      Effect.gen(function* () {
        const api = yield* client
        expect((yield* api.call("GET", "/health/live")).status).toBe(200)
        const ready = yield* api.call("GET", "/health/ready")
        expect(ready.status).toBe(200)
        expect(ready.body.checks.database).toBe("ok")
      })
    )
  })
})

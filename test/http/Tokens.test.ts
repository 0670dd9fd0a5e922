import { describe, expect, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { SignJWT } from "jose"
import { Actor } from "../../src/domain/accounts/Actor.ts"
import type { UserId } from "../../src/domain/shared/Ids.ts"
import { AUDIENCE, ISSUER, keyIdOf, makeJwtAccessTokens } from "../../src/services/accounts/JwtAccessTokens.ts"
import { client, eventBody, TestServerLive } from "../support/TestServer.ts"

const SECRET = Redacted.make("tokens-test-secret-tokens-test-secret-0123")
const OLD_SECRET = Redacted.make("tokens-test-old-secret-tokens-test-old-0123")
const OTHER_SECRET = Redacted.make("somebody-elses-secret-somebody-elses-0123")

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url")

/** An access token for `userId` with claims and header of our choosing, signed with `secret`. */
const forge = (
  secret: Redacted.Redacted<string>,
  userId: string,
  options: { kid?: string; audience?: string; expiresAt?: number } = {}
) =>
  Effect.promise(() =>
    new SignJWT({ typ: "customer", adm: false })
      .setProtectedHeader(options.kid === undefined ? { alg: "HS256" } : { alg: "HS256", kid: options.kid })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setExpirationTime(options.expiresAt ?? "10m")
      .sign(new TextEncoder().encode(Redacted.value(secret)))
  )

const customerActor = (userId: string) =>
  new Actor({ userId: userId as UserId, accountType: "customer", isAdmin: false })

describe("access and refresh tokens over HTTP", () => {
  layer(TestServerLive({ JWT_SECRET: Redacted.value(SECRET) }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("refresh tokens", (it) => {
    it.effect("login hands out a refresh token, and refreshing it gives a working access token and its successor", () =>
      Effect.gen(function* () {
        const api = yield* client
        const account = yield* api.account("customer")
        expect(account.refreshToken).toMatch(/^gtr_[A-Za-z0-9_-]{43}$/)

        const refreshed = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: account.refreshToken } })
        expect(refreshed.status).toBe(200)
        expect(refreshed.body).toMatchObject({ tokenType: "Bearer", expiresIn: 900, refreshExpiresIn: 30 * 86_400 })
        expect(refreshed.body.refreshToken).toMatch(/^gtr_/)
        expect(refreshed.body.refreshToken).not.toBe(account.refreshToken)
        const me = yield* api.call("GET", "/v1/me", { token: refreshed.body.accessToken })
        expect(me.status).toBe(200)
        expect(me.body.id).toBe(account.id)

        // The successor refreshes in turn.
        const again = yield* api.call("POST", "/v1/auth/refresh", {
          body: { refreshToken: refreshed.body.refreshToken }
        })
        expect(again.status).toBe(200)
      })
    )

    it.effect("a refresh token used twice ends that login: 401 for it and for the newest token of the login", () =>
      Effect.gen(function* () {
        const api = yield* client
        const account = yield* api.account("customer")
        const otherLogin = yield* api.call("POST", "/v1/auth/login", {
          body: { email: account.email, password: account.password }
        })
        const first = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: account.refreshToken } })
        expect(first.status).toBe(200)

        const replayed = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: account.refreshToken } })
        expect(replayed.status).toBe(401)
        expect(replayed.body).toMatchObject({ _tag: "RefreshTokenRejected", reason: "reused" })
        expect(replayed.body.message).toContain("log in again")

        const newest = yield* api.call("POST", "/v1/auth/refresh", {
          body: { refreshToken: first.body.refreshToken }
        })
        expect(newest.status).toBe(401)
        expect(newest.body).toMatchObject({ _tag: "RefreshTokenRejected", reason: "revoked" })

        // Another login of the same account is not affected, and a new login works.
        const other = yield* api.call("POST", "/v1/auth/refresh", {
          body: { refreshToken: otherLogin.body.refreshToken }
        })
        expect(other.status).toBe(200)
        const relogin = yield* api.call("POST", "/v1/auth/login", {
          body: { email: account.email, password: account.password }
        })
        expect(relogin.status).toBe(200)
      })
    )

    it.effect("logout ends the login; it answers 204 for any token, known or not", () =>
      Effect.gen(function* () {
        const api = yield* client
        const account = yield* api.account("customer")
        const refreshed = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: account.refreshToken } })

        const logout = yield* api.call("POST", "/v1/auth/logout", {
          body: { refreshToken: refreshed.body.refreshToken }
        })
        expect(logout.status).toBe(204)
        const after = yield* api.call("POST", "/v1/auth/refresh", {
          body: { refreshToken: refreshed.body.refreshToken }
        })
        expect(after.status).toBe(401)
        expect(after.body._tag).toBe("RefreshTokenRejected")

        const again = yield* api.call("POST", "/v1/auth/logout", {
          body: { refreshToken: refreshed.body.refreshToken }
        })
        const unknown = yield* api.call("POST", "/v1/auth/logout", { body: { refreshToken: `gtr_${"x".repeat(43)}` } })
        const nonsense = yield* api.call("POST", "/v1/auth/logout", { body: { refreshToken: "nonsense" } })
        expect([again.status, unknown.status, nonsense.status]).toEqual([204, 204, 204])
        expect([again.body, unknown.body, nonsense.body]).toEqual([null, null, null])
      })
    )

    it.effect("refuses unknown refresh tokens with 401, and empty, overlong or malformed bodies with 400", () =>
      Effect.gen(function* () {
        const api = yield* client
        const unknown = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: `gtr_${"y".repeat(43)}` } })
        expect(unknown.status).toBe(401)
        expect(unknown.body).toMatchObject({ _tag: "RefreshTokenRejected", reason: "unknown" })

        const empty = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: "" } })
        const overlong = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: "z".repeat(10_000) } })
        const missing = yield* api.call("POST", "/v1/auth/refresh", { body: {} })
        expect([empty.status, overlong.status, missing.status]).toEqual([400, 400, 400])
        expect(overlong.body.message).toContain("128")
        for (const path of ["/v1/auth/refresh", "/v1/auth/logout"])
          for (const body of [42, "gtr_", { refreshToken: { $ne: null } }, { refreshToken: "gtr_x", userId: "me" }]) {
            const reply = yield* api.call("POST", path, { body })
            expect(reply.status, `${path} ${JSON.stringify(body)}`).toBe(400)
            expect(typeof reply.body?._tag).toBe("string")
          }
      })
    )

    it.effect("the refreshed access token reflects the account as it is now; a deleted account cannot refresh", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sql = yield* SqlClient.SqlClient
        const account = yield* api.account("customer")
        yield* sql`UPDATE users SET account_type = 'organizer' WHERE id = ${account.id}`

        // The access token from before still says customer; the refreshed one says organizer.
        const before = yield* api.call("POST", "/v1/events", { token: account.token, body: eventBody() })
        expect(before.status).toBe(403)
        const refreshed = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: account.refreshToken } })
        const created = yield* api.call("POST", "/v1/events", {
          token: refreshed.body.accessToken,
          body: eventBody()
        })
        expect(created.status).toBe(201)

        const gone = yield* api.account("customer")
        yield* sql`DELETE FROM users WHERE id = ${gone.id}`
        const refused = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: gone.refreshToken } })
        expect(refused.status).toBe(401)
        expect(refused.body._tag).toBe("RefreshTokenRejected")
      }).pipe(Effect.orDie)
    )

    it.effect("GET /v1/me refuses forged access tokens with 401 and a JSON body", () =>
      Effect.gen(function* () {
        const api = yield* client
        const account = yield* api.account("customer")
        const kid = keyIdOf(SECRET)
        // The control: a token we forge with the server's own key and kid is accepted.
        const genuine = yield* forge(SECRET, account.id, { kid })
        expect((yield* api.call("GET", "/v1/me", { token: genuine })).status).toBe(200)

        const [header, payload, signature] = account.token.split(".") as [string, string, string]
        const claims = JSON.parse(Buffer.from(payload, "base64url").toString())
        const forged: Record<string, string> = {
          expired: yield* forge(SECRET, account.id, { kid, expiresAt: Math.floor(Date.now() / 1000) - 60 }),
          tampered: `${header}.${b64({ ...claims, adm: true })}.${signature}`,
          "alg none": `${b64({ alg: "none", kid })}.${b64({ ...claims, adm: true })}.`,
          "wrong key": yield* forge(OTHER_SECRET, account.id, { kid }),
          "wrong audience": yield* forge(SECRET, account.id, { kid, audience: "someone-else" }),
          "unknown kid": yield* forge(SECRET, account.id, { kid: "0123456789abcdef" }),
          "no kid": yield* forge(SECRET, account.id)
        }
        const answers = yield* Effect.forEach(Object.entries(forged), ([name, token]) =>
          Effect.map(api.call("GET", "/v1/me", { token }), (reply) => ({
            name,
            status: reply.status,
            json: reply.headers.get("content-type")?.startsWith("application/json"),
            tag: reply.body?._tag,
            message: reply.body?.message
          }))
        )
        for (const answer of answers)
          expect(answer).toEqual({
            name: answer.name,
            status: 401,
            json: true,
            tag: "Unauthenticated",
            message:
              answer.name === "expired" ? "the access token has expired; log in again" : "the access token is invalid"
          })
      })
    )
  })

  layer(
    TestServerLive({
      JWT_SECRET: Redacted.value(SECRET),
      JWT_PREVIOUS_SECRETS: ` ${Redacted.value(OLD_SECRET)} ,`
    }),
    { timeout: "120 seconds", excludeTestServices: true }
  )("signing-key rotation", (it) => {
    it.effect("accepts tokens of a previous secret, signs with the new one, and refuses any other secret", () =>
      Effect.gen(function* () {
        const api = yield* client
        const account = yield* api.account("customer")
        const [header] = account.token.split(".") as [string]
        expect(JSON.parse(Buffer.from(header, "base64url").toString()).kid).toBe(keyIdOf(SECRET))

        const before = yield* makeJwtAccessTokens(OLD_SECRET, 900).issue(customerActor(account.id))
        expect((yield* api.call("GET", "/v1/me", { token: before.accessToken })).status).toBe(200)

        const removed = yield* makeJwtAccessTokens(OTHER_SECRET, 900).issue(customerActor(account.id))
        const refused = yield* api.call("GET", "/v1/me", { token: removed.accessToken })
        expect(refused.status).toBe(401)
        expect(refused.body).toMatchObject({ _tag: "Unauthenticated", message: "the access token is invalid" })
      })
    )
  })
})

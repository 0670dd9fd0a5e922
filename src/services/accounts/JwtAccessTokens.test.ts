import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { SignJWT } from "jose"
import { Actor } from "../../domain/accounts/Actor.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { AUDIENCE, ISSUER, makeJwtAccessTokens } from "./JwtAccessTokens.ts"

const secret = Redacted.make("0123456789abcdef0123456789abcdef-secret")
const actor = new Actor({ userId: crypto.randomUUID() as UserId, accountType: "organizer", isAdmin: false })

describe("JWT access tokens", () => {
  it.live("round-trip the actor, and stop working at their expiry even after being verified once", () =>
    Effect.gen(function* () {
      const tokens = makeJwtAccessTokens(secret, 1)
      const { accessToken } = yield* tokens.issue(actor)
      expect(yield* tokens.verify(accessToken)).toEqual(actor)
      expect(yield* tokens.verify(accessToken)).toEqual(actor)
      yield* Effect.sleep("2100 millis")
      const late = yield* Effect.exit(tokens.verify(accessToken))
      expect(late).toStrictEqual(
        Exit.fail(expect.objectContaining({ message: "the access token has expired; log in again" }))
      )
    })
  )

  it.live("refuse another key, another audience and alg none", () =>
    Effect.gen(function* () {
      const tokens = makeJwtAccessTokens(secret, 60)
      const other = makeJwtAccessTokens(Redacted.make("another-secret-another-secret-another"), 60)
      const { accessToken } = yield* other.issue(actor)
      expect(Exit.isFailure(yield* Effect.exit(tokens.verify(accessToken)))).toBe(true)

      const key = new TextEncoder().encode(Redacted.value(secret))
      const wrongAudience = yield* Effect.promise(() =>
        new SignJWT({ typ: "customer", adm: false })
          .setProtectedHeader({ alg: "HS256" })
          .setSubject(actor.userId)
          .setIssuer(ISSUER)
          .setAudience("someone-else")
          .setExpirationTime("1m")
          .sign(key)
      )
      expect(Exit.isFailure(yield* Effect.exit(tokens.verify(wrongAudience)))).toBe(true)

      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url")
      const none = `${b64({ alg: "none" })}.${b64({ sub: actor.userId, typ: "organizer", adm: true, iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 })}.`
      expect(Exit.isFailure(yield* Effect.exit(tokens.verify(none)))).toBe(true)
    })
  )
})

import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { SignJWT } from "jose"
import { Actor } from "../../domain/accounts/Actor.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { AUDIENCE, ISSUER, keyIdOf, makeJwtAccessTokens } from "./JwtAccessTokens.ts"

const secret = Redacted.make("0123456789abcdef0123456789abcdef-secret")
const actor = new Actor({ userId: crypto.randomUUID() as UserId, accountType: "organizer", isAdmin: false })

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url")
const parts = (token: string) => {
  const [header, payload, signature] = token.split(".") as [string, string, string]
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString()),
    payload: JSON.parse(Buffer.from(payload, "base64url").toString()),
    encoded: { header, payload, signature }
  }
}

/** A token with valid claims for `actor`, signed with `signingSecret` under the given protected header. */
const signed = (signingSecret: Redacted.Redacted<string>, header: { alg: string; kid?: string }) =>
  Effect.promise(() =>
    new SignJWT({ typ: actor.accountType, adm: actor.isAdmin })
      .setProtectedHeader(header)
      .setSubject(actor.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime("1m")
      .sign(new TextEncoder().encode(Redacted.value(signingSecret)))
  )

/** What verifying the token came to: the actor, or the message of the refusal. */
const verdict = (tokens: ReturnType<typeof makeJwtAccessTokens>, token: string) =>
  tokens.verify(token).pipe(
    Effect.map((verified) => verified.userId),
    Effect.catchTag("Unauthenticated", (e) => Effect.succeed(e.message))
  )

const INVALID = "the access token is invalid"

describe("JWT access tokens", () => {
  it.live("round-trip the actor, and stop working at their expiry even after being verified once", () =>
    Effect.gen(function* () {
      // Two seconds, not one: `exp` counts whole seconds from a floored `iat`, so a one-second token issued late in
      // a second could already be expired at its first check.
      const tokens = makeJwtAccessTokens(secret, 2)
      const { accessToken } = yield* tokens.issue(actor)
      expect(yield* tokens.verify(accessToken)).toEqual(actor)
      expect(yield* tokens.verify(accessToken)).toEqual(actor)
      yield* Effect.sleep("3100 millis")
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

      const none = `${b64({ alg: "none" })}.${b64({ sub: actor.userId, typ: "organizer", adm: true, iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 })}.`
      expect(Exit.isFailure(yield* Effect.exit(tokens.verify(none)))).toBe(true)
    })
  )

  it.effect("name their key in the kid header: the first 16 hex digits of the secret's SHA-256", () =>
    Effect.gen(function* () {
      const { accessToken } = yield* makeJwtAccessTokens(secret, 60).issue(actor)
      const { header } = parts(accessToken)
      expect(header).toEqual({ alg: "HS256", kid: keyIdOf(secret) })
      expect(header.kid).toMatch(/^[0-9a-f]{16}$/)
      expect(accessToken).not.toContain(Redacted.value(secret))
      // Stable: the same secret always gets the same kid, another secret another.
      expect(keyIdOf(Redacted.make(Redacted.value(secret)))).toBe(header.kid)
      expect(keyIdOf(Redacted.make("another-secret-another-secret-another"))).not.toBe(header.kid)
    })
  )

  it.effect("refuse a tampered payload or signature, even once the genuine token is remembered", () =>
    Effect.gen(function* () {
      const tokens = makeJwtAccessTokens(secret, 60)
      const { accessToken } = yield* tokens.issue(actor)
      expect(yield* verdict(tokens, accessToken)).toBe(actor.userId)
      const { payload, encoded } = parts(accessToken)

      const promoted = `${encoded.header}.${b64({ ...payload, adm: true })}.${encoded.signature}`
      expect(yield* verdict(tokens, promoted)).toBe(INVALID)
      const someoneElse = `${encoded.header}.${b64({ ...payload, sub: crypto.randomUUID() })}.${encoded.signature}`
      expect(yield* verdict(tokens, someoneElse)).toBe(INVALID)

      const s = encoded.signature
      const flipped = `${s.slice(0, 10)}${s[10] === "A" ? "B" : "A"}${s.slice(11)}`
      expect(yield* verdict(tokens, `${encoded.header}.${encoded.payload}.${flipped}`)).toBe(INVALID)
      expect(yield* verdict(tokens, `${encoded.header}.${encoded.payload}.`)).toBe(INVALID)
    })
  )

  it.effect("refuse a token without a kid, with an unknown kid, or signed with another key under our kid", () =>
    Effect.gen(function* () {
      const tokens = makeJwtAccessTokens(secret, 60)
      const other = Redacted.make("another-secret-another-secret-another")
      // Well signed with the right secret, but no kid / a kid naming no key we hold.
      expect(yield* verdict(tokens, yield* signed(secret, { alg: "HS256" }))).toBe(INVALID)
      expect(yield* verdict(tokens, yield* signed(secret, { alg: "HS256", kid: "0000000000000000" }))).toBe(INVALID)
      expect(yield* verdict(tokens, yield* signed(secret, { alg: "HS256", kid: keyIdOf(other) }))).toBe(INVALID)
      // Our kid, another key.
      expect(yield* verdict(tokens, yield* signed(other, { alg: "HS256", kid: keyIdOf(secret) }))).toBe(INVALID)
      // The control: our kid, our key.
      expect(yield* verdict(tokens, yield* signed(secret, { alg: "HS256", kid: keyIdOf(secret) }))).toBe(actor.userId)
    })
  )

  it.effect("refuse alg none and other algorithms even with a valid kid", () =>
    Effect.gen(function* () {
      const tokens = makeJwtAccessTokens(secret, 60)
      const claims = { sub: actor.userId, typ: "organizer", adm: true, iss: ISSUER, aud: AUDIENCE, exp: 9_999_999_999 }
      expect(yield* verdict(tokens, `${b64({ alg: "none", kid: keyIdOf(secret) })}.${b64(claims)}.`)).toBe(INVALID)
      expect(yield* verdict(tokens, yield* signed(secret, { alg: "HS512", kid: keyIdOf(secret) }))).toBe(INVALID)
    })
  )

  it.effect("rotate keys: a token signed with a previous secret is accepted until that secret is removed", () =>
    Effect.gen(function* () {
      const oldSecret = Redacted.make("the-old-secret-the-old-secret-the-old")
      const newSecret = Redacted.make("the-new-secret-the-new-secret-the-new")
      const before = makeJwtAccessTokens(oldSecret, 60)
      const { accessToken: oldToken } = yield* before.issue(actor)

      // Step 1: the new secret signs, the old one is still accepted.
      const during = makeJwtAccessTokens(newSecret, 60, [oldSecret])
      expect(yield* verdict(during, oldToken)).toBe(actor.userId)
      const { accessToken: newToken } = yield* during.issue(actor)
      expect(parts(newToken).header.kid).toBe(keyIdOf(newSecret))
      expect(yield* verdict(during, newToken)).toBe(actor.userId)
      // The old instances, not yet restarted, do not know the new key yet: they refuse its tokens.
      expect(yield* verdict(before, newToken)).toBe(INVALID)

      // Step 2, one access-token TTL later: the old secret is dropped, its tokens are refused.
      const after = makeJwtAccessTokens(newSecret, 60)
      expect(yield* verdict(after, oldToken)).toBe(INVALID)
      expect(yield* verdict(after, newToken)).toBe(actor.userId)
    })
  )
})

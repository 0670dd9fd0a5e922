import { createHash, createSecretKey, type KeyObject, randomBytes } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { jwtVerify, SignJWT } from "jose"
import { AccessTokens } from "../../domain/accounts/AccessTokens.ts"
import { Actor } from "../../domain/accounts/Actor.ts"
import { Unauthenticated } from "../../domain/accounts/errors.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { AppConfig } from "../config/AppConfig.ts"

export const ISSUER = "goticket"
export const AUDIENCE = "goticket-api"
const ALGORITHM = "HS256"
const VERIFIED_CACHE_SIZE = 50_000

/** The `kid` of a secret: the first 16 hex digits of its SHA-256. Stable across restarts, and reveals nothing. */
export const keyIdOf = (secret: Redacted.Redacted<string>): string =>
  createHash("sha256").update(Redacted.value(secret), "utf8").digest("hex").slice(0, 16)

/**
 * HS256 access tokens: `sub` is the user, `typ` the account type, `adm` the admin flag; the `kid` header names the
 * secret that signed it. `secret` signs; `previousSecrets` are still accepted for verification only, so that tokens
 * issued before a key rotation keep working until they expire. A token without a `kid`, or naming a key not
 * configured here, is invalid.
 */
export const makeJwtAccessTokens = (
  secret: Redacted.Redacted<string>,
  ttlSeconds: number,
  previousSecrets: ReadonlyArray<Redacted.Redacted<string>> = []
) => {
  // Imported once: handing jose the raw secret would re-import the key on every verify.
  const importKey = (s: Redacted.Redacted<string>) => createSecretKey(Buffer.from(Redacted.value(s), "utf8"))
  const signingKeyId = keyIdOf(secret)
  const signingKey = importKey(secret)
  const verificationKeys = new Map<string, KeyObject>([[signingKeyId, signingKey]])
  for (const previous of previousSecrets) {
    const kid = keyIdOf(previous)
    if (!verificationKeys.has(kid)) verificationKeys.set(kid, importKey(previous))
  }
  const keyFor = (header: { readonly kid?: string | undefined }): KeyObject => {
    const key = typeof header.kid === "string" ? verificationKeys.get(header.kid) : undefined
    if (key === undefined) throw new Error("no key with this kid")
    return key
  }
  const unauthenticated = (message: string) => new Unauthenticated({ message })
  // A token checked once is good until its own expiry: remember it instead of re-computing the HMAC on every
  // request (a customer in a flash sale sends the same token many times a second). Keyed by the whole compact
  // token (header with kid, payload and signature): a token that differs in any byte is verified afresh. The keys
  // are fixed for the life of the process, so an entry never outlives the key that verified it. Bounded; cleared
  // when full.
  const verified = new Map<string, { readonly actor: Actor; readonly expiresAtMs: number }>()
  const remember = (token: string, actor: Actor, expiresAtMs: number) => {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear()
    verified.set(token, { actor, expiresAtMs })
  }
  return AccessTokens.of({
    issue: (actor) =>
      Effect.promise(() =>
        new SignJWT({ typ: actor.accountType, adm: actor.isAdmin })
          .setProtectedHeader({ alg: ALGORITHM, kid: signingKeyId })
          .setSubject(actor.userId)
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime(`${ttlSeconds}s`)
          .sign(signingKey)
      ).pipe(
        Effect.map((accessToken) => ({ accessToken, expiresIn: ttlSeconds })),
        Effect.withSpan("AccessTokens.issue")
      ),
    verify: (token) => {
      const hit = verified.get(token)
      if (hit !== undefined && hit.expiresAtMs > Date.now()) return Effect.succeed(hit.actor)
      return Effect.tryPromise({
        try: () => jwtVerify(token, keyFor, { issuer: ISSUER, audience: AUDIENCE, algorithms: [ALGORITHM] }),
        catch: (error) =>
          unauthenticated(
            (error as { code?: string }).code === "ERR_JWT_EXPIRED"
              ? "the access token has expired; log in again"
              : "the access token is invalid"
          )
      }).pipe(
        Effect.flatMap(({ payload }) => {
          const { sub, typ, adm } = payload
          if (typeof sub !== "string" || (typ !== "customer" && typ !== "organizer") || typeof adm !== "boolean")
            return Effect.fail(unauthenticated("the access token is invalid"))
          const actor = new Actor({ userId: sub as UserId, accountType: typ, isAdmin: adm }, { disableChecks: true })
          remember(token, actor, (payload.exp ?? 0) * 1000)
          return Effect.succeed(actor)
        })
      )
    }
  })
}

/**
 * The signing secret: JWT_SECRET, or else a random one generated once and kept in the data directory
 * (fine for the embedded default, wrong for several instances: they must share JWT_SECRET).
 */
const loadJwtSecret = Effect.gen(function* () {
  const config = yield* AppConfig
  if (Option.isSome(config.jwtSecret)) {
    if (Redacted.value(config.jwtSecret.value).length < 32)
      return yield* Effect.die(new Error("JWT_SECRET must be at least 32 characters long"))
    return config.jwtSecret.value
  }
  const file = join(config.dataDir, "jwt-secret")
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true })
    writeFileSync(file, randomBytes(48).toString("base64url"), { mode: 0o600 })
  }
  yield* Effect.logWarning(
    `JWT_SECRET is not set: using a generated secret kept in ${file}. Set JWT_SECRET in production.`
  )
  return Redacted.make(readFileSync(file, "utf8").trim())
})

/**
 * The token-signing secret, loaded once per process: access tokens, email verification links and (without a
 * TICKET_SIGNING_SECRET) ticket codes all derive their keys from it.
 */
export class JwtSecret extends Context.Service<JwtSecret, Redacted.Redacted<string>>()("goticket/JwtSecret") {}

export const JwtSecretLive = Layer.effect(JwtSecret, loadJwtSecret)

export const JwtAccessTokensLive = Layer.effect(
  AccessTokens,
  Effect.gen(function* () {
    const config = yield* AppConfig
    const secret = yield* JwtSecret
    yield* Effect.logInfo("access tokens signed with the current key").pipe(
      Effect.annotateLogs({ kid: keyIdOf(secret), previousKeys: config.jwtPreviousSecrets.length })
    )
    return makeJwtAccessTokens(secret, config.accessTokenTtlSeconds, config.jwtPreviousSecrets)
  })
)

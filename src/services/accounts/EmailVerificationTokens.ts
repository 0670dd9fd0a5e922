import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto"
import { Effect, Option, Redacted, Result } from "effect"
import type { VerificationTokenRejection } from "../../domain/accounts/errors.ts"
import type { Email } from "../../domain/accounts/User.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { bytesToUuid, canonicalBase64url, uuidToBytes } from "../crypto/CompactEncoding.ts"
import { AccountsConfig } from "./AccountsConfig.ts"
import { JwtSecret } from "./JwtAccessTokens.ts"

const VERSION = "ev1"
const BODY_BYTES = 20 // the user id (16 bytes), then the expiry in seconds since 1970 (4 bytes, big-endian)
const MAC_BYTES = 32
const MAX_TOKEN_LENGTH = 200

/** What a token is for. It is signed, so a token made for one purpose is refused for any other. */
export type AccountTokenPurpose = "email-verification" | (string & {})

/** A token as handed out, and until when it is good. */
export interface IssuedAccountToken {
  readonly token: string
  readonly expiresAt: Date
}

/** What a valid token says. */
export interface AccountTokenClaims {
  readonly userId: UserId
  readonly expiresAt: Date
}

/** The signed-tokens key of a secret: HKDF-SHA256 of it, apart from every other key derived from the same secret. */
const keyOf = (secret: Redacted.Redacted<string>) =>
  Buffer.from(hkdfSync("sha256", Redacted.value(secret), "goticket", "account tokens v1", 32))

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface Parsed {
  readonly userId: UserId
  readonly expirySeconds: number
  readonly mac: Buffer
}

/** The parts of a well-formed token (one spelling only: base64url without padding, spare bits zero), unchecked. */
const parse = (token: string): Option.Option<Parsed> => {
  if (token.length > MAX_TOKEN_LENGTH) return Option.none()
  const [version, body, tag, ...rest] = token.trim().split(".")
  if (version !== VERSION || body === undefined || tag === undefined || rest.length > 0) return Option.none()
  const bytes = canonicalBase64url(body)
  const mac = canonicalBase64url(tag)
  if (bytes === undefined || mac === undefined || bytes.length !== BODY_BYTES || mac.length !== MAC_BYTES)
    return Option.none()
  return Option.some({
    userId: bytesToUuid(bytes.subarray(0, 16)) as UserId,
    expirySeconds: bytes.readUInt32BE(16),
    mac
  })
}

/**
 * Stateless signed tokens about an account: `ev1.<user id + expiry>.<HMAC-SHA256>`, the MAC over the purpose, the user
 * id, the account's email and the expiry, keyed by a key derived (HKDF) from `secret`. Nothing is stored: a token is
 * good until it expires, and only while the account still has the address it was made for (the email is signed, not
 * carried, so a link shows no address). Tokens made with one of `previousSecrets` still verify (a key rotation does not
 * break the links already mailed).
 */
export const makeAccountTokens = (
  purpose: AccountTokenPurpose,
  secret: Redacted.Redacted<string>,
  ttlSeconds: number,
  previousSecrets: ReadonlyArray<Redacted.Redacted<string>> = []
) => {
  const signingKey = keyOf(secret)
  const verificationKeys = [signingKey, ...previousSecrets.map(keyOf)]
  const macOf = (key: Buffer, userId: string, email: string, expirySeconds: number) =>
    createHmac("sha256", key)
      .update(JSON.stringify([VERSION, purpose, userId, email, expirySeconds]))
      .digest()

  return {
    issue: (userId: UserId, email: Email, now: Date): IssuedAccountToken => {
      if (!UUID.test(userId)) throw new Error("an account token needs a UUID user id")
      const expirySeconds = Math.floor(now.getTime() / 1000) + ttlSeconds
      const body = Buffer.alloc(BODY_BYTES)
      uuidToBytes(userId).copy(body, 0)
      body.writeUInt32BE(expirySeconds, 16)
      const mac = macOf(signingKey, userId.toLowerCase(), email, expirySeconds)
      return {
        token: `${VERSION}.${body.toString("base64url")}.${mac.toString("base64url")}`,
        expiresAt: new Date(expirySeconds * 1000)
      }
    },

    /** The account a well-formed token names, NOT verified: whose email to read before calling `verify`. */
    subject: (token: string): Option.Option<UserId> => Option.map(parse(token), (parsed) => parsed.userId),

    /**
     * The claims of a token made for this purpose, this account and this `email`, or why not: `invalid` (malformed,
     * altered, another purpose, another address, an unknown key) or `expired` (only said of an authentic token). The
     * MAC is compared in constant time.
     */
    verify: (token: string, email: Email, now: Date): Result.Result<AccountTokenClaims, VerificationTokenRejection> => {
      const parsed = parse(token)
      if (Option.isNone(parsed)) return Result.fail("invalid")
      const { userId, expirySeconds, mac } = parsed.value
      const authentic = verificationKeys
        .map((key) => timingSafeEqual(mac, macOf(key, userId, email, expirySeconds)))
        .some((ok) => ok)
      if (!authentic) return Result.fail("invalid")
      if (now.getTime() >= expirySeconds * 1000) return Result.fail("expired")
      return Result.succeed({ userId, expiresAt: new Date(expirySeconds * 1000) })
    }
  }
}

export type AccountTokens = ReturnType<typeof makeAccountTokens>

/** Email verification tokens, good for `ttlHours`. */
export const makeEmailVerificationTokens = (
  secret: Redacted.Redacted<string>,
  ttlHours: number,
  previousSecrets: ReadonlyArray<Redacted.Redacted<string>> = []
): AccountTokens => makeAccountTokens("email-verification", secret, ttlHours * 3600, previousSecrets)

/**
 * The email verification tokens of this service: keyed from the token-signing secret (JWT_SECRET, or the generated
 * one), JWT_PREVIOUS_SECRETS still accepted, valid EMAIL_VERIFICATION_TTL_HOURS.
 */
export const loadEmailVerificationTokens = Effect.gen(function* () {
  const { jwtPreviousSecrets } = yield* AppConfig
  const { emailVerificationTtlHours } = yield* AccountsConfig
  return makeEmailVerificationTokens(yield* JwtSecret, emailVerificationTtlHours, jwtPreviousSecrets)
})

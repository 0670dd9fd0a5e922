import { createHash, randomBytes } from "node:crypto"
import { Redacted } from "effect"

/** Marks GoTicket refresh tokens, so that secret scanners (and people) recognise a leaked one. */
export const REFRESH_TOKEN_PREFIX = "gtr_"

const SHAPE = /^gtr_[A-Za-z0-9_-]{43}$/

/** A new refresh token: the prefix and 32 random bytes in base64url. */
export const newRefreshToken = (): Redacted.Redacted<string> =>
  Redacted.make(`${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`)

/** What is stored in place of the token: its SHA-256, in hex. None for a string that cannot be one of ours. */
export const refreshTokenHash = (token: Redacted.Redacted<string>): string | undefined => {
  const value = Redacted.value(token)
  return SHAPE.test(value) ? createHash("sha256").update(value, "utf8").digest("hex") : undefined
}

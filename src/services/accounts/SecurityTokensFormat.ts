import { createHash, randomBytes } from "node:crypto"
import { Redacted } from "effect"

/** Marks GoTicket one-time account tokens (reset and email change links, login challenges) for secret scanners. */
export const SECURITY_TOKEN_PREFIX = "gts_"

const SHAPE = /^gts_[A-Za-z0-9_-]{43}$/

/** A new one-time token: the prefix and 32 random bytes in base64url (URL-safe as it is). */
export const newSecurityToken = (): Redacted.Redacted<string> =>
  Redacted.make(`${SECURITY_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`)

/** What is stored in place of the token: its SHA-256, in hex. None for a string that cannot be one of ours. */
export const securityTokenHash = (token: Redacted.Redacted<string>): string | undefined => {
  const value = Redacted.value(token).trim()
  return SHAPE.test(value) ? createHash("sha256").update(value, "utf8").digest("hex") : undefined
}

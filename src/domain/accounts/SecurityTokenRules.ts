import { Result } from "effect"
import type { SecurityTokenRejection } from "./securityErrors.ts"

/** A stored token as far as its usability goes. */
export interface TokenLife {
  readonly expiresAt: Date
  readonly usedAt: Date | null
  readonly revokedAt: Date | null
}

/**
 * Whether a stored token may be used at `now`: not revoked (a revoked token is as good as unknown: `invalid`), not
 * used already (`used`), and `now` strictly before its expiry (`expired`). The order matters only for the message:
 * a used token stays `used` after it would have expired.
 */
export const usability = (token: TokenLife, now: Date): Result.Result<void, SecurityTokenRejection> => {
  if (token.revokedAt !== null) return Result.fail("invalid")
  if (token.usedAt !== null) return Result.fail("used")
  if (now.getTime() >= token.expiresAt.getTime()) return Result.fail("expired")
  return Result.void
}

/** When a token issued at `now` for `ttlSeconds` stops working. */
export const expiryOf = (now: Date, ttlSeconds: number): Date => new Date(now.getTime() + ttlSeconds * 1000)

/** Whether a stored token can be forgotten at `before`: it can never work again. */
export const purgeable = (token: TokenLife, before: Date): boolean =>
  token.expiresAt.getTime() < before.getTime() ||
  (token.usedAt !== null && token.usedAt.getTime() < before.getTime()) ||
  (token.revokedAt !== null && token.revokedAt.getTime() < before.getTime())

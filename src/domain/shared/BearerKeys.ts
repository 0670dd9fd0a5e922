/*
 * Rules every key the application issues follows (service keys, organizer API keys): how long it may live, when it
 * stops authenticating, and how often its use is written down.
 */

/** The longest a key may live: keys are rotated at least this often. */
export const MAX_KEY_LIFETIME_DAYS = 730
/** A key's use is written down at most once per this many milliseconds (a use is not a write per call). */
export const LAST_USED_RESOLUTION_MS = 60_000

const DAY = 86_400_000

/** What a stored key says about its life. */
export interface KeyLife {
  readonly expiresAt: Date | null
  readonly revokedAt: Date | null
}

/** Why a stored key cannot authenticate anything now, if it cannot. */
export const unusableKey = (key: KeyLife, now: Date): "revoked" | "expired" | undefined =>
  key.revokedAt !== null
    ? "revoked"
    : key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()
      ? "expired"
      : undefined

/** What is wrong with a requested expiry, if anything: it must be in the future and within MAX_KEY_LIFETIME_DAYS. */
export const expiryProblem = (expiresAt: Date | null, now: Date): string | undefined => {
  if (expiresAt === null) return undefined
  if (expiresAt.getTime() <= now.getTime()) return "the expiry must be in the future"
  if (expiresAt.getTime() > now.getTime() + MAX_KEY_LIFETIME_DAYS * DAY)
    return `a key lives at most ${MAX_KEY_LIFETIME_DAYS} days`
  return undefined
}

/** Whether a use at `now` is worth writing down, given the last one written. */
export const dueForTouch = (lastUsedAt: Date | null, now: Date): boolean =>
  lastUsedAt === null || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS

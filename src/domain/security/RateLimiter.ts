import { Context, Duration, type Effect, Schema } from "effect"

/**
 * A rate: `limit` requests per `window`, in bursts of up to `limit`. The name keeps policies apart (a key limited by
 * "login" is not limited by "search").
 */
export interface RatePolicy {
  readonly name: string
  readonly limit: number
  readonly window: Duration.Duration
}

/** The answer to one request: enough for a 429 `Retry-After` and the `RateLimit-Limit/Remaining/Reset` headers. */
export interface RateDecision {
  readonly allowed: boolean
  readonly limit: number
  /** Requests of cost 1 that would be allowed right now, after this one. */
  readonly remaining: number
  /** Until the bucket is full again (nothing consumed). */
  readonly resetAfter: Duration.Duration
  /** Until this request would be allowed; zero when it was. */
  readonly retryAfter: Duration.Duration
}

/**
 * The limiter's store cannot answer (down, slow). The caller decides: fail open (login, browsing) or closed
 * (abuse-prone endpoints). The key is left out on purpose: it may be an address or an e-mail.
 */
export class RateLimiterUnavailable extends Schema.TaggedError<RateLimiterUnavailable>()("RateLimiterUnavailable", {
  policy: Schema.String,
  message: Schema.String
}) {}

/**
 * Port: a GCRA (generic cell rate algorithm, a token bucket kept as one timestamp per key) shared by every instance
 * of the application (Redis in production). Programming errors (a limit below 1, a cost above the limit) are
 * defects.
 */
export interface RateLimiterShape {
  /** Takes `cost` (default 1, 0 only looks) from the key's bucket under this policy, if it holds that many. */
  readonly consume: (
    key: string,
    policy: RatePolicy,
    cost?: number
  ) => Effect.Effect<RateDecision, RateLimiterUnavailable>
  /** Fills the key's bucket again (a successful login clears the count of failed ones). */
  readonly reset: (key: string, policy: RatePolicy) => Effect.Effect<void, RateLimiterUnavailable>
}

export class RateLimiter extends Context.Service<RateLimiter, RateLimiterShape>()("goticket/RateLimiter") {}

/** Why a request cannot be rated at all, or undefined when it can. */
export const invalidRequest = (policy: RatePolicy, cost: number): string | undefined => {
  if (!Number.isSafeInteger(policy.limit) || policy.limit < 1)
    return `rate policy ${policy.name}: limit must be a positive integer, got ${policy.limit}`
  const windowMs = Duration.toMillis(policy.window)
  if (!Number.isFinite(windowMs) || windowMs <= 0)
    return `rate policy ${policy.name}: window must be finite and positive, got ${Duration.format(policy.window)}`
  if (!Number.isSafeInteger(cost) || cost < 0 || cost > policy.limit)
    return `rate policy ${policy.name}: cost must be an integer from 0 to ${policy.limit}, got ${cost}`
  return undefined
}

/** One GCRA step in plain numbers (milliseconds), as the Redis script computes it too. */
export interface GcraStep {
  readonly allowed: boolean
  readonly remaining: number
  readonly retryAfterMs: number
  readonly resetAfterMs: number
  /** The theoretical arrival time to store, or undefined when nothing changes (refused, or cost 0). */
  readonly tat: number | undefined
}

/** Float slack, so that a request landing exactly on its slot is not refused by a rounding error. */
const EPSILON = 1e-6

/**
 * GCRA: each request of cost 1 moves the key's theoretical arrival time (TAT) by `window / limit`; a request is
 * allowed while that time stays within one window of now. `tat` is the stored TAT (undefined: never seen or
 * expired), `now` in milliseconds. Keep in step with the Lua script of RateLimiterRedis.
 */
export const gcraStep = (
  tat: number | undefined,
  now: number,
  limit: number,
  windowMs: number,
  cost: number
): GcraStep => {
  const interval = windowMs / limit
  const base = tat === undefined || tat < now ? now : tat
  const next = base + cost * interval
  const diff = now - (next - windowMs)
  if (diff < -EPSILON) {
    return {
      allowed: false,
      remaining: Math.max(0, Math.floor((now - (base - windowMs)) / interval + EPSILON)),
      retryAfterMs: -diff,
      resetAfterMs: base - now,
      tat: undefined
    }
  }
  return {
    allowed: true,
    remaining: Math.max(0, Math.floor(diff / interval + EPSILON)),
    retryAfterMs: 0,
    resetAfterMs: Math.max(0, next - now),
    tat: cost === 0 ? undefined : next
  }
}

export const toDecision = (
  limit: number,
  step: Pick<GcraStep, "allowed" | "remaining" | "retryAfterMs" | "resetAfterMs">
): RateDecision => ({
  allowed: step.allowed,
  limit,
  remaining: step.remaining,
  resetAfter: Duration.millis(step.resetAfterMs),
  retryAfter: Duration.millis(step.retryAfterMs)
})

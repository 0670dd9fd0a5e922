import { type Cause, Duration, Effect, Layer } from "effect"
import type { Redis } from "ioredis"
import {
  invalidRequest,
  RateLimiter,
  RateLimiterUnavailable,
  type RatePolicy,
  toDecision
} from "../../domain/security/RateLimiter.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import { RedisClient } from "../redis/RedisClient.ts"

/**
 * gcraStep of the domain, in Lua, so that reading and moving a key's theoretical arrival time is one atomic step.
 * Time is the server's, so that every instance agrees. Floats travel as strings (Redis truncates Lua numbers).
 * KEYS[1] the bucket; ARGV limit, window (ms), cost. Answers {allowed, remaining, retryAfterMs, resetAfterMs}.
 */
const GCRA_LUA = `
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local epsilon = 1e-6
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local interval = window / limit
local base = tonumber(redis.call('GET', KEYS[1]) or '')
if base == nil or base < now then base = now end
local nextTat = base + cost * interval
local diff = now - (nextTat - window)
if diff < -epsilon then
  local remaining = math.max(0, math.floor((now - (base - window)) / interval + epsilon))
  return {0, remaining, string.format('%.17g', -diff), string.format('%.17g', base - now)}
end
local remaining = math.max(0, math.floor(diff / interval + epsilon))
local resetAfter = math.max(0, nextTat - now)
if cost > 0 then
  redis.call('SET', KEYS[1], string.format('%.17g', nextTat), 'PX', math.max(1, math.ceil(resetAfter)))
end
return {1, remaining, '0', string.format('%.17g', resetAfter)}
`

type GcraReply = [allowed: number, remaining: number, retryAfterMs: string, resetAfterMs: string]

interface GcraClient {
  goticketGcra(key: string, limit: number, windowMs: number, cost: number): Promise<GcraReply>
}

/**
 * Deadline of one call: the limiter sits in front of every request, so a slow Redis must fail it, not stall it. A
 * client whose own `commandTimeout` is at most this (the application's RedisClient) enforces it already, for free;
 * any other gets an Effect timeout around each call.
 */
const DEADLINE = Duration.millis(250)

/**
 * Redis behind the RateLimiter port: one key per (policy, key), `${prefix}${policy}:${key}`, living until its
 * bucket is full again (at most one window), so idle keys vanish. A down or slow Redis fails the call with
 * RateLimiterUnavailable within the deadline; the caller chooses to fail open or closed.
 */
export const makeRateLimiterRedis = (prefix = "goticket:rl:") =>
  Layer.effect(
    RateLimiter,
    Effect.gen(function* () {
      const redis: Redis = yield* RedisClient
      // EVALSHA, falling back to EVAL (and caching the script) when the server does not know it yet.
      redis.defineCommand("goticketGcra", { numberOfKeys: 1, lua: GCRA_LUA })
      const gcra = redis as unknown as GcraClient
      const clientTimeout = redis.options.commandTimeout
      const clientBounded =
        clientTimeout !== undefined && clientTimeout > 0 && clientTimeout <= Duration.toMillis(DEADLINE)
      const call = <A>(name: string, policy: RatePolicy, run: () => Promise<A>) =>
        Effect.tryPromise(run).pipe(
          (effect): Effect.Effect<A, Cause.UnknownError | Cause.TimeoutError> =>
            clientBounded ? effect : Effect.timeout(effect, DEADLINE),
          Effect.mapError(
            (error) =>
              new RateLimiterUnavailable({
                policy: policy.name,
                message: `rate limiter store failed on ${name}: ${error.cause instanceof Error ? error.cause.message : error.message}`
              })
          ),
          // On every request's path: a span without stack trace or stack frame (HotPathSpan).
          hotPathSpan(`RateLimiter.${name}`, { attributes: { policy: policy.name } })
        )
      const storeKey = (key: string, policy: RatePolicy) => `${prefix}${policy.name}:${key}`
      return RateLimiter.of({
        consume: (key, policy, cost = 1) => {
          const invalid = invalidRequest(policy, cost)
          if (invalid !== undefined) return Effect.die(new Error(invalid))
          return call("consume", policy, () =>
            gcra.goticketGcra(storeKey(key, policy), policy.limit, Duration.toMillis(policy.window), cost)
          ).pipe(
            Effect.map(([allowed, remaining, retryAfterMs, resetAfterMs]) =>
              toDecision(policy.limit, {
                allowed: allowed === 1,
                remaining,
                retryAfterMs: Number(retryAfterMs),
                resetAfterMs: Number(resetAfterMs)
              })
            )
          )
        },
        reset: (key, policy) => call("reset", policy, () => redis.del(storeKey(key, policy))).pipe(Effect.asVoid)
      })
    })
  )

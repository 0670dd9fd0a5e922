import { Context, Duration, Effect, Layer, Metric } from "effect"
import { type RateDecision, RateLimiter, type RatePolicy } from "../../domain/security/RateLimiter.ts"
import { makeRateLimiterMemory } from "./RateLimiterMemory.ts"

/**
 * What to do when the shared limiter (Redis) cannot answer: `open` lets the request through (reads: an outage of
 * the limiter must not take browsing down), `local` counts it in this process instead (writes and logins keep a
 * limit, per instance, until Redis is back).
 */
export type WhenUnavailable = "open" | "local"

export const fallbacks = Metric.counter("goticket_rate_limit_fallbacks_total", {
  description: "Requests rated without the shared limiter (Redis unreachable), by fallback",
  incremental: true
})

const unlimited = (policy: RatePolicy): RateDecision => ({
  allowed: true,
  limit: policy.limit,
  remaining: policy.limit,
  resetAfter: Duration.zero,
  retryAfter: Duration.zero
})

/**
 * The RateLimiter port with its failure policy applied: never fails, logs an outage of the shared store once and its
 * end once, and counts every fallback in `goticket_rate_limit_fallbacks_total{fallback}`.
 */
export class GuardedRateLimiter extends Context.Service<GuardedRateLimiter>()("goticket/GuardedRateLimiter", {
  make: Effect.gen(function* () {
    const shared = yield* RateLimiter
    const local = yield* Effect.provide(RateLimiter, makeRateLimiterMemory({ maxKeys: 50_000 }))
    let degraded = false

    const consume = (
      key: string,
      policy: RatePolicy,
      whenUnavailable: WhenUnavailable,
      cost = 1
    ): Effect.Effect<RateDecision> =>
      shared.consume(key, policy, cost).pipe(
        Effect.tap(() => {
          if (!degraded) return Effect.void
          degraded = false
          return Effect.logInfo("rate limiter store is back; limits are shared again")
        }),
        Effect.catchTag("RateLimiterUnavailable", (error) =>
          Effect.gen(function* () {
            if (!degraded) {
              degraded = true
              yield* Effect.logWarning(
                "rate limiter store unreachable: reads go unlimited, writes and logins are limited per instance"
              ).pipe(Effect.annotateLogs({ reason: error.message }))
            }
            yield* Metric.update(Metric.withAttributes(fallbacks, { fallback: whenUnavailable }), 1)
            return whenUnavailable === "open"
              ? unlimited(policy)
              : yield* Effect.orDie(local.consume(key, policy, cost))
          })
        )
      )

    const reset = (key: string, policy: RatePolicy) =>
      Effect.andThen(
        shared.reset(key, policy).pipe(Effect.catchTag("RateLimiterUnavailable", () => Effect.void)),
        local.reset(key, policy).pipe(Effect.orDie)
      )

    return { consume, reset } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

import { Clock, Duration, Effect, Layer } from "effect"
import { gcraStep, invalidRequest, RateLimiter, toDecision } from "../../domain/security/RateLimiter.ts"

export interface RateLimiterMemoryOptions {
  /** Most keys held at once. Idle keys (full buckets) go first; past that, the least recently used. */
  readonly maxKeys?: number
}

/**
 * The in-memory twin of RateLimiterRedis: one theoretical arrival time per key, read against the Effect clock (so
 * TestClock drives it). One process only: instances behind a load balancer each count on their own.
 */
export const makeRateLimiterMemory = (options: RateLimiterMemoryOptions = {}) =>
  Layer.sync(RateLimiter, () => {
    const maxKeys = Math.max(1, options.maxKeys ?? 100_000)
    // Insertion order is recency order: every write deletes the key first.
    const tats = new Map<string, number>()
    /**
     * Drops idle keys (a TAT in the past reads the same as none), then the least recently used, down to 90% of the
     * bound so that a full map is swept once per tenth of its size, not on every new key. Evicting a live key
     * forgets its count: the bound trades that for memory.
     */
    const makeRoom = (now: number) => {
      for (const [key, tat] of tats) if (tat <= now) tats.delete(key)
      const target = Math.floor(maxKeys * 0.9)
      for (const key of tats.keys()) {
        if (tats.size <= target) break
        tats.delete(key)
      }
    }
    const storeKey = (key: string, policyName: string) => `${policyName}:${key}`
    return RateLimiter.of({
      consume: (key, policy, cost = 1) => {
        const invalid = invalidRequest(policy, cost)
        if (invalid !== undefined) return Effect.die(new Error(invalid))
        return Effect.map(Clock.currentTimeMillis, (now) => {
          const id = storeKey(key, policy.name)
          const stored = tats.get(id)
          const step = gcraStep(stored, now, policy.limit, Duration.toMillis(policy.window), cost)
          if (step.tat !== undefined) {
            tats.delete(id)
            if (tats.size >= maxKeys) makeRoom(now)
            tats.set(id, step.tat)
          } else if (stored !== undefined && stored <= now) tats.delete(id)
          return toDecision(policy.limit, step)
        }).pipe(Effect.withSpan("RateLimiter.consume", { attributes: { policy: policy.name, cost } }))
      },
      reset: (key, policy) =>
        Effect.sync(() => {
          tats.delete(storeKey(key, policy.name))
        })
    })
  })

import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted } from "effect"
import { TestClock } from "effect/testing"
import { rateLimiterContract, rateLimiterDownContract } from "../../../test/contracts/RateLimiterContract.ts"
import { describeWithRedis, redisClientReady } from "../../../test/support/Redis.ts"
import { RateLimiter, type RatePolicy } from "../../domain/security/RateLimiter.ts"
import { redisClientLayer } from "../redis/RedisClient.ts"
import { makeRateLimiterMemory } from "./RateLimiterMemory.ts"
import { makeRateLimiterRedis } from "./RateLimiterRedis.ts"

/** One prefix per run, so that runs never count each other's requests (every key expires within its window). */
const prefix = `goticket:test:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}:rl:`

rateLimiterContract("in-memory", makeRateLimiterMemory())

await describeWithRedis("RateLimiter contract: Redis", (url) =>
  rateLimiterContract("Redis", makeRateLimiterRedis(prefix).pipe(Layer.provide(redisClientReady(url))))
)

// Needs no server: nothing listens on port 1.
rateLimiterDownContract(
  "Redis on a dead port",
  makeRateLimiterRedis(prefix).pipe(Layer.provide(redisClientLayer(Redacted.make("redis://127.0.0.1:1"))))
)

// The test clock is provided explicitly, so that these tests do not depend on which services `it.effect` brings.
describe("RateLimiterMemory", () => {
  const perMinute: RatePolicy = { name: "test", limit: 1, window: Duration.minutes(1) }

  it.effect("runs on the Effect clock: TestClock moves its buckets", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const policy: RatePolicy = { name: "test", limit: 5, window: Duration.minutes(1) }
      for (let i = 0; i < 5; i++) yield* limiter.consume("k", policy)
      const refused = yield* limiter.consume("k", policy)
      expect(refused).toMatchObject({ allowed: false, remaining: 0 })
      expect(Duration.toMillis(refused.retryAfter)).toBe(12_000)
      expect(Duration.toMillis(refused.resetAfter)).toBe(60_000)

      yield* TestClock.adjust("11999 millis")
      expect((yield* limiter.consume("k", policy)).allowed).toBe(false)
      yield* TestClock.adjust("1 millis")
      expect(yield* limiter.consume("k", policy)).toMatchObject({ allowed: true, remaining: 0 })
    }).pipe(Effect.provide(makeRateLimiterMemory()), Effect.provide(TestClock.layer()))
  )

  it.effect("holds at most maxKeys: idle keys go first, then the least recently used", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const allowed = (key: string) => Effect.map(limiter.consume(key, perMinute), (d) => d.allowed)
      yield* allowed("a")
      yield* allowed("b")
      yield* TestClock.adjust("2 minutes") // a and b are idle now
      yield* allowed("c")
      yield* allowed("d") // full: a and b are dropped, c stays
      expect(yield* allowed("c")).toBe(false)

      yield* allowed("e")
      yield* allowed("f") // full of live keys: the least recently used (c) is dropped
      expect(yield* allowed("d")).toBe(false)
      expect(yield* allowed("c")).toBe(true)
    }).pipe(Effect.provide(makeRateLimiterMemory({ maxKeys: 3 })), Effect.provide(TestClock.layer()))
  )
})

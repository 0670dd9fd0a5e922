import { Config, Effect, Layer, Option } from "effect"
import { redisClientLayer } from "../redis/RedisClient.ts"
import { makeRateLimiterMemory } from "./RateLimiterMemory.ts"
import { makeRateLimiterRedis } from "./RateLimiterRedis.ts"

/** Redis when REDIS_URL is set (every instance shares the counts), else in process (the embedded default). */
export const RateLimiterLive = Layer.unwrap(
  Effect.gen(function* () {
    const url = yield* Config.option(Config.Redacted("REDIS_URL"))
    if (Option.isNone(url)) return makeRateLimiterMemory()
    // Instances that share one Redis share the limits only under the same prefix.
    const prefix = yield* Config.String("RATE_LIMIT_REDIS_PREFIX").pipe(Config.withDefault("goticket:rl:"))
    yield* Effect.logInfo("rate limits on Redis")
    return makeRateLimiterRedis(prefix).pipe(Layer.provide(redisClientLayer(url.value)))
  })
)

import { Config, Effect, Layer, Option } from "effect"
import { KeyMarkSource } from "../../domain/reservations/InventoryCache.ts"
import { ReservationConfig } from "../config/ReservationConfig.ts"
import { redisClientLayer } from "../redis/RedisClient.ts"
import { makeInventoryCacheMemory } from "./InventoryCacheMemory.ts"
import { makeInventoryCacheRedis } from "./InventoryCacheRedis.ts"

/**
 * Redis when REDIS_URL is set, else an in-process cache (the embedded default: one process, same semantics). Either
 * rebuilds its Idempotency-Key marks from the ReservationRepository when it lost them.
 */
export const InventoryCacheLive = Layer.unwrap(
  Effect.gen(function* () {
    const url = yield* Config.option(Config.Redacted("REDIS_URL"))
    const config = yield* ReservationConfig
    const ttl = { soldOutMs: config.soldOutFlagTtlMs, viewMs: config.viewCacheTtlMs }
    if (Option.isNone(url)) return makeInventoryCacheMemory(ttl)
    yield* Effect.logInfo("inventory cache on Redis")
    return makeInventoryCacheRedis(ttl).pipe(Layer.provide(redisClientLayer(url.value)))
  })
).pipe(Layer.provide(KeyMarkSource.fromRepository))

import { Duration, Effect, Layer, Option } from "effect"
import type { Redis } from "ioredis"
import { type CachedView, InventoryCache, type InventoryCacheTtl } from "../../domain/reservations/InventoryCache.ts"
import { RedisClient } from "../redis/RedisClient.ts"

/**
 * Redis behind the InventoryCache port. Every command has a short deadline; a failure or timeout reads as a miss
 * and skips a write, so a slow or absent Redis costs speed (PostgreSQL answers instead), never correctness.
 */
export const makeInventoryCacheRedis = (ttl: InventoryCacheTtl, prefix = "goticket:") =>
  Layer.effect(
    InventoryCache,
    Effect.gen(function* () {
      const redis: Redis = yield* RedisClient
      const attempt = <A>(name: string, run: () => Promise<A>, fallback: A) =>
        Effect.tryPromise(run).pipe(
          Effect.timeout(Duration.millis(250)),
          Effect.catchAll((error) =>
            Effect.logDebug(`redis ${name} failed; falling back`, error).pipe(Effect.as(fallback))
          ),
          Effect.withSpan(`InventoryCache.${name}`)
        )
      const soldOutKey = (id: string) => `${prefix}soldout:${id}`
      const viewKey = (eventId: string, view: CachedView) => `${prefix}view:${view}:${eventId}`
      return InventoryCache.of({
        soldOut: (ids) =>
          ids.length === 0
            ? Effect.succeedNone
            : attempt(
                "soldOut",
                async () => {
                  const flags = await redis.mget(...ids.map(soldOutKey))
                  const index = flags.findIndex((f) => f !== null)
                  return index === -1 ? Option.none<string>() : Option.fromNullable(ids[index])
                },
                Option.none<string>()
              ),
        markSoldOut: (id) =>
          attempt("markSoldOut", () => redis.set(soldOutKey(id), "1", "PX", ttl.soldOutMs), "skipped").pipe(
            Effect.asVoid
          ),
        clearSoldOut: (ids) =>
          ids.length === 0
            ? Effect.void
            : attempt("clearSoldOut", () => redis.del(...ids.map(soldOutKey)), 0).pipe(Effect.asVoid),
        getView: (eventId, view) =>
          attempt(
            "getView",
            async () => Option.fromNullable(await redis.get(viewKey(eventId, view))),
            Option.none<string>()
          ),
        putView: (eventId, view, json) =>
          attempt("putView", () => redis.set(viewKey(eventId, view), json, "PX", ttl.viewMs), "skipped").pipe(
            Effect.asVoid
          ),
        invalidate: (eventId) =>
          attempt("invalidate", () => redis.del(viewKey(eventId, "detail"), viewKey(eventId, "seats")), 0).pipe(
            Effect.asVoid
          )
      })
    })
  )

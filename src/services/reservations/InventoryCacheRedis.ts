import { Duration, Effect, Layer, Option } from "effect"
import type { Redis } from "ioredis"
import { type CachedView, InventoryCache, type InventoryCacheTtl } from "../../domain/reservations/InventoryCache.ts"
import { RedisClient } from "../redis/RedisClient.ts"

const LOCAL_FLAG_MS = 250

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
          Effect.catch((error) =>
            Effect.logDebug(`redis ${name} failed; falling back`, error).pipe(Effect.as(fallback))
          ),
          Effect.withSpan(`InventoryCache.${name}`)
        )
      const soldOutKey = (id: string) => `${prefix}soldout:${id}`
      // A process that just saw a ticket type sold out remembers it briefly, so a flash sale's flood of refusals
      // costs no network round trip. Shorter than the Redis flag, so a clear elsewhere is seen soon.
      const local = new Map<string, number>()
      const localMs = Math.min(LOCAL_FLAG_MS, ttl.soldOutMs)
      const localHit = (ids: ReadonlyArray<string>) => {
        const now = Date.now()
        for (const id of ids) {
          const until = local.get(id)
          if (until !== undefined && until > now) return id
        }
        return undefined
      }
      const remember = (id: string) => {
        if (local.size > 10_000) local.clear()
        local.set(id, Date.now() + localMs)
      }
      const viewKey = (eventId: string, view: CachedView) => `${prefix}view:${view}:${eventId}`
      return InventoryCache.of({
        soldOut: (ids) => {
          if (ids.length === 0) return Effect.succeedNone
          const known = localHit(ids)
          if (known !== undefined) return Effect.succeed(Option.some(known))
          return attempt(
            "soldOut",
            async () => {
              const flags = await redis.mget(...ids.map(soldOutKey))
              const index = flags.findIndex((f) => f !== null)
              const id = index === -1 ? undefined : ids[index]
              if (id !== undefined) remember(id)
              return Option.fromNullishOr(id)
            },
            Option.none<string>()
          )
        },
        markSoldOut: (id) => {
          remember(id)
          return attempt("markSoldOut", () => redis.set(soldOutKey(id), "1", "PX", ttl.soldOutMs), "skipped").pipe(
            Effect.asVoid
          )
        },
        clearSoldOut: (ids) => {
          for (const id of ids) local.delete(id)
          return ids.length === 0
            ? Effect.void
            : attempt("clearSoldOut", () => redis.del(...ids.map(soldOutKey)), 0).pipe(Effect.asVoid)
        },
        markKey: (customerId, key, ms) =>
          attempt("markKey", () => redis.set(`${prefix}key:${customerId}:${key}`, "1", "PX", ms), "skipped").pipe(
            Effect.asVoid
          ),
        keyMarked: (customerId, key) =>
          attempt(
            "keyMarked",
            async (): Promise<"marked" | "absent" | "unknown"> =>
              (await redis.exists(`${prefix}key:${customerId}:${key}`)) > 0 ? "marked" : "absent",
            "unknown" as const
          ),
        getView: (eventId, view) =>
          attempt(
            "getView",
            async () => Option.fromNullishOr(await redis.get(viewKey(eventId, view))),
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

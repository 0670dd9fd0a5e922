import { Clock, Effect, Layer, Option, Ref } from "effect"
import { type CachedView, InventoryCache, type InventoryCacheTtl } from "../../domain/reservations/InventoryCache.ts"

/** The in-memory twin of InventoryCacheRedis: entries with deadlines, read against the Effect clock. */
export const makeInventoryCacheMemory = (ttl: InventoryCacheTtl) =>
  Layer.effect(
    InventoryCache,
    Effect.gen(function* () {
      const entries = yield* Ref.make(new Map<string, { readonly value: string; readonly until: number }>())
      const read = (key: string) =>
        Effect.zipWith(Ref.get(entries), Clock.currentTimeMillis, (map, now) => {
          const entry = map.get(key)
          return entry && entry.until > now ? Option.some(entry.value) : Option.none<string>()
        })
      const write = (key: string, value: string, ms: number) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Ref.update(entries, (map) => new Map(map).set(key, { value, until: now + ms }))
        )
      const remove = (keys: ReadonlyArray<string>) =>
        Ref.update(entries, (map) => {
          const next = new Map(map)
          for (const key of keys) next.delete(key)
          return next
        })
      const viewKey = (eventId: string, view: CachedView) => `view:${view}:${eventId}`
      return InventoryCache.of({
        soldOut: Effect.fnUntraced(function* (ids: ReadonlyArray<string>) {
          for (const id of ids) if (Option.isSome(yield* read(`soldout:${id}`))) return Option.some(id)
          return Option.none()
        }),
        markSoldOut: (id) => write(`soldout:${id}`, "1", ttl.soldOutMs),
        clearSoldOut: (ids) => remove(ids.map((id) => `soldout:${id}`)),
        markKey: (customerId, key, ms) => write(`key:${customerId}:${key}`, "1", ms),
        keyMarked: (customerId, key) =>
          Effect.map(read(`key:${customerId}:${key}`), (hit) => (Option.isSome(hit) ? "marked" : "absent")),
        getView: (eventId, view) => read(viewKey(eventId, view)),
        putView: (eventId, view, json) => write(viewKey(eventId, view), json, ttl.viewMs),
        invalidate: (eventId) => remove([viewKey(eventId, "detail"), viewKey(eventId, "seats")])
      })
    })
  )

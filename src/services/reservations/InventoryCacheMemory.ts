import { Clock, Effect, Latch, Layer, Option } from "effect"
import {
  type CachedView,
  InventoryCache,
  type InventoryCacheTtl,
  KeyMarkSource
} from "../../domain/reservations/InventoryCache.ts"
import type { LiveKey } from "../../domain/reservations/ReservationRepository.ts"

/** Key marks written per page of live keys while rebuilding (as InventoryCacheRedis). */
const REBUILD_BATCH = 1_000
const REBUILD_LOCK_MS = 30_000
const RETRY_MS = 500
const EPOCH = "keys:epoch"
const LOCK = "keys:rebuild"

/**
 * What the Redis server is to InventoryCacheRedis: entries with deadlines (on the Effect clock), shared by every
 * cache built on it, as processes share one Redis.
 */
export class MemoryCacheStore {
  readonly entries = new Map<string, { readonly value: string; readonly until: number }>()
  /** Forgets every entry, as a Redis restarted without persistence (or flushed) does. */
  restart(): void {
    this.entries.clear()
  }
}

/**
 * The in-memory twin of InventoryCacheRedis, with the same key-mark semantics: marks are trusted only while the
 * sentinel is in the store (it is set by a rebuild from `KeyMarkSource` and removed by `distrustMarks` or by losing
 * the store); until then `keyMarked` answers `unknown` for an unmarked key and one rebuild runs (a lock in the
 * store keeps caches sharing it from rebuilding twice). Its writes never fail.
 */
export const makeInventoryCacheMemory = (ttl: InventoryCacheTtl, store: MemoryCacheStore = new MemoryCacheStore()) =>
  Layer.effect(
    InventoryCache,
    Effect.gen(function* () {
      const source = yield* KeyMarkSource
      const { entries } = store
      const valueAt = (key: string, now: number) => {
        const entry = entries.get(key)
        if (entry === undefined) return undefined
        if (entry.until > now) return entry.value
        entries.delete(key)
        return undefined
      }
      const read = (key: string) =>
        Effect.map(Clock.currentTimeMillis, (now) => Option.fromNullishOr(valueAt(key, now)))
      const write = (key: string, value: string, ms: number) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          entries.set(key, { value, until: now + ms })
        })
      const remove = (keys: ReadonlyArray<string>) =>
        Effect.sync(() => {
          for (const key of keys) entries.delete(key)
        })
      const viewKey = (eventId: string, view: CachedView) => `view:${view}:${eventId}`
      const markKeyOf = (customerId: string, key: string) => `key:${customerId}:${key}`

      let rebuildWanted = true
      const wake = Latch.makeUnsafe(false)
      const want = () => {
        if (!rebuildWanted) {
          rebuildWanted = true
          wake.openUnsafe()
        }
      }

      const rebuild = Effect.gen(function* () {
        let now = yield* Clock.currentTimeMillis
        if (valueAt(EPOCH, now) !== undefined) return "trusted" as const
        if (valueAt(LOCK, now) !== undefined) return "elsewhere" as const
        const token = crypto.randomUUID()
        entries.set(LOCK, { value: token, until: now + REBUILD_LOCK_MS })
        let after: LiveKey | undefined
        for (;;) {
          const page = yield* source.liveKeys(after, REBUILD_BATCH).pipe(
            Effect.onError(() =>
              Effect.sync(() => {
                if (entries.get(LOCK)?.value === token) entries.delete(LOCK)
              })
            )
          )
          now = yield* Clock.currentTimeMillis
          if (valueAt(LOCK, now) !== token) return "distrusted" as const
          for (const live of page) {
            const until = live.expiresAt.getTime()
            if (until > now) entries.set(markKeyOf(live.customerId, live.key), { value: "1", until })
          }
          entries.set(LOCK, { value: token, until: now + REBUILD_LOCK_MS })
          if (page.length < REBUILD_BATCH) break
          after = page[page.length - 1]
        }
        // No yield since the lock was last seen ours: nothing distrusted the marks in between.
        entries.set(EPOCH, { value: "1", until: Number.POSITIVE_INFINITY })
        entries.delete(LOCK)
        return "rebuilt" as const
      })

      yield* Effect.gen(function* () {
        for (;;) {
          yield* wake.await
          wake.closeUnsafe()
          if (!rebuildWanted) continue
          rebuildWanted = false
          const outcome = yield* rebuild.pipe(
            Effect.catchCause((cause) =>
              Effect.logDebug("key mark rebuild failed; trying again", cause).pipe(Effect.as("failed" as const))
            )
          )
          if (outcome !== "trusted" && outcome !== "rebuilt") {
            rebuildWanted = true
            yield* Effect.sleep(RETRY_MS)
            wake.openUnsafe()
          }
        }
      }).pipe(Effect.forkScoped)
      wake.openUnsafe()

      const soldOut = Effect.fnUntraced(function* (ids: ReadonlyArray<string>) {
        for (const id of ids) if (Option.isSome(yield* read(`soldout:${id}`))) return Option.some(id)
        return Option.none<string>()
      })
      const keyMarked = Effect.fnUntraced(function* (customerId: string, key: string) {
        const now = yield* Clock.currentTimeMillis
        if (valueAt(markKeyOf(customerId, key), now) !== undefined) return "marked" as const
        if (valueAt(EPOCH, now) === undefined) {
          want()
          return "unknown" as const
        }
        return "absent" as const
      })
      const markKey = (customerId: string, key: string, ms: number) =>
        Effect.as(write(markKeyOf(customerId, key), "1", ms), true)

      return InventoryCache.of({
        soldOut,
        markSoldOut: (id) => write(`soldout:${id}`, "1", ttl.soldOutMs),
        clearSoldOut: (ids) => remove(ids.map((id) => `soldout:${id}`)),
        markKey,
        keyMarked,
        gateHold: Effect.fnUntraced(function* (ids, customerId, key, ms) {
          const gone = yield* soldOut(ids)
          if (Option.isSome(gone))
            return { _tag: "SoldOut", ticketTypeId: gone.value, key: yield* keyMarked(customerId, key) } as const
          return { _tag: "Open", marked: yield* markKey(customerId, key, ms) } as const
        }),
        distrustMarks: Effect.sync(() => {
          entries.delete(EPOCH)
          entries.delete(LOCK)
          want()
        }),
        getView: (eventId, view) => read(viewKey(eventId, view)),
        putView: (eventId, view, json) => write(viewKey(eventId, view), json, ttl.viewMs),
        invalidate: (eventId) => remove([viewKey(eventId, "detail"), viewKey(eventId, "seats")])
      })
    })
  )

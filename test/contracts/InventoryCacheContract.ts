import { expect, layer } from "@effect/vitest"
import { Context, Effect, Latch, Layer, Option } from "effect"
import {
  type CachedView,
  InventoryCache,
  type InventoryCacheShape,
  type InventoryCacheTtl,
  KeyMarkSource
} from "../../src/domain/reservations/InventoryCache.ts"
import type { LiveKey } from "../../src/domain/reservations/ReservationRepository.ts"

/**
 * Short lives, so that expiry is observed with the real clock (the suites run without the test services: Redis
 * keeps its own time). Every key a run writes is gone within a second of the run.
 */
export const contractTtl: InventoryCacheTtl = { soldOutMs: 300, viewMs: 600 }

const fresh = () => crypto.randomUUID()
const views: ReadonlyArray<CachedView> = ["detail", "seats"]

/** Every view of these events, as `${event}/${view}` → the cached JSON, or null on a miss. */
const snapshot = (eventIds: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const cache = yield* InventoryCache
    const entries: Array<[string, string | null]> = []
    for (const eventId of eventIds)
      for (const view of views)
        entries.push([`${eventId}/${view}`, Option.getOrNull(yield* cache.getView(eventId, view))])
    return Object.fromEntries(entries)
  })

/**
 * The database's live hold keys as the suites set them, behind a gate: closed, a rebuild waits in its first read,
 * which shows what the cache answers while its marks are not rebuilt yet.
 */
const keySource = () => {
  const order = (k: LiveKey) => `${k.customerId}\u0000${k.key}`
  const source: {
    keys: ReadonlyArray<LiveKey>
    readonly gate: Latch.Latch
    /** Rebuilds started: reads of a first page. */
    rebuilds: number
    readonly layer: Layer.Layer<KeyMarkSource>
  } = {
    keys: [],
    gate: Latch.makeUnsafe(true),
    rebuilds: 0,
    layer: Layer.sync(KeyMarkSource, () => ({
      liveKeys: (after: LiveKey | undefined, limit: number): Effect.Effect<ReadonlyArray<LiveKey>> =>
        Effect.suspend(() => {
          if (after === undefined) source.rebuilds++
          const start = after === undefined ? "" : order(after)
          return Effect.as(
            source.gate.await,
            source.keys
              .filter((k) => order(k) > start)
              .sort((a, b) => (order(a) < order(b) ? -1 : 1))
              .slice(0, limit)
          )
        })
    }))
  }
  return source
}

/** Waits until the cache trusts its key marks again: an unknown key reads `absent`, not `unknown`. */
const marksTrusted = (cache: InventoryCacheShape) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 250; attempt++) {
      if ((yield* cache.keyMarked(fresh(), fresh())) === "absent") return
      yield* Effect.sleep("20 millis")
    }
    throw new Error("the key marks were never trusted")
  })

const inSeconds = (s: number) => new Date(Date.now() + s * 1000)

/**
 * One contract, every adapter: what any InventoryCache must do while its store is up. `makeLayer` builds a cache on
 * the suite's one store (called again for a second cache on the same store: another process); `loseStore` empties
 * that store, as a Redis restarted without persistence or flushed.
 */
export const inventoryCacheContract = (
  name: string,
  makeLayer: (ttl: InventoryCacheTtl) => Layer.Layer<InventoryCache, unknown, KeyMarkSource>,
  loseStore: Effect.Effect<void>
) => {
  const source = keySource()
  // A new layer value each time: another cache (another process) on the same store, not the memoised one.
  const cacheOnStore = () => makeLayer(contractTtl).pipe(Layer.provide(source.layer))
  return layer(cacheOnStore(), { timeout: "30 seconds", excludeTestServices: true })(
    `InventoryCache contract: ${name}`,
    (it) => {
      it.effect("soldOut answers the first flagged ticket type of those asked, none when none is flagged", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const [a, b, c] = [fresh(), fresh(), fresh()]
          expect(yield* cache.soldOut([a, b, c])).toEqual(Option.none())
          expect(yield* cache.soldOut([])).toEqual(Option.none())

          yield* cache.markSoldOut(c)
          yield* cache.markSoldOut(b)
          expect(yield* cache.soldOut([a, b, c])).toEqual(Option.some(b))
          expect(yield* cache.soldOut([c, a, b])).toEqual(Option.some(c))
          expect(yield* cache.soldOut([a, c])).toEqual(Option.some(c))
          expect(yield* cache.soldOut([a])).toEqual(Option.none())
          expect(yield* cache.soldOut([])).toEqual(Option.none())
        })
      )

      it.effect("markKey marks one customer's key, for its time to live", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const [alice, bob, key] = [fresh(), fresh(), fresh()]
          yield* marksTrusted(cache)
          expect(yield* cache.keyMarked(alice, key)).toBe("absent")
          expect(yield* cache.markKey(alice, key, 300)).toBe(true)
          expect(yield* cache.keyMarked(alice, key)).toBe("marked")
          expect(yield* cache.keyMarked(bob, key)).toBe("absent")
          yield* Effect.sleep("450 millis")
          expect(yield* cache.keyMarked(alice, key)).toBe("absent")
        })
      )

      it.effect("gateHold marks the key when no type asked for is sold out, and writes nothing when one is", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const [alice, key, retried, a, b] = [fresh(), fresh(), fresh(), fresh(), fresh()]
          yield* marksTrusted(cache)
          expect(yield* cache.gateHold([a, b], alice, key, 5_000)).toEqual({ _tag: "Open", marked: true })
          expect(yield* cache.keyMarked(alice, key)).toBe("marked")

          yield* cache.markSoldOut(b)
          const other = fresh()
          expect(yield* cache.gateHold([a, b], alice, other, 5_000)).toEqual({
            _tag: "SoldOut",
            ticketTypeId: b,
            key: "absent"
          })
          // Refused: its key is not marked, so that a later refusal of it is not taken for a retry.
          expect(yield* cache.keyMarked(alice, other)).toBe("absent")
          // A retry of a hold whose key was marked: the refusal says so (the caller replays it).
          expect(yield* cache.gateHold([b], alice, key, 5_000)).toEqual({
            _tag: "SoldOut",
            ticketTypeId: b,
            key: "marked"
          })
          expect(yield* cache.markKey(alice, retried, 5_000)).toBe(true)
          expect(yield* cache.gateHold([a, b], alice, retried, 5_000)).toMatchObject({ _tag: "SoldOut", key: "marked" })
          // While the marks are distrusted (their rebuild held up here), an unmarked key is not known absent.
          source.gate.closeUnsafe()
          yield* cache.distrustMarks
          expect(yield* cache.gateHold([b], alice, fresh(), 5_000)).toMatchObject({ _tag: "SoldOut", key: "unknown" })
          source.gate.openUnsafe()
          yield* marksTrusted(cache)
        })
      )

      it.effect("concurrent invalidations of one event each leave none of the views cached before them", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const eventId = fresh()
          yield* Effect.forEach(
            Array.from({ length: 40 }, (_, i) => i),
            (i) =>
              Effect.andThen(cache.putView(eventId, i % 2 === 0 ? "detail" : "seats", `{"v":${i}}`), () =>
                Effect.andThen(cache.invalidate(eventId), () =>
                  Effect.map(cache.getView(eventId, i % 2 === 0 ? "detail" : "seats"), (view) =>
                    // Another caller may have put its view since; never this caller's own.
                    expect(Option.getOrNull(view)).not.toBe(`{"v":${i}}`)
                  )
                )
              ),
            { concurrency: "unbounded", discard: true }
          )
          expect(yield* snapshot([eventId])).toEqual({ [`${eventId}/detail`]: null, [`${eventId}/seats`]: null })
        })
      )

      it.effect("clearSoldOut forgets the flags of the given ticket types only", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const [a, b, c] = [fresh(), fresh(), fresh()]
          yield* cache.markSoldOut(a)
          yield* cache.markSoldOut(b)
          yield* cache.markSoldOut(c)

          yield* cache.clearSoldOut([a, fresh()])
          expect(yield* cache.soldOut([a])).toEqual(Option.none())
          expect(yield* cache.soldOut([a, b, c])).toEqual(Option.some(b))
          yield* cache.clearSoldOut([])
          expect(yield* cache.soldOut([a, c])).toEqual(Option.some(c))
          yield* cache.clearSoldOut([c, b])
          expect(yield* cache.soldOut([a, b, c])).toEqual(Option.none())
        })
      )

      it.effect("a sold-out flag expires by itself after its time to live", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const [a, b] = [fresh(), fresh()]
          yield* cache.markSoldOut(a)
          expect(yield* cache.soldOut([a])).toEqual(Option.some(a))

          yield* Effect.sleep(contractTtl.soldOutMs + 200)
          expect(yield* cache.soldOut([a])).toEqual(Option.none())

          // A flag set again lives again, from when it was set.
          yield* cache.markSoldOut(a)
          yield* cache.markSoldOut(b)
          expect(yield* cache.soldOut([a, b])).toEqual(Option.some(a))
          yield* Effect.sleep(contractTtl.soldOutMs + 200)
          expect(yield* cache.soldOut([a, b])).toEqual(Option.none())
        })
      )

      it.effect("getView returns what putView stored, per event and per view kind, until it expires", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const [e1, e2] = [fresh(), fresh()]
          expect(yield* snapshot([e1, e2])).toEqual({
            [`${e1}/detail`]: null,
            [`${e1}/seats`]: null,
            [`${e2}/detail`]: null,
            [`${e2}/seats`]: null
          })

          const detail = JSON.stringify({ id: e1, title: 'Café ☕ "quoted"', prices: [2500, 4100] })
          yield* cache.putView(e1, "detail", detail)
          expect(yield* snapshot([e1, e2])).toEqual({
            [`${e1}/detail`]: detail,
            [`${e1}/seats`]: null,
            [`${e2}/detail`]: null,
            [`${e2}/seats`]: null
          })

          yield* cache.putView(e1, "seats", "[]")
          yield* cache.putView(e2, "seats", '[{"id":"s1"}]')
          yield* cache.putView(e1, "detail", "{}")
          expect(yield* snapshot([e1, e2])).toEqual({
            [`${e1}/detail`]: "{}",
            [`${e1}/seats`]: "[]",
            [`${e2}/detail`]: null,
            [`${e2}/seats`]: '[{"id":"s1"}]'
          })

          yield* Effect.sleep(contractTtl.viewMs + 200)
          expect(yield* snapshot([e1, e2])).toEqual({
            [`${e1}/detail`]: null,
            [`${e1}/seats`]: null,
            [`${e2}/detail`]: null,
            [`${e2}/seats`]: null
          })
        })
      )

      it.effect("invalidate forgets both views of that event only, and no sold-out flag", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const [e1, e2, typeId] = [fresh(), fresh(), fresh()]
          for (const eventId of [e1, e2])
            for (const view of views) yield* cache.putView(eventId, view, `${view} of ${eventId}`)
          yield* cache.markSoldOut(typeId)

          yield* cache.invalidate(e1)
          expect(yield* snapshot([e1, e2])).toEqual({
            [`${e1}/detail`]: null,
            [`${e1}/seats`]: null,
            [`${e2}/detail`]: `detail of ${e2}`,
            [`${e2}/seats`]: `seats of ${e2}`
          })
          expect(yield* cache.soldOut([typeId])).toEqual(Option.some(typeId))

          // Invalidating an event with nothing cached is harmless, and a view can be cached again.
          yield* cache.invalidate(e1)
          yield* cache.invalidate(fresh())
          yield* cache.putView(e1, "seats", "again")
          expect(Option.getOrNull(yield* cache.getView(e1, "seats"))).toBe("again")
        })
      )

      it.effect(
        "marks lost with the store: unknown until rebuilt from the source, then marked for their remaining life",
        () =>
          Effect.gen(function* () {
            const cache = yield* InventoryCache
            yield* marksTrusted(cache)
            const [alice, bob] = [fresh(), fresh()]
            const [k1, k2, k3, short, marked] = [fresh(), fresh(), fresh(), fresh(), fresh()]
            expect(yield* cache.markKey(alice, marked, 10_000)).toBe(true)
            // What the database holds: every key above (the marked one too), one of them expiring soon.
            const shortExpiresAt = inSeconds(2)
            source.keys = [
              { customerId: alice, key: k1, expiresAt: inSeconds(10) },
              { customerId: alice, key: k2, expiresAt: inSeconds(10) },
              { customerId: bob, key: k3, expiresAt: inSeconds(10) },
              // Long enough to be rebuilt on a loaded machine (the three rounds below take 300 ms and more).
              { customerId: bob, key: short, expiresAt: shortExpiresAt },
              { customerId: alice, key: marked, expiresAt: inSeconds(10) }
            ]
            const rebuilds = source.rebuilds
            source.gate.closeUnsafe()
            yield* loseStore

            // Whatever the store lost, nothing reads `absent` before the rebuild: the database must decide.
            for (let round = 0; round < 3; round++) {
              for (const [customer, key] of [
                [alice, k1],
                [alice, k2],
                [bob, k3],
                [bob, short],
                [alice, marked],
                [alice, fresh()]
              ] as const)
                expect({ key, state: yield* cache.keyMarked(customer, key) }).toEqual({ key, state: "unknown" })
              yield* Effect.sleep("100 millis")
            }

            source.gate.openUnsafe()
            yield* marksTrusted(cache)
            for (const [customer, key] of [
              [alice, k1],
              [alice, k2],
              [bob, k3],
              [bob, short],
              [alice, marked]
            ] as const)
              expect({ key, state: yield* cache.keyMarked(customer, key) }).toEqual({ key, state: "marked" })
            expect(yield* cache.keyMarked(bob, k1)).toBe("absent")
            expect(yield* cache.keyMarked(alice, fresh())).toBe("absent")
            expect(source.rebuilds - rebuilds).toBe(1)
            // A rebuilt mark lives as long as its key has left to live.
            yield* Effect.sleep(Math.max(0, shortExpiresAt.getTime() - Date.now()) + 200)
            expect(yield* cache.keyMarked(bob, short)).toBe("absent")
            expect(yield* cache.keyMarked(alice, k1)).toBe("marked")
          })
      )

      it.effect(
        "distrustMarks: every cache on the store reads unknown until the rebuild writes the missing marks",
        () =>
          Effect.gen(function* () {
            const cache = yield* InventoryCache
            const other = Context.get(yield* Layer.build(cacheOnStore()), InventoryCache)
            yield* marksTrusted(cache)
            yield* marksTrusted(other)
            const [alice, unmarked] = [fresh(), fresh()]
            // A hold recorded while its mark could not be written: the database has its key, the store has no mark.
            source.keys = [{ customerId: alice, key: unmarked, expiresAt: inSeconds(10) }]
            expect(yield* cache.keyMarked(alice, unmarked)).toBe("absent")
            const rebuilds = source.rebuilds
            source.gate.closeUnsafe()
            yield* cache.distrustMarks

            for (let round = 0; round < 3; round++) {
              for (const c of [cache, other]) {
                expect(yield* c.keyMarked(alice, unmarked)).toBe("unknown")
                expect(yield* c.keyMarked(alice, fresh())).toBe("unknown")
              }
              yield* Effect.sleep("300 millis")
            }
            source.gate.openUnsafe()
            yield* marksTrusted(cache)
            yield* marksTrusted(other)
            expect(yield* cache.keyMarked(alice, unmarked)).toBe("marked")
            expect(yield* other.keyMarked(alice, unmarked)).toBe("marked")
            // One rebuild for both caches, though both asked for one.
            expect(source.rebuilds - rebuilds).toBe(1)
          })
      )
    }
  )
}

/** Longest a single call may take while the store is down: it must fall back, not wait for the store. */
const DOWN_DEADLINE_MS = 1_000

/**
 * What any InventoryCache must do while its store is down: cost speed, never correctness. Reads miss, writes are
 * skipped, and no call fails or waits long.
 */
export const inventoryCacheDownContract = (
  name: string,
  adapters: Layer.Layer<InventoryCache, unknown, KeyMarkSource>
) =>
  layer(adapters.pipe(Layer.provide(keySource().layer)), { timeout: "30 seconds", excludeTestServices: true })(
    `InventoryCache contract, store down: ${name}`,
    (it) => {
      it.effect("every call succeeds within a second: reads miss, writes are swallowed", () =>
        Effect.gen(function* () {
          const cache = yield* InventoryCache
          const [eventId, typeId] = [fresh(), fresh()]
          const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown>]> = [
            ["markSoldOut", cache.markSoldOut(typeId)],
            // Ids this process never flagged: a flag it set itself may be remembered in process, store or not.
            ["soldOut", cache.soldOut([fresh(), fresh()])],
            ["clearSoldOut", cache.clearSoldOut([typeId])],
            ["putView detail", cache.putView(eventId, "detail", "{}")],
            ["putView seats", cache.putView(eventId, "seats", "[]")],
            ["getView detail", cache.getView(eventId, "detail")],
            ["getView seats", cache.getView(eventId, "seats")],
            ["invalidate", cache.invalidate(eventId)],
            ["markKey", cache.markKey(eventId, typeId, 1_000)],
            ["distrustMarks", cache.distrustMarks],
            ["keyMarked", cache.keyMarked(eventId, typeId)]
          ]
          const results: Record<string, unknown> = {}
          for (const [call, effect] of calls) {
            const started = Date.now()
            // A hang shows as this failure rather than as the test's own timeout.
            const exit = yield* Effect.exit(
              effect.pipe(Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.fail("hung") }))
            )
            const elapsed = Date.now() - started
            expect({ call, exit: exit._tag }).toEqual({ call, exit: "Success" })
            expect({ call, fast: elapsed < DOWN_DEADLINE_MS }).toEqual({ call, fast: true })
            results[call] = exit._tag === "Success" ? exit.value : undefined
          }
          expect(results.soldOut).toEqual(Option.none())
          expect(results["getView detail"]).toEqual(Option.none())
          expect(results["getView seats"]).toEqual(Option.none())
          // A store that cannot answer says so, so that the caller asks the database instead of guessing "absent".
          expect(results.keyMarked).toBe("unknown")
          // A mark it could not write is reported, so that the caller distrusts the marks once its hold is recorded.
          expect(results.markKey).toBe(false)
        })
      )
    }
  )

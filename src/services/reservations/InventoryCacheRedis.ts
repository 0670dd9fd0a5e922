import { Duration, Effect, Latch, Layer, Option } from "effect"
import type { Redis } from "ioredis"
import {
  type CachedView,
  type HoldGate,
  InventoryCache,
  type InventoryCacheTtl,
  KeyMarkSource
} from "../../domain/reservations/InventoryCache.ts"
import type { LiveKey } from "../../domain/reservations/ReservationRepository.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import { RedisClient } from "../redis/RedisClient.ts"

const LOCAL_FLAG_MS = 250
/** A command that has not answered by then reads as a miss (the hot path goes on without the cache). */
const COMMAND_DEADLINE_MS = 250
/** Key marks written per pipelined batch (one page of live keys read from the database) while rebuilding. */
const REBUILD_BATCH = 1_000
/** How long a rebuild's lock lives unless extended; every batch extends it. */
const REBUILD_LOCK_MS = 30_000
/** Deadline of one rebuild round trip (a batch of marks is bigger than the hot path's commands). */
const REBUILD_COMMAND_MS = 5_000
/** Pause after a maintenance step that could not finish (Redis down, the lock held elsewhere) before trying again. */
const RETRY_MS = 500

/** Extends the rebuild lock if it is still ours: 0 when it was taken away (the marks were distrusted meanwhile). */
const EXTEND_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`
/** Completes a rebuild whose lock is still ours: the sentinel names the server's run id, the lock is freed. */
const FINISH_REBUILD = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`

/** Frees the rebuild lock if it is still ours (a rebuild that failed halfway: the next one need not wait for it). */
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * The gate of a hold in one round trip: KEYS are the sold-out flags, then the key's mark, then the sentinel; ARGV
 * the number of flags and the mark's time to live. A flag set: {its index, the mark, the sentinel}, nothing written;
 * none: the mark is set, {0}.
 */
const GATE_HOLD = `local n = tonumber(ARGV[1])
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    return {i, redis.call('GET', KEYS[n + 1]), redis.call('GET', KEYS[n + 2])}
  end
end
redis.call('SET', KEYS[n + 1], '1', 'PX', ARGV[2])
return {0}`

interface GateClient {
  readonly goticketGateHold: (
    keys: number,
    ...args: ReadonlyArray<string | number>
  ) => Promise<[number, (string | null)?, (string | null)?]>
}

const RUN_ID = /run_id:(\w+)/
const wasWritten = () => true

/**
 * Redis behind the InventoryCache port. Every command has a short deadline; a failure or timeout reads as a miss
 * and skips a write, so a slow or absent Redis costs speed (PostgreSQL answers instead), never correctness.
 *
 * Key marks are trusted only while the sentinel `keys:epoch` (no TTL) holds the run id of the server this process
 * talks to: a restart (empty, or from an older snapshot: a new run id), a flush, or a process whose mark write
 * failed (it deletes the sentinel once its hold is recorded) makes `keyMarked` answer `unknown` instead of `absent`,
 * until one process (lock `keys:rebuild`, SET NX) has written a mark for every live key from `KeyMarkSource` and set
 * the sentinel again. The sentinel is read in the same MGET as the mark: no extra round trip.
 */
export const makeInventoryCacheRedis = (ttl: InventoryCacheTtl, prefix = "goticket:") =>
  Layer.effect(
    InventoryCache,
    Effect.gen(function* () {
      const redis: Redis = yield* RedisClient
      const source = yield* KeyMarkSource
      // EVALSHA, falling back to EVAL (and caching the script) when the server does not know it yet.
      redis.defineCommand("goticketGateHold", { lua: GATE_HOLD })
      const gateClient = redis as unknown as GateClient
      // A client that gives up on a command by itself within the deadline (RedisClient does) needs no timer per call.
      const clientTimeout = redis.options.commandTimeout
      const clientBounded = clientTimeout !== undefined && clientTimeout > 0 && clientTimeout <= COMMAND_DEADLINE_MS
      const attempt = <A>(name: string, run: () => Promise<A>, fallback: A) =>
        Effect.tryPromise(run).pipe(
          (effect): Effect.Effect<A, unknown> =>
            clientBounded ? effect : Effect.timeout(effect, Duration.millis(COMMAND_DEADLINE_MS)),
          Effect.catch((error) =>
            Effect.logDebug(`redis ${name} failed; falling back`, error).pipe(Effect.as(fallback))
          ),
          // On every hold's path: a span without stack trace or stack frame (HotPathSpan).
          hotPathSpan(`InventoryCache.${name}`)
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

      // ---- Trust in the key marks -------------------------------------------------------------------------------
      const markKeyOf = (customerId: string, key: string) => `${prefix}key:${customerId}:${key}`
      const epochKey = `${prefix}keys:epoch`
      const lockKey = `${prefix}keys:rebuild`
      /** The run id of the server behind the connection; unknown from a disconnect until INFO answers again. */
      let runId: string | undefined
      /** Mark writes of this process that failed (each is followed by one `distrustMarks`, after its hold). */
      let failures = 0
      /** `distrustMarks` calls so far: each one's hold is recorded, so the sentinel may be deleted for it. */
      let distrusts = 0
      /**
       * Distrusts covered by a sentinel deletion issued after them (a rebuild that follows lists their keys). While
       * fewer than the failures, this process answers `unknown` for unmarked keys whatever the sentinel says.
       */
      let covered = 0
      /** The marks were seen untrusted: rebuild them (or see that another process did). */
      let rebuildWanted = true
      const wake = Latch.makeUnsafe(false)
      const want = () => {
        if (!rebuildWanted) {
          rebuildWanted = true
          wake.openUnsafe()
        }
      }

      /** One MGET answer (the mark, the sentinel) → the mark's state: the hot path, no allocation. */
      const judge = (values: ReadonlyArray<string | null>): "marked" | "absent" | "unknown" => {
        if (values[0] !== null) return "marked"
        if (runId === undefined || values[1] !== runId) {
          want()
          return "unknown"
        }
        return covered < failures ? "unknown" : "absent"
      }
      /** Deletes the sentinel (and any rebuild under way) for every distrust so far. */
      const invalidate = () => {
        const upTo = distrusts
        return redis.del(epochKey, lockKey).then(() => {
          covered = Math.max(covered, upTo)
          want()
          return true
        })
      }

      const onClose = () => {
        runId = undefined
      }
      const onReady = () => {
        wake.openUnsafe()
      }
      redis.on("close", onClose)
      redis.on("ready", onReady)
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          redis.off("close", onClose)
          redis.off("ready", onReady)
        })
      )

      const command = <A>(run: () => Promise<A>) =>
        Effect.tryPromise(run).pipe(
          Effect.timeoutOrElse({
            duration: REBUILD_COMMAND_MS,
            orElse: () => Effect.fail(new Error("redis command timed out"))
          })
        )

      /**
       * Writes a mark for every live key, one pipelined batch per page, each batch extending the lock: `distrusted`
       * when the lock was taken away meanwhile (the marks were distrusted again: this rebuild may miss keys).
       */
      const writeMarks = (token: string, written: (n: number) => void) =>
        Effect.gen(function* () {
          let after: LiveKey | undefined
          for (;;) {
            const page = yield* source.liveKeys(after, REBUILD_BATCH)
            const now = Date.now()
            const batch = redis.pipeline()
            for (const live of page) {
              const ms = live.expiresAt.getTime() - now
              if (ms > 0) batch.set(markKeyOf(live.customerId, live.key), "1", "PX", ms)
            }
            batch.eval(EXTEND_LOCK, 1, lockKey, token, REBUILD_LOCK_MS)
            const results = (yield* command(() => batch.exec())) ?? []
            const failed = results.find(([error]) => error !== null)
            if (failed?.[0]) return yield* Effect.fail(failed[0])
            if (results[results.length - 1]?.[1] !== 1) return "distrusted" as const
            written(page.length)
            if (page.length < REBUILD_BATCH) return "written" as const
            after = page[page.length - 1]
          }
        })

      /** Writes a mark for every live key, then sets the sentinel: `rebuilt`, or why not. */
      const rebuild = (server: string) =>
        Effect.gen(function* () {
          if ((yield* command(() => redis.get(epochKey))) === server) return "trusted" as const
          const token = crypto.randomUUID()
          if ((yield* command(() => redis.set(lockKey, token, "PX", REBUILD_LOCK_MS, "NX"))) !== "OK")
            return "elsewhere" as const
          const started = Date.now()
          let marks = 0
          const written = yield* writeMarks(token, (n) => {
            marks += n
          }).pipe(Effect.onError(() => Effect.ignore(command(() => redis.eval(RELEASE_LOCK, 1, lockKey, token)))))
          if (written === "distrusted") return written
          if ((yield* command(() => redis.eval(FINISH_REBUILD, 2, lockKey, epochKey, token, server))) !== 1)
            return "distrusted" as const
          yield* Effect.logInfo("key marks rebuilt from the database").pipe(
            Effect.annotateLogs({ marks, ms: Date.now() - started })
          )
          return "rebuilt" as const
        })

      /** One pass of upkeep; true when nothing is left to do until the next wake-up. */
      const maintain = Effect.gen(function* () {
        if (runId === undefined) {
          if (redis.status !== "ready") return false
          const info = yield* command(() => redis.info("server"))
          runId = RUN_ID.exec(info)?.[1]
          if (runId === undefined) return yield* Effect.fail(new Error("INFO server names no run_id"))
        }
        // Every hold distrusted so far is recorded already: a rebuild that starts after this DEL lists its key.
        if (distrusts > covered) yield* command(invalidate)
        if (!rebuildWanted) return true
        rebuildWanted = false
        const outcome = yield* rebuild(runId)
        if (outcome === "trusted" || outcome === "rebuilt") return true
        rebuildWanted = true
        return false
      })

      yield* Effect.gen(function* () {
        for (;;) {
          yield* wake.await
          wake.closeUnsafe()
          const done = yield* maintain.pipe(
            Effect.catchCause((cause) =>
              Effect.logDebug("key mark upkeep failed; trying again", cause).pipe(Effect.as(false))
            )
          )
          if (!done) {
            yield* Effect.sleep(RETRY_MS)
            wake.openUnsafe()
          }
        }
      }).pipe(Effect.forkScoped)
      // At start-up: learn the server's run id and check (or rebuild) the marks before the first sale needs them.
      wake.openUnsafe()

      // ---- Invalidation of the cached views, coalesced per event ------------------------------------------------
      // A flash sale invalidates one event's views after every hold. A DEL that has not been sent yet when another
      // caller asks serves both: each caller waits for a DEL that leaves after its call (the one in flight may have
      // left before it), so what a caller's change made stale is gone when its call returns, as with one DEL each.
      const deleting = new Map<string, { readonly sent: Promise<number>; next?: Promise<number> }>()
      const invalidateViews = (eventId: string): Promise<number> => {
        const current = deleting.get(eventId)
        if (current !== undefined) {
          current.next ??= current.sent.catch(() => 0).then(() => send(eventId))
          return current.next
        }
        return send(eventId)
      }
      const send = (eventId: string): Promise<number> => {
        const sent = redis.del(viewKey(eventId, "detail"), viewKey(eventId, "seats"))
        const entry = { sent }
        deleting.set(eventId, entry)
        const done = () => {
          if (deleting.get(eventId) === entry) deleting.delete(eventId)
        }
        sent.then(done, done)
        return sent
      }

      const keyMarked = (customerId: string, key: string) =>
        attempt("keyMarked", () => redis.mget(markKeyOf(customerId, key), epochKey).then(judge), "unknown" as const)
      const countFailure = (written: boolean) =>
        written
          ? Effect.void
          : Effect.sync(() => {
              failures++
            })

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
          attempt("markKey", () => redis.set(markKeyOf(customerId, key), "1", "PX", ms).then(wasWritten), false).pipe(
            Effect.tap(countFailure)
          ),
        keyMarked,
        gateHold: (ids, customerId, key, ms) => {
          const known = localHit(ids)
          if (known !== undefined)
            return Effect.map(
              keyMarked(customerId, key),
              (mark): HoldGate => ({
                _tag: "SoldOut",
                ticketTypeId: known,
                key: mark
              })
            )
          return attempt(
            "gateHold",
            () =>
              gateClient
                .goticketGateHold(
                  ids.length + 2,
                  ...ids.map(soldOutKey),
                  markKeyOf(customerId, key),
                  epochKey,
                  ids.length,
                  ms
                )
                .then(([index, mark, epoch]): HoldGate => {
                  const id = index > 0 ? ids[index - 1] : undefined
                  if (id === undefined) return { _tag: "Open", marked: true }
                  remember(id)
                  return { _tag: "SoldOut", ticketTypeId: id, key: judge([mark ?? null, epoch ?? null]) }
                }),
            // Not known: as soldOut and markKey failing (no flag, no mark written).
            { _tag: "Open", marked: false } as HoldGate
          ).pipe(Effect.tap((gate) => (gate._tag === "Open" ? countFailure(gate.marked) : Effect.void)))
        },
        // Deletes the sentinel at once when Redis is connected (every process then reads `unknown`), else as soon
        // as it is back (the upkeep fiber retries); this process reads `unknown` meanwhile (`covered < failures`).
        distrustMarks: Effect.suspend(() => {
          distrusts++
          if (redis.status !== "ready") {
            wake.openUnsafe()
            return Effect.void
          }
          return Effect.map(attempt("distrustMarks", invalidate, false), (deleted) => {
            if (!deleted) wake.openUnsafe()
          })
        }),
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
        invalidate: (eventId) => attempt("invalidate", () => invalidateViews(eventId), 0).pipe(Effect.asVoid)
      })
    })
  )

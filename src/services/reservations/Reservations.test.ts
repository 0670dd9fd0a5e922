import { describe, expect, layer } from "@effect/vitest"
import { Cause, ConfigProvider, Context, Effect, Exit, Layer, Option, Redacted, Scope } from "effect"
import { TestClock } from "effect/testing"
import { memorySale } from "../../../test/support/MemorySale.ts"
import { Actor } from "../../domain/accounts/Actor.ts"
import { type Email, User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { Seat, Section } from "../../domain/catalog/Seating.ts"
import { TicketType } from "../../domain/catalog/TicketType.ts"
import { type HoldGate, InventoryCache, KeyMarkSource } from "../../domain/reservations/InventoryCache.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, SeatId, SectionId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { UserRepositoryMemory } from "../accounts/UserRepositoryMemory.ts"
import { EventRepositoryMemory } from "../catalog/EventRepositoryMemory.ts"
import { redisClientLayer } from "../redis/RedisClient.ts"
import { VoucherRepositoryMemory } from "../vouchers/VoucherRepositoryMemory.ts"
import { CatalogSnapshots } from "./CatalogSnapshots.ts"
import { ExpiryWorkerLive } from "./ExpiryWorker.ts"
import { makeInventoryCacheMemory } from "./InventoryCacheMemory.ts"
import { makeInventoryCacheRedis } from "./InventoryCacheRedis.ts"
import { ReservationRepositoryMemory } from "./ReservationRepositoryMemory.ts"
import { Reservations } from "./Reservations.ts"

const config = ConfigProvider.fromEnv({
  env: {
    HOLD_TTL_SECONDS: "60",
    HOLD_EXPIRY_INTERVAL_MS: "1000",
    CUSTOMER_TICKET_LIMIT: "8",
    SOLD_OUT_FLAG_TTL_MS: "2000"
  }
})

/**
 * Statements the repository was asked: the hold path's only database question that a cache may save, and the
 * seat holds it was asked to place.
 */
const asked = { hasLiveKey: 0, seatPlaces: 0 }

/**
 * The in-memory repository, counting `hasLiveKey` and seat placements; a seat hold yields before it is placed, as a
 * database round trip lets other buyers run meanwhile.
 */
const CountingRepository = Layer.effect(
  ReservationRepository,
  Effect.map(ReservationRepository, (repository) =>
    ReservationRepository.of({
      ...repository,
      place: (hold) =>
        hold.seatIds === undefined
          ? repository.place(hold)
          : Effect.suspend(() => {
              asked.seatPlaces++
              return Effect.andThen(Effect.yieldNow.pipe(Effect.repeat({ times: 5 })), repository.place(hold))
            }),
      hasLiveKey: (customerId, key) =>
        Effect.suspend(() => {
          asked.hasLiveKey++
          return repository.hasLiveKey(customerId, key)
        })
    })
  )
).pipe(Layer.provide(ReservationRepositoryMemory))

/** The hold saga over the in-memory twins of every port, on the TestClock. */
const sagaOver = <ROut>(cache: Layer.Layer<ROut, never, KeyMarkSource | ReservationRepository>) =>
  Layer.mergeAll(Reservations.layer, ExpiryWorkerLive).pipe(
    Layer.provideMerge(Reservations.layer),
    Layer.provideMerge(CatalogSnapshots.layer),
    Layer.provideMerge(cache),
    Layer.provideMerge(KeyMarkSource.fromRepository),
    Layer.provideMerge(Layer.mergeAll(CountingRepository, EventRepositoryMemory, VoucherRepositoryMemory)),
    Layer.provideMerge(UserRepositoryMemory),
    Layer.provide(ConfigProvider.layer(config))
  )

const ttl = { soldOutMs: 2000, viewMs: 5000 }
const InMemory = sagaOver(makeInventoryCacheMemory(ttl))

/** The test's hold on the cache of `Restartable`. */
class CacheProcess extends Context.Service<
  CacheProcess,
  {
    /** A fresh in-memory cache takes over, as after a restart of a process on the embedded cache: no marks. */
    readonly restart: Effect.Effect<void>
    /** Makes the cache's mark writes fail (answer false), as a Redis out of reach would. */
    readonly failMarkWrites: (fail: boolean) => void
    /** How often `distrustMarks` was called, and whether the hold's key was in the repository each time. */
    readonly distrusted: ReadonlyArray<boolean>
  }
>()("test/CacheProcess") {}

/** The in-memory cache behind a handle that can replace it by a fresh one, or fail its mark writes. */
const Restartable = Layer.effectContext(
  Effect.gen(function* () {
    const scope = yield* Scope.Scope
    const repository = yield* ReservationRepository
    const source = Layer.succeed(KeyMarkSource, yield* KeyMarkSource)
    const fresh = Effect.map(
      Layer.buildWithScope(makeInventoryCacheMemory(ttl).pipe(Layer.provide(source)), scope),
      (context) => Context.get(context, InventoryCache)
    )
    let current = yield* fresh
    let failing = false
    let lastMarked: { readonly customerId: string; readonly key: string } | undefined
    const distrusted: Array<boolean> = []
    const cache = InventoryCache.of({
      soldOut: (ids) => Effect.suspend(() => current.soldOut(ids)),
      markSoldOut: (id) => Effect.suspend(() => current.markSoldOut(id)),
      clearSoldOut: (ids) => Effect.suspend(() => current.clearSoldOut(ids)),
      markKey: (customerId, key, ms) =>
        Effect.suspend(() => {
          lastMarked = { customerId, key }
          return failing ? Effect.succeed(false) : current.markKey(customerId, key, ms)
        }),
      keyMarked: (customerId, key) => Effect.suspend(() => current.keyMarked(customerId, key)),
      gateHold: (ids, customerId, key, ms) =>
        Effect.suspend(() => {
          if (!failing) {
            lastMarked = { customerId, key }
            return current.gateHold(ids, customerId, key, ms)
          }
          // As the store behind it failing its mark writes: the flags and marks are read, nothing is written.
          return Effect.flatMap(current.soldOut(ids), (gone): Effect.Effect<HoldGate> => {
            if (gone._tag === "Some")
              return Effect.map(current.keyMarked(customerId, key), (mark) => ({
                _tag: "SoldOut" as const,
                ticketTypeId: gone.value,
                key: mark
              }))
            lastMarked = { customerId, key }
            return Effect.succeed({ _tag: "Open" as const, marked: false })
          })
        }),
      distrustMarks: Effect.suspend(() =>
        Effect.andThen(
          lastMarked === undefined
            ? Effect.succeed(false)
            : repository.hasLiveKey(lastMarked.customerId as UserId, lastMarked.key),
          (recorded) => {
            distrusted.push(recorded)
            return current.distrustMarks
          }
        )
      ),
      getView: (eventId, view) => Effect.suspend(() => current.getView(eventId, view)),
      putView: (eventId, view, json) => Effect.suspend(() => current.putView(eventId, view, json)),
      invalidate: (eventId) => Effect.suspend(() => current.invalidate(eventId))
    })
    const handle = CacheProcess.of({
      restart: Effect.map(fresh, (next) => {
        current = next
      }),
      failMarkWrites: (fail) => {
        failing = fail
      },
      distrusted
    })
    return Context.add(Context.make(InventoryCache, cache), CacheProcess, handle)
  })
)

/** A published event (starting ten days from the clock's now) with one GA type of `capacity`; `actor` buys. */
const sale = (capacity: number) => Effect.map(memorySale(capacity), (s) => ({ ...s, actor: s.customer }))

/**
 * The exit without the stack frames Effect 4 annotates each failure reason with (the service's methods are spans),
 * so that an exit compares with `Exit.fail(…)` on what failed and how, as it did on Effect 3.
 */
const plain = <A, E>(exit: Exit.Exit<A, E>): Exit.Exit<A, E> =>
  Exit.isSuccess(exit)
    ? exit
    : Exit.failCause(
        Cause.fromReasons(
          exit.cause.reasons.map((reason) =>
            Cause.isFailReason(reason)
              ? Cause.makeFailReason(reason.error)
              : Cause.isDieReason(reason)
                ? Cause.makeDieReason(reason.defect)
                : Cause.makeInterruptReason(reason.fiberId)
          )
        )
      )

const gaHold = (eventId: EventId, ticketTypeId: TicketTypeId, quantity: number) =>
  ({ eventId, items: [{ ticketTypeId, quantity }] }) as const

describe("the hold saga", () => {
  layer(InMemory)("over in-memory ports", (it) => {
    it.effect("expires an abandoned hold after its TTL, by the expiry job alone", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const { event, ga, actor, available } = yield* sale(5)
        const { reservation } = yield* reservations.hold(actor, gaHold(event.id, ga.id, 4), "k-expiry")
        expect(reservation.expiresAt.getTime() - reservation.createdAt.getTime()).toBe(60_000)
        expect(yield* available).toBe(1)
        yield* TestClock.adjust("59 seconds")
        expect((yield* reservations.get(actor, reservation.id)).status).toBe("active")
        yield* TestClock.adjust("2 seconds")
        expect((yield* reservations.get(actor, reservation.id)).status).toBe("expired")
        expect(yield* available).toBe(5)
      })
    )

    it.effect("refuses from the sold-out flag without asking the repository, and the flag heals by itself", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const cache = yield* InventoryCache
        const { event, ga, actor } = yield* sale(10)
        yield* cache.markSoldOut(ga.id)
        const refused = yield* Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 1), "k-flag-1"))
        expect(plain(refused)).toStrictEqual(Exit.fail(expect.objectContaining({ code: "sold_out" })))
        yield* TestClock.adjust("3 seconds")
        const { reservation } = yield* reservations.hold(actor, gaHold(event.id, ga.id, 1), "k-flag-2")
        expect(reservation.status).toBe("active")
      })
    )

    it.effect("replays a retried hold even after the ticket type is flagged sold out", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const cache = yield* InventoryCache
        const { event, ga, actor } = yield* sale(2)
        const first = yield* reservations.hold(actor, gaHold(event.id, ga.id, 2), "k-last-units")
        yield* cache.markSoldOut(ga.id)
        const retry = yield* reservations.hold(actor, gaHold(event.id, ga.id, 2), "k-last-units")
        expect(retry.replayed).toBe(true)
        expect(retry.reservation.id).toBe(first.reservation.id)
        const other = yield* Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 1), "k-other"))
        expect(plain(other)).toStrictEqual(Exit.fail(expect.objectContaining({ code: "sold_out" })))
      })
    )

    it.effect("flags a ticket type sold out when the repository refuses, and clears it when units come back", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const cache = yield* InventoryCache
        const { event, ga, actor } = yield* sale(2)
        const { reservation } = yield* reservations.hold(actor, gaHold(event.id, ga.id, 2), "k-a")
        yield* Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 1), "k-b"))
        expect(yield* cache.soldOut([ga.id])).toEqual(Option.some(ga.id))
        yield* reservations.release(actor, reservation.id)
        expect(yield* cache.soldOut([ga.id])).toEqual(Option.none())
      })
    )

    it.effect("replays the same key, refuses it for another request, and releases twice harmlessly", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const repository = yield* ReservationRepository
        const { event, ga, actor, available } = yield* sale(8)
        const first = yield* reservations.hold(actor, gaHold(event.id, ga.id, 2), "same")
        const second = yield* reservations.hold(actor, gaHold(event.id, ga.id, 2), "same")
        expect(second.replayed).toBe(true)
        expect(second.reservation.id).toBe(first.reservation.id)
        expect(yield* available).toBe(6)
        const reused = yield* Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 3), "same"))
        expect(plain(reused)).toStrictEqual(Exit.fail(expect.objectContaining({ _tag: "IdempotencyKeyReused" })))
        yield* reservations.release(actor, first.reservation.id)
        yield* reservations.release(actor, first.reservation.id)
        expect(yield* available).toBe(8)
        expect(Option.getOrThrow(yield* repository.findById(first.reservation.id)).status).toBe("released")
      })
    )

    it.effect("buyers of best-available seats at the same moment each get their own block at the first try", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const users = yield* UserRepository
        const events = yield* EventRepository
        const { event } = yield* sale(1)
        const stalls = new TicketType({
          id: crypto.randomUUID() as TicketTypeId,
          eventId: event.id,
          name: "Stalls",
          priceMinor: 3000,
          currency: "EUR" as Currency,
          capacity: 64,
          maxPerOrder: 4,
          seated: true,
          held: 0,
          sold: 0,
          createdAt: new Date(0)
        })
        yield* events.insertTicketType(stalls)
        const section = new Section({
          id: crypto.randomUUID() as SectionId,
          eventId: event.id,
          name: "Stalls",
          position: 1
        })
        const seats = Array.from(
          { length: 64 },
          (_, i) =>
            new Seat({
              id: crypto.randomUUID() as SeatId,
              eventId: event.id,
              sectionId: section.id,
              row: String.fromCharCode(65 + Math.floor(i / 16)),
              rowPosition: 1 + Math.floor(i / 16),
              label: String(1 + (i % 16)),
              position: 1 + (i % 16),
              ticketTypeId: stalls.id,
              status: "available"
            })
        )
        yield* events.replaceSeating(event.id, [section], seats)
        // Sixteen buyers, sixteen best blocks to spread over: choosing from the same read, they would race.
        const buyers = yield* Effect.forEach(Array.from({ length: 16 }), (_, i) => {
          const user = new User({
            id: crypto.randomUUID() as UserId,
            email: `buyer-${i}-${crypto.randomUUID()}@example.com` as Email,
            name: `Buyer ${i}`,
            accountType: "customer",
            isAdmin: false,
            createdAt: new Date(0)
          })
          return Effect.as(
            users.insert(user, "x"),
            new Actor({ userId: user.id, accountType: "customer", isAdmin: false })
          )
        })
        asked.seatPlaces = 0
        const held = yield* Effect.forEach(
          buyers,
          (buyer, i) =>
            reservations.hold(
              buyer,
              { eventId: event.id, bestAvailable: { ticketTypeId: stalls.id, quantity: 2 } },
              `best-${i}`
            ),
          { concurrency: "unbounded" }
        )
        const taken = held.flatMap((h) => h.reservation.seats.map((s) => s.seatId))
        expect(new Set(taken).size).toBe(32)
        // No buyer lost a race for its seats and had to read and choose again.
        expect(asked.seatPlaces).toBe(16)
      })
    )

    it.effect("keeps a customer under the per-event limit across holds", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const { event, ga, actor } = yield* sale(100)
        yield* reservations.hold(actor, gaHold(event.id, ga.id, 4), "l1")
        yield* reservations.hold(actor, gaHold(event.id, ga.id, 4), "l2")
        const third = yield* Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 1), "l3"))
        expect(plain(third)).toStrictEqual(
          Exit.fail(expect.objectContaining({ code: "customer_limit_exceeded", limit: 8 }))
        )
      })
    )
  })

  layer(sagaOver(Restartable))("when the cache loses its key marks, or cannot write one", (it) => {
    /** Lets the cache's background rebuild run until a fresh key reads `absent`: the marks are trusted again. */
    const marksTrusted = Effect.gen(function* () {
      const cache = yield* InventoryCache
      for (let turn = 0; turn < 1_000; turn++) {
        if ((yield* cache.keyMarked(crypto.randomUUID(), crypto.randomUUID())) === "absent") return
        yield* Effect.yieldNow
      }
      throw new Error("the key marks were never trusted again")
    })

    it.effect("a restarted cache: every retry replays, new keys are refused, and once rebuilt it refuses alone", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const cache = yield* InventoryCache
        const process = yield* CacheProcess
        const { event, ga, actor } = yield* sale(4)
        const keys = ["restart-1", "restart-2", "restart-3", "restart-4"]
        const made = yield* Effect.forEach(keys, (k) => reservations.hold(actor, gaHold(event.id, ga.id, 1), k))

        yield* process.restart
        const refused = yield* Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 1), "restart-new"))
        expect(plain(refused)).toStrictEqual(Exit.fail(expect.objectContaining({ code: "sold_out" })))
        expect(yield* cache.soldOut([ga.id])).toEqual(Option.some(ga.id))
        for (const [i, k] of keys.entries()) {
          const retry = yield* reservations.hold(actor, gaHold(event.id, ga.id, 1), k)
          expect({ k, replayed: retry.replayed, id: retry.reservation.id }).toEqual({
            k,
            replayed: true,
            id: made[i]?.reservation.id
          })
        }

        // Rebuilt from the repository: refusals and retries are decided by the cache alone again.
        yield* marksTrusted
        const before = asked.hasLiveKey
        for (let i = 0; i < 20; i++) {
          const exit = yield* Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 1), `restart-late-${i}`))
          expect(plain(exit)).toStrictEqual(Exit.fail(expect.objectContaining({ code: "sold_out" })))
        }
        expect((yield* reservations.hold(actor, gaHold(event.id, ga.id, 1), "restart-2")).replayed).toBe(true)
        expect(asked.hasLiveKey - before).toBe(0)
      })
    )

    it.effect(
      "a hold whose mark could not be written distrusts the marks once its key is recorded; a retry replays",
      () =>
        Effect.gen(function* () {
          const reservations = yield* Reservations
          const cache = yield* InventoryCache
          const process = yield* CacheProcess
          const { event, ga, actor } = yield* sale(2)
          yield* marksTrusted
          process.failMarkWrites(true)
          const first = yield* reservations.hold(actor, gaHold(event.id, ga.id, 2), "unmarked")
          process.failMarkWrites(false)
          // Called after the transaction: the key was in the repository by then.
          expect(process.distrusted).toEqual([true])
          yield* cache.markSoldOut(ga.id)
          const retry = yield* reservations.hold(actor, gaHold(event.id, ga.id, 2), "unmarked")
          expect([retry.replayed, retry.reservation.id]).toEqual([true, first.reservation.id])
          const other = yield* Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 1), "unmarked-other"))
          expect(plain(other)).toStrictEqual(Exit.fail(expect.objectContaining({ code: "sold_out" })))
          // The rebuild after the distrust wrote the missing mark.
          yield* marksTrusted
          expect(yield* cache.keyMarked(actor.userId, "unmarked")).toBe("marked")
        })
    )
  })

  layer(
    sagaOver(
      makeInventoryCacheRedis({ soldOutMs: 2000, viewMs: 5000 }).pipe(
        Layer.provide(redisClientLayer(Redacted.make("redis://127.0.0.1:1")))
      )
    ),
    { excludeTestServices: true }
  )("with Redis down", (it) => {
    it.effect("still sells exactly the capacity: a dead cache costs speed, not correctness", () =>
      Effect.gen(function* () {
        const reservations = yield* Reservations
        const { event, ga, actor, available } = yield* sale(3)
        const outcomes = yield* Effect.forEach(["r1", "r2", "r3", "r4"], (k) =>
          Effect.exit(reservations.hold(actor, gaHold(event.id, ga.id, 1), k))
        )
        expect(outcomes.filter(Exit.isSuccess).length).toBe(3)
        expect(yield* available).toBe(0)
        // The key store is down too: a retry of a hold that went through is recognised by the database and replays.
        const retry = yield* reservations.hold(actor, gaHold(event.id, ga.id, 1), "r1")
        expect(retry.replayed).toBe(true)
      })
    )
  })
})

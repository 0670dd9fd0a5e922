import { describe, expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { RedisServer, TcpProxy } from "../support/RedisServer.ts"
import { holdBody, publishedSale } from "../support/Sale.ts"
import { client, type Reply, TestServerLive } from "../support/TestServer.ts"

/**
 * A retry of a hold that went through must replay it whatever happened to Redis in between: restarted empty, out of
 * reach while the hold was placed, or restarted from an older snapshot. The service talks to a Redis of this file's
 * own through a TCP proxy (so that the network can be cut while Redis keeps its data); PostgreSQL is the real server.
 */
class TestRedis extends Context.Service<TestRedis, { readonly redis: RedisServer; readonly proxy: TcpProxy }>()(
  "test/TestRedis"
) {}

const TestRedisLive = Layer.effect(
  TestRedis,
  Effect.acquireRelease(
    Effect.promise(async () => {
      const redis = await RedisServer.start()
      const proxy = await TcpProxy.start(redis.port)
      return { redis, proxy }
    }),
    ({ redis, proxy }) =>
      Effect.promise(async () => {
        await proxy.close()
        await redis.stop()
      })
  )
)

const ServiceOnOwnRedis = Layer.unwrap(
  Effect.map(TestRedis, ({ proxy }) =>
    TestServerLive({
      REDIS_URL: proxy.url,
      CUSTOMER_TICKET_LIMIT: "1000",
      // Long enough that no flag expires during a test (an expired flag would send a retry to PostgreSQL anyway).
      SOLD_OUT_FLAG_TTL_MS: "60000",
      HOLD_EXPIRY_INTERVAL_MS: "60000"
    })
  )
).pipe(Layer.provideMerge(TestRedisLive))

const PREFIX = "goticket:"
const CAPACITY = 20

describe("idempotent retries survive Redis losing its key marks (real PostgreSQL, a Redis of the test's own)", () => {
  layer(ServiceOnOwnRedis, { timeout: "180 seconds", excludeTestServices: true })("retries", (it) => {
    /** A buyer with a sale of CAPACITY GA units and helpers to hold with a given key. */
    const setting = Effect.gen(function* () {
      const api = yield* client
      const { redis, proxy } = yield* TestRedis
      const sale = yield* publishedSale(api, { capacity: CAPACITY })
      const buyer = yield* api.account("customer")
      const send = (key: string) =>
        api.call("POST", "/v1/reservations", {
          token: buyer.token,
          headers: { "idempotency-key": key },
          body: holdBody(sale.eventId, sale.gaId, 1)
        })
      const holdAll = (keys: ReadonlyArray<string>) =>
        Effect.forEach(keys, send, { concurrency: 5 }).pipe(
          Effect.map((replies) => {
            expect(replies.map((r) => r.status)).toEqual(keys.map(() => 201))
            return new Map(keys.map((k, i) => [k, replies[i]?.body.id as string]))
          })
        )
      /** Retries every key: each must answer the reservation it made, never 409. */
      const expectReplays = (made: ReadonlyMap<string, string>) =>
        Effect.gen(function* () {
          const keys = [...made.keys()]
          const replies = yield* Effect.forEach(keys, send, { concurrency: 5 })
          const outcomes = replies.map((r) => `${r.status} ${r.status === 201 ? r.body.id : r.body.code}`)
          expect(outcomes).toEqual(keys.map((k) => `201 ${made.get(k)}`))
        })
      /**
       * A new attempt is refused sold out, and the refusal's flag is in Redis: the service's connection to Redis is
       * up again, so what follows goes through the cache's gate, not around it.
       */
      const soldOutAndFlagged = Effect.gen(function* () {
        for (let attempt = 0; attempt < 100; attempt++) {
          const refused = yield* send(crypto.randomUUID())
          expect([refused.status, refused.body.code]).toEqual([409, "sold_out"])
          const flagged = yield* Effect.promise(() => redis.with((r) => r.exists(`${PREFIX}soldout:${sale.gaId}`)))
          if (flagged > 0) return
          yield* Effect.sleep("100 millis")
        }
        throw new Error("the service never flagged the sold-out type in Redis")
      })
      return { api, redis, proxy, sale, send, holdAll, expectReplays, soldOutAndFlagged }
    })

    const keys = (n: number) => Array.from({ length: n }, () => crypto.randomUUID())

    /**
     * Kills Redis and starts it again, then waits until the service is connected to it again, so that no hold tries
     * (and fails) to write its mark meanwhile: what follows tests a restart, not a failed write.
     */
    const restartRedis = (redis: RedisServer) =>
      Effect.gen(function* () {
        const connections = yield* Effect.promise(() => redis.otherClients())
        expect(connections).toBeGreaterThan(0)
        yield* Effect.promise(() => redis.restart())
        for (let attempt = 0; (yield* Effect.promise(() => redis.otherClients())) < connections; attempt++) {
          if (attempt > 200) throw new Error("the service never connected to the restarted Redis")
          yield* Effect.sleep("50 millis")
        }
        // Connected; ready once its connection's ready check is answered.
        yield* Effect.sleep("300 millis")
      })

    /**
     * Waits until the key marks are trusted again: the sentinel names the running server (its run id) and no rebuild
     * holds the lock, for half a second in a row (a sentinel about to be deleted for a failed write reads as trusted
     * for a moment; the rebuild that follows reads PostgreSQL's live keys).
     */
    const marksRebuilt = (redis: RedisServer) =>
      Effect.gen(function* () {
        let steady = 0
        for (let attempt = 0; attempt < 150; attempt++) {
          const trusted = yield* Effect.promise(() =>
            redis.with(async (r) => {
              const runId = /run_id:(\w+)/.exec(await r.info("server"))?.[1]
              const [epoch, lock] = await r.mget(`${PREFIX}keys:epoch`, `${PREFIX}keys:rebuild`)
              return runId !== undefined && epoch === runId && lock === null
            })
          )
          steady = trusted ? steady + 1 : 0
          if (steady >= 5) return
          yield* Effect.sleep("100 millis")
        }
        throw new Error("the key marks were never rebuilt")
      })

    /**
     * Sold-out refusals of new keys while a transaction of the test holds idempotency_keys locked exclusively: any
     * statement on that table (hasLiveKey) would wait for the lock, so each refusal answering within two seconds
     * proves none asked PostgreSQL about its key.
     */
    const refusalsStayOffTheDatabase = (send: (key: string) => Effect.Effect<Reply>) =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql.withTransaction(
          Effect.gen(function* () {
            yield* sql`LOCK TABLE idempotency_keys IN ACCESS EXCLUSIVE MODE`
            const refusals = yield* Effect.forEach(
              keys(30),
              (k) =>
                send(k).pipe(
                  Effect.timeoutOrElse({
                    duration: "2 seconds",
                    orElse: () => Effect.succeed<Reply>({ status: 0, headers: new Headers(), body: {} })
                  })
                ),
              { concurrency: 10 }
            )
            expect(refusals.map((r) => `${r.status} ${r.body.code}`)).toEqual(refusals.map(() => "409 sold_out"))
          })
        )
      })

    it.effect("(a) Redis killed and restarted empty: every retry replays; new keys are still refused", () =>
      Effect.gen(function* () {
        const { redis, send, holdAll, expectReplays, soldOutAndFlagged } = yield* setting
        const made = yield* holdAll(keys(CAPACITY))
        yield* soldOutAndFlagged
        yield* expectReplays(made)

        yield* restartRedis(redis)
        yield* soldOutAndFlagged
        yield* expectReplays(made)
        const stranger = yield* send(crypto.randomUUID())
        expect([stranger.status, stranger.body.code]).toEqual([409, "sold_out"])

        // Once the marks are rebuilt from PostgreSQL, refusals are answered by Redis alone again, and retries still replay.
        yield* marksRebuilt(redis)
        yield* refusalsStayOffTheDatabase(send)
        yield* expectReplays(made)
      })
    )

    it.effect("(b) holds placed while Redis was out of reach replay once it is back and the type sold out", () =>
      Effect.gen(function* () {
        const { redis, proxy, holdAll, expectReplays, soldOutAndFlagged, send } = yield* setting
        proxy.cut()
        // Their key marks cannot be written: the holds go through PostgreSQL alone.
        const whileDown = yield* holdAll(keys(CAPACITY / 2))
        proxy.heal()
        const afterwards = yield* holdAll(keys(CAPACITY / 2))
        yield* soldOutAndFlagged
        yield* expectReplays(whileDown)
        yield* expectReplays(afterwards)

        yield* marksRebuilt(redis)
        yield* refusalsStayOffTheDatabase(send)
        yield* expectReplays(whileDown)
      })
    )

    it.effect("(c) Redis restarted from an older snapshot: holds placed after the snapshot replay", () =>
      Effect.gen(function* () {
        const { redis, holdAll, expectReplays, soldOutAndFlagged, send } = yield* setting
        const before = yield* holdAll(keys(CAPACITY / 2))
        yield* marksRebuilt(redis)
        // The snapshot has the sentinel and these marks; the marks written after it are lost by the restart.
        yield* Effect.promise(() => redis.save())
        const after = yield* holdAll(keys(CAPACITY / 2))
        yield* restartRedis(redis)
        yield* soldOutAndFlagged
        yield* expectReplays(after)
        yield* expectReplays(before)

        yield* marksRebuilt(redis)
        yield* refusalsStayOffTheDatabase(send)
      })
    )
  })
})

import { Effect, Layer, Redacted } from "effect"
import { Redis } from "ioredis"
import { inventoryCacheContract, inventoryCacheDownContract } from "../../../test/contracts/InventoryCacheContract.ts"
import { describeWithRedis, redisClientReady } from "../../../test/support/Redis.ts"
import { redisClientLayer } from "../redis/RedisClient.ts"
import { MemoryCacheStore, makeInventoryCacheMemory } from "./InventoryCacheMemory.ts"
import { makeInventoryCacheRedis } from "./InventoryCacheRedis.ts"

/** One prefix per run, so that runs never read each other's keys (all of which expire within a second anyway). */
const prefix = `goticket:test:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}:`

const store = new MemoryCacheStore()
inventoryCacheContract(
  "in-memory",
  (ttl) => makeInventoryCacheMemory(ttl, store),
  Effect.sync(() => store.restart())
)

/**
 * What a restart without persistence, or a flush, does to this run's keys: every one is gone (this run's prefix
 * only: the server is shared, and never flushed by a test).
 */
const loseRunKeys = (url: string) =>
  Effect.promise(async () => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    try {
      await redis.connect()
      let cursor = "0"
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
        if (keys.length > 0) await redis.del(...keys)
        cursor = next
      } while (cursor !== "0")
    } finally {
      redis.disconnect()
    }
  })

await describeWithRedis("InventoryCache contract: Redis", (url) =>
  inventoryCacheContract(
    "Redis",
    (ttl) => makeInventoryCacheRedis(ttl, prefix).pipe(Layer.provide(redisClientReady(url))),
    loseRunKeys(url)
  )
)

// Needs no server: nothing listens on port 1.
inventoryCacheDownContract(
  "Redis on a dead port",
  makeInventoryCacheRedis({ soldOutMs: 300, viewMs: 600 }, prefix).pipe(
    Layer.provide(redisClientLayer(Redacted.make("redis://127.0.0.1:1")))
  )
)

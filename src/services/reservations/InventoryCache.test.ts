import { Layer, Redacted } from "effect"
import { inventoryCacheContract, inventoryCacheDownContract } from "../../../test/contracts/InventoryCacheContract.ts"
import { describeWithRedis, redisClientReady } from "../../../test/support/Redis.ts"
import { redisClientLayer } from "../redis/RedisClient.ts"
import { makeInventoryCacheMemory } from "./InventoryCacheMemory.ts"
import { makeInventoryCacheRedis } from "./InventoryCacheRedis.ts"

/** One prefix per run, so that runs never read each other's keys (all of which expire within a second anyway). */
const prefix = `goticket:test:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}:`

inventoryCacheContract("in-memory", makeInventoryCacheMemory)

await describeWithRedis("InventoryCache contract: Redis", (url) =>
  inventoryCacheContract("Redis", (ttl) =>
    makeInventoryCacheRedis(ttl, prefix).pipe(Layer.provide(redisClientReady(url)))
  )
)

// Needs no server: nothing listens on port 1.
inventoryCacheDownContract(
  "Redis on a dead port",
  makeInventoryCacheRedis({ soldOutMs: 300, viewMs: 600 }, prefix).pipe(
    Layer.provide(redisClientLayer(Redacted.make("redis://127.0.0.1:1")))
  )
)

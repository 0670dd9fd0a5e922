import { Context, Effect, Layer, Redacted } from "effect"
import { Redis } from "ioredis"
import { dependencyUp } from "../observability/Dependencies.ts"

/**
 * One ioredis connection per process, closed with the layer. Commands fail fast instead of queueing while down, give up
 * after 250 ms, and are pipelined automatically.
 */
export class RedisClient extends Context.Service<RedisClient, Redis>()("goticket/RedisClient") {}

export const redisClientLayer = (url: Redacted.Redacted) =>
  Layer.effect(
    RedisClient,
    Effect.acquireRelease(
      Effect.sync(() => {
        const client = new Redis(Redacted.value(url), {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2_000,
          commandTimeout: 250,
          // Commands issued in the same event-loop turn (by concurrent requests) leave in one socket write: a
          // write is a system call, the largest single cost of a refused hold.
          enableAutoPipelining: true,
          retryStrategy: (times) => Math.min(times * 200, 2_000)
        })
        // Connection errors are expected while Redis is down; callers fall back to PostgreSQL.
        dependencyUp.set({ dependency: "redis" }, 0)
        client.on("error", () => dependencyUp.set({ dependency: "redis" }, 0))
        client.on("close", () => dependencyUp.set({ dependency: "redis" }, 0))
        client.on("ready", () => dependencyUp.set({ dependency: "redis" }, 1))
        return client
      }),
      (client) => Effect.promise(() => client.quit().catch(() => client.disconnect()))
    )
  )

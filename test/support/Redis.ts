import { describe, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Redis } from "ioredis"
import { RedisClient, redisClientLayer } from "../../src/services/redis/RedisClient.ts"

/** The Redis server the suites use: REDIS_URL, else the local server. */
export const redisUrl = (): string => process.env.REDIS_URL ?? "redis://127.0.0.1:6379"

export type RedisProbe = { readonly reachable: true } | { readonly reachable: false; readonly reason: string }

/** One PING with a short deadline, on a connection that never retries. */
const probe = async (url: string, timeoutMs = 1_000): Promise<RedisProbe> => {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null
  })
  // The connection's own error (ECONNREFUSED…) says more than the rejected connect ("Connection is closed.").
  let lastError: Error | undefined
  client.on("error", (error: Error) => {
    lastError = error
  })
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    await Promise.race([client.connect().then(() => client.ping()), deadline])
    return { reachable: true }
  } catch (error) {
    const cause = lastError ?? error
    return { reachable: false, reason: cause instanceof Error ? cause.message : String(cause) }
  } finally {
    clearTimeout(timer)
    client.disconnect()
  }
}

let probed: Promise<RedisProbe> | undefined
/** Probes once per test file. */
export const redisProbe = (): Promise<RedisProbe> => {
  probed ??= probe(redisUrl())
  return probed
}

/**
 * Declares a suite that needs a real Redis. Reachable: `suite(url)` declares it. Unreachable: with CI=true a suite
 * of that name fails with the reason (CI must never pass without its Redis); otherwise the suite is reported
 * skipped, with the reason in its title and in a warning.
 */
export const describeWithRedis = async (name: string, suite: (url: string) => void): Promise<void> => {
  const url = redisUrl()
  const result = await redisProbe()
  if (result.reachable) return suite(url)
  const reason = `Redis at ${url} is unreachable (${result.reason})`
  if (process.env.CI === "true") {
    describe(name, () => {
      it("needs a reachable Redis under CI=true", () => {
        throw new Error(
          `${reason}; CI=true, so this suite fails instead of being skipped. Start Redis or set REDIS_URL.`
        )
      })
    })
    return
  }
  console.warn(`[redis] skipping "${name}": ${reason}. Start Redis or set REDIS_URL to run it.`)
  describe.skip(`${name} [skipped: ${reason}]`, () => {
    it("needs a reachable Redis", () => {})
  })
}

/**
 * The application's RedisClient, once connected. The client does not queue commands while it connects (a down
 * Redis must cost nothing), so a suite that expects hits waits for the connection before its first command.
 */
export const redisClientReady = (url: string) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const client = yield* RedisClient
      if (client.status === "ready") return
      yield* Effect.callback<void>((resume) => {
        const ready = () => resume(Effect.void)
        client.once("ready", ready)
        return Effect.sync(() => client.off("ready", ready))
      }).pipe(
        Effect.timeoutOrElse({
          duration: "5 seconds",
          orElse: () => Effect.fail(new Error(`Redis at ${url} never became ready`))
        })
      )
    })
  ).pipe(Layer.provideMerge(redisClientLayer(Redacted.make(url))))

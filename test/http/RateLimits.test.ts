import { request } from "node:http"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { describeWithRedis } from "../support/Redis.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  readonly body: any
}

/** One request on a connection of its own (no keep-alive), as separate clients would send it. */
const fresh = (base: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
  new Promise<Answer>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(
      `${base}${path}`,
      {
        method,
        agent: false,
        headers: { ...headers, ...(payload === undefined ? {} : { "content-type": "application/json" }) }
      },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => {
          text += chunk
        })
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === "" ? null : JSON.parse(text) })
        )
      }
    )
    req.on("error", reject)
    req.end(payload)
  })

/** `n` requests at once, each on its own connection; the answers, and how long the burst took. */
const burst = (n: number, send: () => Promise<Answer>) =>
  Effect.promise(async () => {
    const started = Date.now()
    const answers = await Promise.all(Array.from({ length: n }, send))
    return { answers, elapsedMs: Date.now() - started }
  })

const count = (answers: ReadonlyArray<Answer>, status: number) => answers.filter((a) => a.status === status).length

/** A GCRA quota of `limit` per minute lets `limit` through at once, and one more per 60/limit s of the burst. */
/** The quota, plus what refilled while the burst lasted: over any span, at most ceil(span / period) refills land. */
const expectQuota = (admitted: number, limit: number, elapsedMs: number) => {
  expect(admitted).toBeGreaterThanOrEqual(limit)
  expect(admitted).toBeLessThanOrEqual(limit + Math.ceil(elapsedMs / (60_000 / limit)))
}

const uniquePrefix = () => `goticket:test:${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}:rl:`

/** Limits on, small enough to reach; one proxy trusted so that each test client can have its own address. */
const limited = (overrides: Record<string, string> = {}) => ({
  RATE_LIMITS: "on",
  TRUST_PROXY_HOPS: "1",
  RATE_LIMIT_READS_PER_MINUTE: "30",
  RATE_LIMIT_WRITES_PER_MINUTE: "1000",
  RATE_LIMIT_AUTH_PER_MINUTE: "1000",
  RATE_LIMIT_HOLDS_PER_MINUTE: "4",
  RATE_LIMIT_HOLDS_PER_EVENT_PER_MINUTE: "3",
  ...overrides
})

let clients = 0
/** A client address of its own (the trusted proxy's X-Forwarded-For). */
const newAddress = () => {
  clients++
  return `203.0.113.${clients % 250}`
}

/** The behaviour every limiter store must give, through the API. */
const rateLimitScenarios = (store: string, overrides: Record<string, string>) =>
  layer(TestServerLive(limited(overrides)), { timeout: "120 seconds", excludeTestServices: true })(
    `rate limits (${store})`,
    (it) => {
      it.effect("a burst of reads from one address over many connections gets exactly its quota, then 429s", () =>
        Effect.gen(function* () {
          const api = yield* client
          const address = { "x-forwarded-for": newAddress() }
          const { answers, elapsedMs } = yield* burst(80, () => fresh(api.base, "GET", "/v1/events", address))
          expect(count(answers, 200) + count(answers, 429)).toBe(80)
          expectQuota(count(answers, 200), 30, elapsedMs)

          const refused = answers.find((a) => a.status === 429)
          expect(refused?.body).toMatchObject({ _tag: "RateLimited" })
          expect(refused?.body.message).toMatch(/too many requests/)
          const retryAfter = Number(refused?.headers["retry-after"])
          expect(retryAfter).toBeGreaterThanOrEqual(1)
          expect(retryAfter).toBeLessThanOrEqual(2)
          expect(refused?.headers).toMatchObject({
            "ratelimit-limit": "30",
            "ratelimit-remaining": "0",
            "ratelimit-policy": "30;w=60"
          })
          // Another client is not affected, and a served answer says what is left.
          const other = yield* Effect.promise(() =>
            fresh(api.base, "GET", "/v1/events", { "x-forwarded-for": newAddress() })
          )
          expect(other.status).toBe(200)
          expect(other.headers["ratelimit-remaining"]).toBe("29")
          // Probes and metrics are never limited.
          const health = yield* burst(40, () => fresh(api.base, "GET", "/health/live", address))
          expect(count(health.answers, 200)).toBe(40)
        })
      )

      it.effect("holds are limited per customer, and per customer on one event", () =>
        Effect.gen(function* () {
          const api = yield* client
          const first = yield* publishedSale(api, { capacity: 100 })
          const second = yield* publishedSale(api, { capacity: 100 })
          const buyer = yield* api.account("customer")
          const onFirst = () => hold(api, buyer.token, holdBody(first.eventId, first.gaId, 1))

          // 3 per event: the fourth hold on the first event is refused, with the reason in the headers.
          const statuses = [] as Array<number>
          for (let i = 0; i < 3; i++) statuses.push((yield* onFirst()).status)
          expect(statuses).toEqual([201, 201, 201])
          const refused = yield* onFirst()
          expect(refused.status).toBe(429)
          expect(refused.body._tag).toBe("RateLimited")
          expect(refused.headers.get("ratelimit-policy")).toBe("3;w=60")
          expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0)

          // 4 per customer in all: one more on the second event (that was the fourth request: the refused one
          // counted), then nothing.
          const onSecond = () => hold(api, buyer.token, holdBody(second.eventId, second.gaId, 1))
          expect((yield* onSecond()).status).toBe(429)

          // Another customer holds on the same event.
          const other = yield* api.account("customer")
          expect((yield* hold(api, other.token, holdBody(first.eventId, first.gaId, 1))).status).toBe(201)
        })
      )

      it.effect("concurrent holds by one customer never get past the per-event quota", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 100 })
          const buyer = yield* api.account("customer")
          const { answers } = yield* burst(20, () =>
            fresh(
              api.base,
              "POST",
              "/v1/reservations",
              { authorization: `Bearer ${buyer.token}`, "idempotency-key": crypto.randomUUID() },
              holdBody(sale.eventId, sale.gaId, 1)
            )
          )
          expect(count(answers, 201)).toBe(3)
          expect(count(answers, 429)).toBe(17)
          // The event sold what was held, no more.
          const seen = yield* api.call("GET", `/v1/events/${sale.eventId}`)
          const ga = seen.body.ticketTypes.find((t: { id: string }) => t.id === sale.gaId)
          expect(ga.available).toBe(97)
        })
      )

      it.effect("repeated failed logins pause the account, whatever the password, known or not", () =>
        Effect.gen(function* () {
          const api = yield* client
          const victim = yield* api.account("customer")
          const login = (email: string, password: string) =>
            api.call("POST", "/v1/auth/login", { body: { email, password } })
          const statuses = [] as Array<number>
          for (let i = 0; i < 5; i++) statuses.push((yield* login(victim.email, `guess-number-${i}`)).status)
          expect(statuses).toEqual([401, 401, 401, 401, 401])

          // Paused: even the right password is not checked; the answer says when to come back (3 min per attempt).
          const paused = yield* login(victim.email, victim.password)
          expect(paused.status).toBe(429)
          expect(paused.body._tag).toBe("RateLimited")
          const retryAfter = Number(paused.headers.get("retry-after"))
          expect(retryAfter).toBeGreaterThan(170)
          expect(retryAfter).toBeLessThanOrEqual(180)
          // The address is not what is paused: other accounts log in.
          const other = yield* api.account("customer")
          expect((yield* login(other.email, other.password)).status).toBe(200)

          // An unknown email is paused alike: 429 tells nothing about whether it exists.
          const unknown = `nobody-${crypto.randomUUID()}@example.com`
          const unknownStatuses = [] as Array<number>
          for (let i = 0; i < 6; i++) unknownStatuses.push((yield* login(unknown, `guess-number-${i}`)).status)
          expect(unknownStatuses).toEqual([401, 401, 401, 401, 401, 429])
        })
      )

      it.effect("a successful login clears the count of failed ones", () =>
        Effect.gen(function* () {
          const api = yield* client
          const user = yield* api.account("customer")
          const login = (password: string) =>
            api.call("POST", "/v1/auth/login", { body: { email: user.email, password } })
          for (let i = 0; i < 4; i++) expect((yield* login(`typo-${i}-password`)).status).toBe(401)
          expect((yield* login(user.password)).status).toBe(200)
          const after = [] as Array<number>
          for (let i = 0; i < 5; i++) after.push((yield* login(`typo-again-${i}`)).status)
          expect(after).toEqual([401, 401, 401, 401, 401])
          expect((yield* login(user.password)).status).toBe(429)
        })
      )

      it.effect("a forged X-Forwarded-For entry cannot buy a fresh quota", () =>
        Effect.gen(function* () {
          const api = yield* client
          // One proxy is trusted: only its entry (the rightmost) counts, whatever the client put before it.
          const spoofed = yield* burst(40, () =>
            fresh(api.base, "GET", "/v1/events", { "x-forwarded-for": `${newAddress()}, 198.51.100.7` })
          )
          expectQuota(count(spoofed.answers, 200), 30, spoofed.elapsedMs)
        })
      )
    }
  )

describe("rate limits", () => {
  rateLimitScenarios("in process", {})
})

await describeWithRedis("rate limits on Redis", (url) => {
  const prefix = uniquePrefix()
  rateLimitScenarios("Redis", { REDIS_URL: url, RATE_LIMIT_REDIS_PREFIX: prefix })

  layer(Layer.empty, { timeout: "120 seconds", excludeTestServices: true })("shared by instances", (it) => {
    it.effect("two instances on one Redis share one quota", () =>
      Effect.gen(function* () {
        const config = limited({ REDIS_URL: url, RATE_LIMIT_REDIS_PREFIX: uniquePrefix() })
        const a = yield* Effect.provide(client, yield* Layer.build(TestServerLive(config)))
        const b = yield* Effect.provide(client, yield* Layer.build(TestServerLive(config)))
        const address = { "x-forwarded-for": newAddress() }
        let n = 0
        const { answers, elapsedMs } = yield* burst(80, () =>
          fresh(n++ % 2 === 0 ? a.base : b.base, "GET", "/v1/events", address)
        )
        expectQuota(count(answers, 200), 30, elapsedMs)
        expect(count(answers, 429)).toBe(80 - count(answers, 200))
      })
    )
  })
})

describe("rate limits while the limiter's Redis is down", () => {
  // Nothing listens on port 1: every call to the limiter fails within its deadline.
  layer(
    TestServerLive(
      limited({ REDIS_URL: "redis://127.0.0.1:1", RATE_LIMIT_READS_PER_MINUTE: "5", RATE_LIMIT_AUTH_PER_MINUTE: "4" })
    ),
    { timeout: "120 seconds", excludeTestServices: true }
  )("fallbacks", (it) => {
    it.effect("reads fail open: browsing goes on past the quota", () =>
      Effect.gen(function* () {
        const api = yield* client
        const address = { "x-forwarded-for": newAddress() }
        const { answers } = yield* burst(20, () => fresh(api.base, "GET", "/v1/events", address))
        expect(count(answers, 200)).toBe(20)
      })
    )

    it.effect("writes are limited per instance instead: logins still stop at the quota", () =>
      Effect.gen(function* () {
        const api = yield* client
        const address = { "x-forwarded-for": newAddress() }
        const { answers, elapsedMs } = yield* burst(12, () =>
          fresh(api.base, "POST", "/v1/auth/login", address, { email: "someone@example.com", password: "whatever-1" })
        )
        expectQuota(count(answers, 401), 4, elapsedMs)
        expect(count(answers, 429)).toBe(12 - count(answers, 401))
      })
    )
  })
})

describe("CORS", () => {
  layer(TestServerLive({ CORS_ORIGINS: "https://shop.example.com" }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("configured origins", (it) => {
    it.effect("answers the preflight of a configured origin, and only of it", () =>
      Effect.gen(function* () {
        const api = yield* client
        const preflight = (origin: string) =>
          api.call("OPTIONS", "/v1/reservations", {
            headers: {
              origin,
              "access-control-request-method": "POST",
              "access-control-request-headers": "authorization, content-type"
            }
          })
        const allowed = yield* preflight("https://shop.example.com")
        expect(allowed.status).toBeLessThan(300)
        expect(allowed.headers.get("access-control-allow-origin")).toBe("https://shop.example.com")
        expect(allowed.headers.get("access-control-allow-credentials")).toBeNull()
        // A foreign origin is never echoed back, so the browser refuses the call.
        const foreign = yield* preflight("https://evil.example.net")
        expect(foreign.headers.get("access-control-allow-origin")).not.toBe("https://evil.example.net")

        const read = yield* api.call("GET", "/v1/events", { headers: { origin: "https://shop.example.com" } })
        expect(read.headers.get("access-control-allow-origin")).toBe("https://shop.example.com")
        expect(read.headers.get("access-control-expose-headers")).toMatch(/retry-after/)
      })
    )
  })

  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("no origins configured", (it) => {
    it.effect("sends no CORS headers, so browsers keep other sites' scripts out", () =>
      Effect.gen(function* () {
        const api = yield* client
        const read = yield* api.call("GET", "/v1/events", { headers: { origin: "https://shop.example.com" } })
        expect(read.status).toBe(200)
        expect(read.headers.get("access-control-allow-origin")).toBeNull()
      })
    )
  })
})

import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { holdBody, publishedSale } from "../support/Sale.ts"
import { client, type Reply, TestServerLive } from "../support/TestServer.ts"

/**
 * POST /v1/reservations is served by a lean route in front of the HTTP stack (src/http/HoldRoute.ts) unless
 * LEAN_HOLD_ROUTE=off. Whatever the request, the two must answer alike: the same statuses, bodies, headers and rate
 * decisions (a request the lean route passes on must not be rated twice).
 */
const settings = {
  CUSTOMER_TICKET_LIMIT: "1000",
  MAX_BODY_BYTES: "2048",
  RATE_LIMITS: "on",
  RATE_LIMIT_AUTH_PER_MINUTE: "1000",
  RATE_LIMIT_WRITES_PER_MINUTE: "1000",
  RATE_LIMIT_READS_PER_MINUTE: "1000",
  RATE_LIMIT_HOLDS_PER_MINUTE: "1000",
  RATE_LIMIT_HOLDS_PER_EVENT_PER_MINUTE: "4"
}

const HEADERS = [
  "content-type",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "cross-origin-opener-policy",
  "content-security-policy",
  "ratelimit-limit",
  "ratelimit-remaining",
  "ratelimit-policy"
]
/** Values that depend on the clock or on generated ids: only their presence is compared. */
const PRESENT = ["ratelimit-reset", "retry-after", "x-request-id"]
const VOLATILE = new Set(["id", "createdAt", "expiresAt", "requestId"])
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

// biome-ignore lint/suspicious/noExplicitAny: JSON answers of any shape
const stable = (value: any): unknown =>
  Array.isArray(value)
    ? value.map(stable)
    : typeof value === "object" && value !== null
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, VOLATILE.has(k) ? typeof v : stable(v)]))
      : typeof value === "string"
        ? value.replace(UUID, "<uuid>")
        : value

const answer = (reply: Reply) => {
  const headers: Record<string, unknown> = Object.fromEntries([
    ...HEADERS.map((name) => [name, reply.headers.get(name)]),
    ...PRESENT.map((name) => [name, reply.headers.has(name)])
  ])
  // The buckets refill continuously (GCRA): at 1,000 a minute, about 17 come back a second, so what remains depends on
  // timing; the per-event bucket (4 a minute) gains nothing back in so short a conversation and is compared exactly.
  if (headers["ratelimit-limit"] !== "4") headers["ratelimit-remaining"] = reply.headers.has("ratelimit-remaining")
  return { status: reply.status, body: stable(reply.body), headers }
}

/** The same conversation with a fresh server: every kind of answer POST /v1/reservations gives. */
const conversation = (overrides: Record<string, string>) =>
  Effect.gen(function* () {
    const api = yield* client
    const sale = yield* publishedSale(api, { capacity: 3, maxPerOrder: 2 })
    const buyer = yield* api.account("customer")
    const other = yield* api.account("customer")
    const third = yield* api.account("customer")
    const post = (options: {
      readonly body?: unknown
      readonly rawBody?: string
      readonly key?: string | undefined
      readonly token?: string | undefined
      readonly headers?: Record<string, string>
    }) =>
      api.call("POST", "/v1/reservations", {
        token: "token" in options ? options.token : buyer.token,
        body: options.body,
        rawBody: options.rawBody,
        headers: {
          ...(options.key === undefined ? {} : { "idempotency-key": options.key }),
          ...options.headers
        }
      })
    const body = (quantity: number) => holdBody(sale.eventId, sale.gaId, quantity)
    const replies: Array<readonly [string, Reply]> = []
    const say = function* (label: string, reply: Effect.Effect<Reply>) {
      replies.push([label, yield* reply])
    }
    yield* say("held", post({ body: body(2), key: "k1" }))
    yield* say("replayed", post({ body: body(2), key: "k1" }))
    yield* say("key reused with another body", post({ body: body(1), key: "k1" }))
    yield* say("over the order limit", post({ body: body(3), key: "k2" }))
    yield* say("sold out", post({ body: body(2), key: "k3", token: other.token }))
    yield* say("sold out again", post({ body: body(2), key: "k4", token: other.token }))
    yield* say("unknown event", post({ body: { ...body(1), eventId: crypto.randomUUID() }, key: "k5" }))
    yield* say("no idempotency key", post({ body: body(1) }))
    yield* say("empty idempotency key", post({ body: body(1), key: "" }))
    yield* say("a field missing", post({ body: { eventId: sale.eventId }, key: "k6" }))
    yield* say("an unknown field", post({ body: { ...body(1), coupon: "x" }, key: "k7" }))
    yield* say("not JSON", post({ rawBody: "{", key: "k8" }))
    yield* say("a NUL character", post({ rawBody: JSON.stringify({ ...body(1), eventId: "a\u0000" }), key: "k9" }))
    yield* say("another media type", post({ rawBody: "x", key: "k10", headers: { "content-type": "text/plain" } }))
    yield* say("over MAX_BODY_BYTES", post({ rawBody: JSON.stringify(body(1)) + " ".repeat(4096), key: "k11" }))
    yield* say("no token", post({ body: body(1), key: "k12", token: undefined }))
    yield* say("a forged token", post({ body: body(1), key: "k13", token: "x.y.z" }))
    const kept = yield* post({
      body: body(1),
      key: "k14",
      token: third.token,
      headers: { "x-request-id": "trace-me-1" }
    })
    replies.push(["own request id", kept])
    expect(kept.headers.get("x-request-id")).toBe("trace-me-1")
    // The per-event hold limit (4 a minute) runs out: refused with 429 and Retry-After.
    for (let i = 0; i < 3; i++) yield* say(`burst ${i}`, post({ body: body(1), key: `b${i}`, token: other.token }))
    return replies.map(([label, reply]) => ({ label, ...answer(reply) }))
  }).pipe(Effect.provide(TestServerLive({ ...settings, ...overrides })))

describe("the lean hold route", () => {
  it.live(
    "answers every kind of request exactly as the generic pipeline does",
    () =>
      Effect.gen(function* () {
        const lean = yield* conversation({})
        const generic = yield* conversation({ LEAN_HOLD_ROUTE: "off" })
        expect(lean).toEqual(generic)
        const statuses = Object.fromEntries(lean.map((a) => [a.label, a.status]))
        expect(statuses).toMatchObject({
          held: 201,
          replayed: 201,
          "key reused with another body": 422,
          "over the order limit": 409,
          "sold out": 409,
          "sold out again": 409,
          "unknown event": 404,
          "no idempotency key": 400,
          "a field missing": 400,
          "an unknown field": 400,
          "not JSON": 400,
          "a NUL character": 400,
          "another media type": 415,
          "over MAX_BODY_BYTES": 413,
          "no token": 401,
          "a forged token": 401,
          "burst 2": 429
        })
      }),
    180_000
  )
})

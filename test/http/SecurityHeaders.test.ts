import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { client, TestServerLive } from "../support/TestServer.ts"

layer(TestServerLive(), { excludeTestServices: true })("security headers", (it) => {
  it.effect("every answer, error or not, forbids sniffing, framing and referrers; the API forbids active content", () =>
    Effect.gen(function* () {
      const api = yield* client
      for (const [method, path] of [
        ["GET", "/health/live"],
        ["GET", "/v1/orders"], // 401
        ["GET", "/v1/nowhere"], // 404
        ["POST", "/v1/auth/login"] // 400
      ] as const) {
        const reply = yield* api.call(method, path, method === "POST" ? { rawBody: "{not json" } : {})
        expect(reply.headers.get("x-content-type-options"), path).toBe("nosniff")
        expect(reply.headers.get("x-frame-options"), path).toBe("DENY")
        expect(reply.headers.get("referrer-policy"), path).toBe("no-referrer")
        expect(reply.headers.get("content-security-policy"), path).toBe("default-src 'none'; frame-ancestors 'none'")
      }
      const docs = yield* api.call("GET", "/docs")
      expect(docs.status).toBe(200)
      expect(docs.headers.get("content-security-policy")).toBe("frame-ancestors 'none'")
    })
  )

  it.effect(
    "an overlong request target is 414 whatever its length, overlong headers 431: refused before any work",
    () =>
      Effect.gen(function* () {
        const api = yield* client
        const longQuery = yield* api.call("GET", `/v1/events?q=${"a".repeat(9_000)}`)
        expect(longQuery.status).toBe(414)
        expect(longQuery.body).toMatchObject({ _tag: "UriTooLong", limit: 8192 })
        const hugeHeader = yield* api.call("GET", "/health/live", { headers: { "x-filler": "b".repeat(20_000) } })
        expect(hugeHeader.status).toBe(431)
        expect(hugeHeader.body).toMatchObject({ _tag: "RequestHeaderFieldsTooLarge" })
        expect(hugeHeader.headers.get("x-content-type-options")).toBe("nosniff")
        // A request target beyond the header limit is refused by the HTTP parser itself: still 414, in the same shape.
        const hugeTarget = yield* api.call("GET", `/v1/events?q=${"c".repeat(20_000)}`)
        expect(hugeTarget.status).toBe(414)
        expect(hugeTarget.body).toMatchObject({ _tag: "UriTooLong", limit: 8192 })
        expect(hugeTarget.headers.get("x-content-type-options")).toBe("nosniff")
        // Headers that overflow with a short target stay 431.
        const both = yield* api.call("GET", "/health/live?x=1", { headers: { "x-filler": "d".repeat(17_000) } })
        expect(both.status).toBe(431)
        expect((yield* api.call("GET", "/health/live")).status).toBe(200)
      })
  )
})

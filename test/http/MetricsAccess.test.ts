import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { client, TestServerLive } from "../support/TestServer.ts"

describe("who may read /metrics", () => {
  layer(TestServerLive({ METRICS_TOKEN: "scraper-token-0123456789" }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("with METRICS_TOKEN", (it) => {
    it.effect("only a scraper with the token; everyone else gets a JSON 401", () =>
      Effect.gen(function* () {
        const api = yield* client
        const anonymous = yield* api.call("GET", "/metrics")
        expect(anonymous.status).toBe(401)
        expect(anonymous.body._tag).toBe("Unauthenticated")
        const customer = yield* api.account("customer")
        expect((yield* api.call("GET", "/metrics", { token: customer.token })).status).toBe(401)
        expect((yield* api.call("GET", "/metrics", { token: "scraper-token-012345678" })).status).toBe(401)
        const scraper = yield* api.call("GET", "/metrics", { token: "scraper-token-0123456789" })
        expect(scraper.status).toBe(200)
        expect(scraper.body).toContain("goticket_outbox_pending")
      })
    )
  })

  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("without it", (it) => {
    it.effect("anyone who can reach the port (keep it on the internal network)", () =>
      Effect.gen(function* () {
        const api = yield* client
        expect((yield* api.call("GET", "/metrics")).status).toBe(200)
      })
    )
  })
})

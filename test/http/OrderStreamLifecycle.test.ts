import { describe, expect, it, layer } from "@effect/vitest"
import { ConfigProvider, Deferred, Effect, Exit, Layer, Logger, Option, References, Scope } from "effect"
import { applicationOver } from "../../src/Application.ts"
import { type Api, PAID, payAt } from "../support/Purchase.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { openSse } from "../support/SseClient.ts"
import { TestDatabaseLive } from "../support/TestDatabase.ts"
import { client, TestServerLive, testConfig } from "../support/TestServer.ts"

/*
 * An order status stream is one long request: the request pipeline must still write its one log line (when the
 * stream ends, however it ends) and stamp its headers (before the first byte), a client hanging up must end it and
 * free what it held, and a server shutting down must not wait for it.
 */

/** The request log lines ("http request") written by the server under test, by request id. */
const requestLines = new Map<string, Array<Record<string, unknown>>>()
const capturing = Logger.make<unknown, void>((options) => {
  const line = JSON.parse(Logger.formatJson.log(options) as string) as {
    message?: unknown
    annotations?: Record<string, unknown>
  }
  const annotations = line.annotations ?? {}
  if (line.message !== "http request" || typeof annotations.requestId !== "string") return
  requestLines.set(annotations.requestId, [...(requestLines.get(annotations.requestId) ?? []), annotations])
})

const Server = applicationOver(TestDatabaseLive).pipe(
  Layer.provide(Logger.layer([capturing])),
  Layer.provide(Layer.succeed(References.MinimumLogLevel, "Info")),
  Layer.provide(ConfigProvider.layer(testConfig({ ORDER_STREAMS_PER_CUSTOMER: "1" })))
)

const pendingOrder = (api: Api) =>
  Effect.gen(function* () {
    const sale = yield* publishedSale(api, { capacity: 10 })
    const buyer = yield* api.account("customer")
    const held = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.gaId, 1))
    const checkout = yield* api.call("POST", `/v1/reservations/${held.body.id}/checkout`, { token: buyer.token })
    expect(checkout.status).toBe(202)
    return {
      buyer,
      orderId: checkout.body.orderId as string,
      confirmUrl: checkout.body.payment.confirmUrl as string,
      url: `${api.base}/v1/orders/${checkout.body.orderId}/events`,
      auth: { authorization: `Bearer ${buyer.token}` }
    }
  })

/** The log lines of a request, once written (the line comes when the request is over, just after the client). */
const linesOf = (requestId: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 1500 && !requestLines.has(requestId); i++) yield* Effect.sleep("20 millis")
    return requestLines.get(requestId) ?? []
  })

describe("order status streams and the request pipeline", () => {
  layer(Server, { excludeTestServices: true, timeout: "120 seconds" })("", (it) => {
    it.effect("a stream gets the pipeline's headers at once and one log line when it ends, for its whole life", () =>
      Effect.gen(function* () {
        const api = yield* client
        const order = yield* pendingOrder(api)
        const stream = yield* openSse(order.url, { ...order.auth, "x-request-id": "order-stream-ends" })
        // The headers came before any event: the status and the pipeline's headers are there.
        expect(stream.status).toBe(200)
        expect(stream.headers.get("x-request-id")).toBe("order-stream-ends")
        expect(stream.headers.get("content-security-policy")).toContain("default-src 'none'")
        expect(stream.headers.get("cache-control")).toBe("no-cache")
        expect(Option.getOrThrow(yield* stream.next()).data.status).toBe("pending_payment")
        expect(requestLines.has("order-stream-ends")).toBe(false) // still going

        yield* Effect.sleep("300 millis")
        yield* payAt(order.confirmUrl, PAID)
        expect((yield* stream.rest()).map((e) => e.data.status)).toEqual(["confirmed"])
        const lines = yield* linesOf("order-stream-ends")
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatchObject({
          "http.method": "GET",
          "http.route": "/v1/orders/:orderId/events",
          "http.status": 200,
          userId: order.buyer.id
        })
        expect(lines[0]?.["http.duration_ms"]).toBeGreaterThanOrEqual(300)
      })
    )

    it.effect("a client hanging up ends its stream: the log line is written and the stream's slot is free", () =>
      Effect.gen(function* () {
        const api = yield* client
        const order = yield* pendingOrder(api)
        const first = yield* openSse(order.url, { ...order.auth, "x-request-id": "order-stream-hung-up" })
        expect(Option.getOrThrow(yield* first.next()).data.status).toBe("pending_payment")
        // One stream per customer here: a second is refused while the first is open.
        expect((yield* openSse(order.url, order.auth)).status).toBe(429)

        yield* first.close
        const lines = yield* linesOf("order-stream-hung-up")
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatchObject({ "http.route": "/v1/orders/:orderId/events", "http.status": 200 })
        // Its hold on the customer's one stream goes with the request (just after the line is written).
        let again = yield* openSse(order.url, order.auth)
        for (let i = 0; again.status === 429 && i < 1500; i++) {
          yield* Effect.sleep("20 millis")
          again = yield* openSse(order.url, order.auth)
        }
        expect(again.status).toBe(200)
        yield* again.close
      })
    )
  })
})

describe("order status streams at shutdown", () => {
  it.live(
    "the server ends open streams and answers long-polls at once, instead of waiting out its grace period",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        const server = yield* Layer.buildWithScope(TestServerLive(), scope)
        const { stream, poll } = yield* Effect.gen(function* () {
          const api = yield* client
          const order = yield* pendingOrder(api)
          const stream = yield* openSse(order.url, order.auth)
          expect(Option.getOrThrow(yield* stream.next()).data.status).toBe("pending_payment")
          const poll = fetch(`${api.base}/v1/orders/${order.orderId}?waitFor=confirmed&timeoutMs=30000`, {
            headers: order.auth
          }).then(async (r) => ({ status: r.status, body: (await r.json()) as { status: string } }))
          yield* Effect.sleep("200 millis") // the long-poll is waiting
          return { stream, poll }
        }).pipe(Effect.provideContext(server))

        const started = Date.now()
        yield* Scope.close(scope, Exit.void)
        // The grace period is 10 s: a server that waited for the stream would take that long.
        expect(Date.now() - started).toBeLessThan(5_000)
        // The server ended the stream (the client did not hang up), and the long-poll got the order as it was.
        expect(yield* stream.rest()).toEqual([])
        expect(yield* Deferred.isDone(stream.ended)).toBe(true)
        expect(yield* Effect.promise(() => poll)).toMatchObject({ status: 200, body: { status: "pending_payment" } })
      }),
    60_000
  )
})

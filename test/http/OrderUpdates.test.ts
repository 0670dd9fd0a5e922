import { describe, expect, layer } from "@effect/vitest"
import { ConfigProvider, Deferred, Effect, Fiber, Layer, Option, References } from "effect"
import { applicationOver } from "../../src/Application.ts"
import { pgClientEmbedded } from "../../src/services/sql/Database.ts"
import { MigrationsLive } from "../../src/services/sql/Migrations.ts"
import { type Api, DECLINED, PAID, payAt } from "../support/Purchase.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { openSse } from "../support/SseClient.ts"
import { client, TestServerLive, testConfig } from "../support/TestServer.ts"

/*
 * Order status streams (GET /v1/orders/{id}/events) and long-polls (GET /v1/orders/{id}?waitFor=…) over REST, on
 * the real PostgreSQL (LISTEN/NOTIFY) with the sandbox provider, and the main cases again on the embedded PGlite. The safety re-read is set to 10 minutes here, so
 * whatever a test sees before its timeouts came from the order's own change signal, never from a re-read.
 */

const STREAMS_PER_CUSTOMER = 2

/** A customer's order waiting for payment: held, checked out, not paid yet. */
const pendingOrder = (api: Api, token: string, sale: { eventId: string; gaId: string }) =>
  Effect.gen(function* () {
    const held = yield* hold(api, token, holdBody(sale.eventId, sale.gaId, 2))
    expect(held.status).toBe(201)
    const checkout = yield* api.call("POST", `/v1/reservations/${held.body.id}/checkout`, { token })
    expect(checkout.status).toBe(202)
    expect(checkout.body.status).toBe("pending_payment")
    return { orderId: checkout.body.orderId as string, confirmUrl: checkout.body.payment.confirmUrl as string }
  })

const stream = (api: Api, orderId: string, token: string | undefined, headers: Record<string, string> = {}) =>
  openSse(`${api.base}/v1/orders/${orderId}/events`, {
    ...headers,
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
  })

const statusesOf = (events: ReadonlyArray<{ readonly id: string | undefined; readonly data: { status: string } }>) =>
  events.map((e) => [e.id, e.data.status])

/** A stream sends the current status, then the confirmation, then ends. */
const streamEndsOnConfirmation = Effect.gen(function* () {
  const api = yield* client
  const sale = yield* publishedSale(api, { capacity: 20 })
  const buyer = yield* api.account("customer")
  const order = yield* pendingOrder(api, buyer.token, sale)

  const events = yield* stream(api, order.orderId, buyer.token)
  expect(events.status).toBe(200)
  expect(events.headers.get("content-type")).toContain("text/event-stream")
  // The request pipeline's headers are on the stream too.
  expect(events.headers.get("x-request-id")).toBeTruthy()
  expect(events.headers.get("x-content-type-options")).toBe("nosniff")

  const first = Option.getOrThrow(yield* events.next())
  expect(first).toMatchObject({ id: "1", event: "status", data: { status: "pending_payment", settled: false } })
  expect(first.data.order).toMatchObject({ id: order.orderId, status: "pending_payment", tickets: [] })

  expect((yield* payAt(order.confirmUrl, PAID)).status).toBe(200)
  const rest = yield* events.rest()
  expect(statusesOf(rest)).toEqual([["2", "confirmed"]])
  expect(rest[0]?.data).toMatchObject({ settled: true, order: { id: order.orderId, status: "confirmed" } })
  expect(rest[0]?.data.order.tickets).toHaveLength(2)
  // The server ended the stream (the client did not hang up).
  expect(yield* Deferred.isDone(events.ended)).toBe(true)
})

/** A long-poll answers as soon as the order is confirmed, long before its timeout. */
const longPollAnswersOnConfirmation = Effect.gen(function* () {
  const api = yield* client
  const sale = yield* publishedSale(api, { capacity: 20 })
  const buyer = yield* api.account("customer")
  const order = yield* pendingOrder(api, buyer.token, sale)

  const started = Date.now()
  const poll = yield* Effect.forkChild(
    Effect.promise(async () => {
      const response = await fetch(`${api.base}/v1/orders/${order.orderId}?waitFor=settled&timeoutMs=30000`, {
        headers: { authorization: `Bearer ${buyer.token}` },
        signal: AbortSignal.timeout(60_000)
      })
      // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
      return { status: response.status, body: (await response.json()) as any, at: Date.now() }
    })
  )
  yield* Effect.sleep("200 millis") // let it start waiting (not needed for correctness: it reads first)
  expect((yield* payAt(order.confirmUrl, PAID)).status).toBe(200)
  const answer = yield* Fiber.join(poll)
  expect(answer.status).toBe(200)
  expect(answer.body).toMatchObject({ id: order.orderId, status: "confirmed" })
  expect(answer.body.tickets).toHaveLength(2)
  // Woken by the order's change: it did not sit out its 30 s timeout (nor a re-read: 10 min here).
  expect(answer.at - started).toBeLessThan(20_000)

  // Same body as a plain GET.
  const plain = yield* api.call("GET", `/v1/orders/${order.orderId}`, { token: buyer.token })
  expect(answer.body).toEqual(plain.body)
})

describe("order updates over REST, on PostgreSQL", () => {
  layer(
    TestServerLive({
      CHECKOUT_PAYMENT_WINDOW_SECONDS: "60",
      ORDER_STREAMS_PER_CUSTOMER: String(STREAMS_PER_CUSTOMER),
      ORDER_UPDATES_REREAD_MS: "600000"
    }),
    { excludeTestServices: true, timeout: "120 seconds" }
  )("", (it) => {
    it.effect("a stream sends the current status, then the confirmation, then ends", () => streamEndsOnConfirmation)

    it.effect("a stream resumed with Last-Event-ID sends only what the client has not seen", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 20 })
        const buyer = yield* api.account("customer")
        const order = yield* pendingOrder(api, buyer.token, sale)

        const before = yield* stream(api, order.orderId, buyer.token)
        const seen = Option.getOrThrow(yield* before.next())
        expect([seen.id, seen.data.status]).toEqual(["1", "pending_payment"])
        yield* before.close

        // Reconnected while still pending: the pending status is not sent again; the confirmation is.
        const resumed = yield* stream(api, order.orderId, buyer.token, { "last-event-id": seen.id ?? "" })
        expect(resumed.status).toBe(200)
        expect((yield* payAt(order.confirmUrl, PAID)).status).toBe(200)
        const after = yield* resumed.rest()
        expect(statusesOf(after)).toEqual([["2", "confirmed"]])

        // Having seen the settled status, there is nothing left: 204, which stops an EventSource reconnecting.
        const done = yield* stream(api, order.orderId, buyer.token, { "last-event-id": "2" })
        expect(done.status).toBe(204)
        // A new client (no Last-Event-ID) gets the current, settled status, and the end.
        const fresh = yield* stream(api, order.orderId, buyer.token)
        expect(statusesOf(yield* fresh.rest())).toEqual([["2", "confirmed"]])
        // An id this stream never sent counts as nothing seen.
        const odd = yield* stream(api, order.orderId, buyer.token, { "last-event-id": "evt-42" })
        expect(statusesOf(yield* odd.rest())).toEqual([["2", "confirmed"]])
      })
    )

    it.effect("a declined payment ends the stream with the cancellation", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 20 })
        const buyer = yield* api.account("customer")
        const order = yield* pendingOrder(api, buyer.token, sale)
        const events = yield* stream(api, order.orderId, buyer.token)
        expect(Option.getOrThrow(yield* events.next()).data.status).toBe("pending_payment")
        yield* payAt(order.confirmUrl, DECLINED)
        const rest = yield* events.rest()
        expect(statusesOf(rest)).toEqual([["2", "cancelled"]])
        expect(rest[0]?.data.order.cancelReason).toBe("payment_declined")
      })
    )

    it.effect("someone else's order: 404 as GET answers, and 401 without a token; its organizer may follow it", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 20 })
        const buyer = yield* api.account("customer")
        const stranger = yield* api.account("customer")
        const order = yield* pendingOrder(api, buyer.token, sale)

        const refused = yield* stream(api, order.orderId, stranger.token)
        expect(refused.status).toBe(404)
        expect(refused.body).toMatchObject({ _tag: "OrderNotFound", message: expect.any(String) })
        const plain = yield* api.call("GET", `/v1/orders/${order.orderId}`, { token: stranger.token })
        expect(plain.status).toBe(404)
        expect(plain.body._tag).toBe(refused.body._tag)
        expect((yield* stream(api, order.orderId, undefined)).status).toBe(401)
        const unknown = yield* stream(api, crypto.randomUUID(), buyer.token)
        expect(unknown.status).toBe(404)
        // The long-poll applies the same rule.
        const polled = yield* api.call("GET", `/v1/orders/${order.orderId}?waitFor=confirmed&timeoutMs=0`, {
          token: stranger.token
        })
        expect(polled.status).toBe(404)

        const organizer = yield* stream(api, order.orderId, sale.organizer.token)
        expect(organizer.status).toBe(200)
        expect(Option.getOrThrow(yield* organizer.next()).data.status).toBe("pending_payment")
        yield* organizer.close
      })
    )

    it.effect("a customer keeps at most ORDER_STREAMS_PER_CUSTOMER streams open; one more is refused with 429", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 20 })
        const buyer = yield* api.account("customer")
        const other = yield* api.account("customer")
        const order = yield* pendingOrder(api, buyer.token, sale)
        const othersOrder = yield* pendingOrder(api, other.token, sale)

        const open = []
        for (let i = 0; i < STREAMS_PER_CUSTOMER; i++) {
          const s = yield* stream(api, order.orderId, buyer.token)
          expect(s.status).toBe(200)
          expect(Option.getOrThrow(yield* s.next()).data.status).toBe("pending_payment")
          open.push(s)
        }
        const refused = yield* stream(api, order.orderId, buyer.token)
        expect(refused.status).toBe(429)
        expect(refused.body).toMatchObject({ _tag: "TooManyOrderStreams", limit: STREAMS_PER_CUSTOMER })
        expect(refused.body.message).toContain(String(STREAMS_PER_CUSTOMER))
        // The open streams are left alone, and other customers are not affected.
        const others = yield* stream(api, othersOrder.orderId, other.token)
        expect(others.status).toBe(200)
        yield* others.close

        // A stream the client hangs up on gives its slot back (the server sees the disconnect shortly after).
        yield* (open.shift() as (typeof open)[number]).close
        let again = yield* stream(api, order.orderId, buyer.token)
        for (let i = 0; again.status === 429 && i < 600; i++) {
          yield* Effect.sleep("50 millis")
          again = yield* stream(api, order.orderId, buyer.token)
        }
        expect(again.status).toBe(200)
        open.push(again)

        // Streams that end by themselves give theirs back too: once paid, both end, and two new ones may open.
        yield* payAt(order.confirmUrl, PAID)
        for (const s of open) expect(statusesOf(yield* s.rest()).at(-1)).toEqual(["2", "confirmed"])
        for (let i = 0; i < STREAMS_PER_CUSTOMER; i++) {
          const pending = yield* pendingOrder(api, buyer.token, sale)
          const s = yield* stream(api, pending.orderId, buyer.token)
          expect(s.status).toBe(200)
          yield* s.close
        }
      })
    )

    it.effect(
      "a long-poll answers when the order is confirmed, well before its timeout",
      () => longPollAnswersOnConfirmation
    )

    it.effect("a long-poll that times out answers 200 with the order as it is", () =>
      Effect.gen(function* () {
        const api = yield* client
        const sale = yield* publishedSale(api, { capacity: 20 })
        const buyer = yield* api.account("customer")
        const order = yield* pendingOrder(api, buyer.token, sale)
        const path = `/v1/orders/${order.orderId}`

        const timedOut = yield* api.call("GET", `${path}?waitFor=confirmed&timeoutMs=300`, { token: buyer.token })
        expect(timedOut.status).toBe(200)
        expect(timedOut.body).toMatchObject({ id: order.orderId, status: "pending_payment" })
        const atOnce = yield* api.call("GET", `${path}?waitFor=settled&timeoutMs=0`, { token: buyer.token })
        expect(atOnce.body.status).toBe("pending_payment")
        // Already there: at once, whatever the timeout.
        const already = yield* api.call("GET", `${path}?waitFor=pending_payment&timeoutMs=30000`, {
          token: buyer.token
        })
        expect(already.body.status).toBe("pending_payment")

        // A status the order can no longer reach ends the wait too: a declined order is never confirmed.
        yield* payAt(order.confirmUrl, DECLINED)
        const cancelled = yield* api.call("GET", `${path}?waitFor=settled&timeoutMs=30000`, { token: buyer.token })
        expect(cancelled.body.status).toBe("cancelled")
        const never = yield* api.call("GET", `${path}?waitFor=confirmed&timeoutMs=30000`, { token: buyer.token })
        expect(never.body.status).toBe("cancelled")

        // Bounds: refused as any malformed query is.
        for (const query of ["waitFor=settled&timeoutMs=30001", "waitFor=settled&timeoutMs=-1", "waitFor=paid"]) {
          const bad = yield* api.call("GET", `${path}?${query}`, { token: buyer.token })
          expect(bad.status, query).toBe(400)
          expect(bad.body._tag).toBe("HttpApiDecodeError")
        }
      })
    )
  })
})

// The embedded default (PGlite: no NOTIFY delivered): the repository announces its own changes in process.
describe("order updates over REST, on the embedded PGlite", () => {
  const server = applicationOver(MigrationsLive.pipe(Layer.provideMerge(pgClientEmbedded(undefined)))).pipe(
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")),
    Layer.provide(ConfigProvider.layer(testConfig({ ORDER_UPDATES_REREAD_MS: "600000" })))
  )
  layer(server, { excludeTestServices: true, timeout: "120 seconds" })("", (it) => {
    it.effect("a stream sends the current status, then the confirmation, then ends", () => streamEndsOnConfirmation)
    it.effect(
      "a long-poll answers when the order is confirmed, well before its timeout",
      () => longPollAnswersOnConfirmation
    )
  })
})

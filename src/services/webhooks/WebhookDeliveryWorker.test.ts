import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted, Ref, Result, Schema } from "effect"
import { anEnvelope, anOrganizer, aStoredEndpoint, retire } from "../../../test/contracts/WebhookRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { EnvelopeJson } from "../../domain/events/EventEnvelope.ts"
import type { WebhookDelivery, WebhookId } from "../../domain/webhooks/Webhook.ts"
import { WebhookRepository } from "../../domain/webhooks/WebhookRepository.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { checkSignature } from "../payments/sandbox/Signature.ts"
import { publicOnlyLookup, WebhookDeliveryWorker } from "./WebhookDeliveryWorker.ts"
import { WebhookRepositoryPg } from "./WebhookRepositoryPg.ts"

interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: string
  /** When it arrived (ms since the epoch). */
  readonly at: number
}

/**
 * A webhook receiver on a free loopback port: records every request and answers what `answer` says for the n-th
 * one (1-based): a status, or "hang" to never answer. Closed with the scope.
 */
const makeReceiver = (answer: (n: number) => number | "hang" = () => 200) =>
  Effect.gen(function* () {
    const received = yield* Ref.make<ReadonlyArray<Received>>([])
    const server = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const entry = { headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() }
        const n = Effect.runSync(Ref.updateAndGet(received, (all) => [...all, entry])).length
        const status = answer(n)
        if (status !== "hang") response.writeHead(status, { "content-type": "text/plain" }).end(`answer ${status}`)
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.callback<number>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
      }),
      () =>
        Effect.callback<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    return {
      url: `http://127.0.0.1:${port}/hooks`,
      received: Ref.get(received),
      /** Waits (up to 15 s) until at least `n` requests arrived; answers them. */
      waitFor: (n: number) => eventually(Ref.get(received), (all) => all.length >= n)
    }
  })

/** Polls `effect` every 10 ms (for up to 15 s) until its result satisfies `until`. */
const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, until: (a: A) => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 1500; i++) {
      const a = yield* effect
      if (until(a)) return a
      yield* Effect.sleep("10 millis")
    }
    return yield* Effect.die(new Error("the expected state was never reached"))
  })

const deliveryOf = (endpointId: WebhookId) =>
  Effect.flatMap(WebhookRepository, (repo) =>
    Effect.map(repo.listDeliveries(endpointId, { limit: 10 }), (all) => all[0] as WebhookDelivery)
  )

const deliveryWhen = (endpointId: WebhookId, until: (d: WebhookDelivery) => boolean) =>
  eventually(deliveryOf(endpointId), (d) => d !== undefined && until(d))

/** An organizer, their endpoint at `url`, and an OrderConfirmed event queued for it now. */
const aQueuedDelivery = (url: string) =>
  Effect.gen(function* () {
    const repo = yield* WebhookRepository
    const organizer = yield* anOrganizer
    const endpoint = yield* aStoredEndpoint(organizer, { url, createdAt: new Date() })
    const envelope = anEnvelope("OrderConfirmed")
    const queuedAt = Date.now()
    expect(yield* repo.enqueue(envelope, organizer, new Date(queuedAt))).toBe(1)
    return { endpoint, envelope, queuedAt }
  })

const verify = (secret: string, payload: string, header: string | undefined) =>
  checkSignature({ secret, payload, header, nowSeconds: Math.floor(Date.now() / 1000), toleranceSeconds: 300 })

const workerWith = (settings: Record<string, string>) =>
  WebhookDeliveryWorker.pipe(
    Layer.provideMerge(Layer.mergeAll(WebhookRepositoryPg, UserRepositoryPg)),
    Layer.provideMerge(TestDatabaseLive),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(settings)))
  )

// The defaults: polled every 250 ms, retried after 1 s, 2 s, 4 s …
layer(workerWith({}), { timeout: "60 seconds", excludeTestServices: true })(
  "WebhookDeliveryWorker (default settings)",
  (it) => {
    it.effect("POSTs the envelope within a second, signed with the endpoint's secret, once", () =>
      Effect.gen(function* () {
        const receiver = yield* makeReceiver()
        const { endpoint, envelope, queuedAt } = yield* aQueuedDelivery(receiver.url)
        const [arrival] = (yield* receiver.waitFor(1)) as [Received]
        expect(arrival.at - queuedAt).toBeLessThan(1_000)

        expect(arrival.headers["content-type"]).toBe("application/json")
        expect(arrival.headers["goticket-event-id"]).toBe(envelope.id)
        expect(arrival.headers["goticket-event-type"]).toBe("OrderConfirmed")
        expect(Schema.decodeUnknownSync(EnvelopeJson)(arrival.body)).toEqual(envelope)
        const signature = arrival.headers["goticket-signature"] as string
        expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
        expect(Result.isSuccess(verify(Redacted.value(endpoint.secret), arrival.body, signature))).toBe(true)
        // Another secret, or another body, does not verify.
        expect(Result.isFailure(verify("whsec_someone-else", arrival.body, signature))).toBe(true)
        expect(Result.isFailure(verify(Redacted.value(endpoint.secret), `${arrival.body} `, signature))).toBe(true)

        const delivery = yield* deliveryWhen(endpoint.id, (d) => d.status === "delivered")
        expect(delivery).toMatchObject({ attempts: 1, lastStatusCode: 200, lastError: null, nextAttemptAt: null })
        expect(delivery.deliveredAt).toBeInstanceOf(Date)
        yield* Effect.sleep("600 millis")
        expect(yield* receiver.received).toHaveLength(1)
        yield* retire(endpoint)
      })
    )

    it.effect("a receiver answering 500 gets it again after the backoff; the 200 that follows delivers it", () =>
      Effect.gen(function* () {
        const receiver = yield* makeReceiver((n) => (n === 1 ? 500 : 200))
        const { endpoint, envelope } = yield* aQueuedDelivery(receiver.url)
        const failed = yield* deliveryWhen(endpoint.id, (d) => d.attempts === 1)
        expect(failed).toMatchObject({
          status: "pending",
          lastStatusCode: 500,
          lastError: "the endpoint answered 500: answer 500"
        })

        const [first, second] = (yield* receiver.waitFor(2)) as [Received, Received]
        const gap = second.at - first.at
        expect(gap).toBeGreaterThanOrEqual(950)
        expect(gap).toBeLessThan(2_000)
        expect(second.headers["goticket-event-id"]).toBe(envelope.id)
        expect(second.body).toBe(first.body)

        const delivered = yield* deliveryWhen(endpoint.id, (d) => d.status === "delivered")
        expect(delivered).toMatchObject({ attempts: 2, lastStatusCode: 200, lastError: null, nextAttemptAt: null })
        yield* retire(endpoint)
      })
    )
  }
)

// Fast settings, to watch the backoff grow and the attempts run out within a test.
layer(
  workerWith({
    WEBHOOKS_POLL_INTERVAL_MS: "20",
    WEBHOOKS_RETRY_BASE_MS: "100",
    WEBHOOKS_MAX_ATTEMPTS: "5",
    WEBHOOKS_TIMEOUT_MS: "300"
  }),
  { timeout: "60 seconds", excludeTestServices: true }
)("WebhookDeliveryWorker (fast backoff, 5 attempts)", (it) => {
  it.effect("a 404 forever is retried with growing delays, then failed for good when the attempts run out", () =>
    Effect.gen(function* () {
      const receiver = yield* makeReceiver(() => 404)
      const { endpoint } = yield* aQueuedDelivery(receiver.url)

      // After each failed attempt, the next one is scheduled further out: 100 ms, 200 ms, 400 ms, 800 ms.
      const waits: Array<number> = []
      for (let attempt = 1; attempt <= 4; attempt++) {
        const delivery = yield* deliveryWhen(endpoint.id, (d) => d.attempts === attempt)
        const arrivals = yield* receiver.received
        expect(delivery).toMatchObject({ status: "pending", lastStatusCode: 404 })
        waits.push((delivery.nextAttemptAt as Date).getTime() - (arrivals[attempt - 1] as Received).at)
      }
      for (const [i, wait] of waits.entries()) {
        expect(wait).toBeGreaterThan(100 * 2 ** i - 60)
        expect(wait).toBeLessThanOrEqual(100 * 2 ** i + 10)
      }
      const arrivals = yield* receiver.waitFor(5)
      const gaps = arrivals.slice(1).map((r, i) => r.at - (arrivals[i] as Received).at)
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] as number)

      const failed = yield* deliveryWhen(endpoint.id, (d) => d.status === "failed")
      expect(failed).toMatchObject({ attempts: 5, nextAttemptAt: null, lastStatusCode: 404, deliveredAt: null })
      yield* Effect.sleep("500 millis")
      expect(yield* receiver.received).toHaveLength(5)
      yield* retire(endpoint)
    })
  )

  it.effect("no answer within the timeout, or no server at all, is a failed attempt without a status", () =>
    Effect.gen(function* () {
      const silent = yield* makeReceiver(() => "hang")
      const { endpoint: hanging } = yield* aQueuedDelivery(silent.url)
      const timedOut = yield* deliveryWhen(hanging.id, (d) => d.attempts >= 1)
      expect(timedOut).toMatchObject({ lastStatusCode: null, lastError: "no answer within 300 ms" })

      const { endpoint: nowhere } = yield* aQueuedDelivery("http://127.0.0.1:9/hooks")
      const refused = yield* deliveryWhen(nowhere.id, (d) => d.attempts >= 1)
      expect(refused.lastStatusCode).toBeNull()
      expect(refused.lastError).not.toBeNull()
      yield* retire(hanging, nowhere)
    })
  )
})

// As in production: no loopback, no private networks.
layer(
  workerWith({ WEBHOOKS_ALLOW_HTTP_LOOPBACK: "false", WEBHOOKS_POLL_INTERVAL_MS: "20", WEBHOOKS_RETRY_BASE_MS: "100" }),
  { timeout: "60 seconds", excludeTestServices: true }
)("WebhookDeliveryWorker (production rules)", (it) => {
  it.effect("a host that resolves to our own network is never called, whatever the URL said when registered", () =>
    Effect.gen(function* () {
      const receiver = yield* makeReceiver(() => 200)
      // "localhost" is a name, so registration cannot tell; at delivery it resolves to a loopback address.
      const { endpoint } = yield* aQueuedDelivery(receiver.url.replace("127.0.0.1", "localhost"))
      const refused = yield* deliveryWhen(endpoint.id, (d) => d.attempts >= 1)
      expect(refused.lastStatusCode).toBeNull()
      expect(refused.lastError).toMatch(/^refused: localhost resolves to .*not a public address/)
      yield* Effect.sleep("300 millis")
      expect(yield* receiver.received).toHaveLength(0)
      yield* retire(endpoint)
    })
  )

  it.effect("an address written as a private IP is never called either", () =>
    Effect.gen(function* () {
      const { endpoint } = yield* aQueuedDelivery("http://10.0.0.1/hooks")
      const refused = yield* deliveryWhen(endpoint.id, (d) => d.attempts >= 1)
      expect(refused).toMatchObject({ lastStatusCode: null, lastError: "refused: 10.0.0.1 is not a public address" })
      yield* retire(endpoint)
    })
  )
})

/** What the delivery connections' name resolution answers for `hostname` (an address, or the refusal). */
const resolveWith = (allow: { loopback: boolean; privateNetworks: boolean }, hostname: string) =>
  Effect.callback<string>((resume) => {
    publicOnlyLookup(allow)(hostname, { all: true }, (error, addresses) => {
      const all = addresses as unknown as Array<{ address: string }>
      resume(Effect.succeed(error ? error.message : all.map((a) => a.address).join(",")))
    })
  })

layer(Layer.empty)("the delivery connections' name resolution", (it) => {
  it.effect("refuses a name that resolves to a non-public address, at connection time (no DNS rebinding)", () =>
    Effect.gen(function* () {
      const production = { loopback: false, privateNetworks: false }
      expect(yield* resolveWith(production, "localhost")).toMatch(
        /^refused: localhost resolves to .*not a public address/
      )
      expect(yield* resolveWith({ loopback: true, privateNetworks: false }, "localhost")).toMatch(/127\.0\.0\.1|::1/)
      expect(yield* resolveWith({ loopback: false, privateNetworks: true }, "localhost")).toMatch(/127\.0\.0\.1|::1/)
    })
  )
})

import { Clock, Data, Duration, Effect, FiberSet, Random, Ref, References, Schedule } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SIGNATURE_HEADER, signatureHeader } from "./Signature.ts"
import { encodeWebhookEvent, type WebhookEvent } from "./WebhookEvent.ts"

export interface WebhookDeliveryOptions {
  readonly secret: string
  /** Initial endpoint; unset, events wait (retrying) until `setUrl` gives one. */
  readonly url: string | undefined
  readonly duplicateRate: number
  readonly reorder: boolean
}

class DeliveryFailed extends Data.TaggedError("DeliveryFailed")<{ readonly reason: string }> {}

/** One attempt may take this long before it counts as failed. */
const ATTEMPT_TIMEOUT = Duration.seconds(5)
/** Exponential from 200 ms, capped at 10 s (union keeps the shorter delay), jittered; never gives up. */
const RETRY = Schedule.min([Schedule.exponential("200 millis", 2), Schedule.spaced("10 seconds")]).pipe(
  Schedule.jittered
)
/** Past this many failed attempts a delivery is logged as a warning (once), then keeps retrying. */
const WARN_AFTER_ATTEMPTS = 6

/**
 * Asynchronous, signed webhook delivery, at least once: every event gets its own fiber in the caller's scope (a
 * failing endpoint holds up nothing else), retried with backoff until the endpoint answers 2xx. Each attempt is
 * signed afresh with the current time, as the receiver's replay window expects. Optional chaos: a duplicate
 * delivery with probability `duplicateRate`, a random 0–500 ms head start delay with `reorder`.
 */
export const makeWebhookDelivery = (options: WebhookDeliveryOptions) =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const endpoint = yield* Ref.make(options.url)
    const deliveries = yield* FiberSet.make<void, never>()

    const attempt = Effect.fn("WebhookDelivery.attempt")(function* (payload: string) {
      const url = yield* Ref.get(endpoint)
      if (url === undefined) return yield* new DeliveryFailed({ reason: "no webhook endpoint is set" })
      const nowSeconds = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const request = HttpClientRequest.post(url).pipe(
        HttpClientRequest.setHeader(SIGNATURE_HEADER, signatureHeader(options.secret, payload, nowSeconds)),
        HttpClientRequest.bodyText(payload, "application/json")
      )
      const status = yield* client.execute(request).pipe(
        // Read the (small) answer so that the connection is free for the next delivery.
        Effect.tap((response) => Effect.ignore(response.text)),
        Effect.map((response) => response.status),
        Effect.timeoutOrElse({
          duration: ATTEMPT_TIMEOUT,
          orElse: () => Effect.fail(new DeliveryFailed({ reason: "timed out" }))
        }),
        Effect.catchTag("HttpClientError", (error) => Effect.fail(new DeliveryFailed({ reason: error.message })))
      )
      if (status < 200 || status >= 300) return yield* new DeliveryFailed({ reason: `endpoint answered ${status}` })
    })

    const deliver = Effect.fn("WebhookDelivery.deliver")(function* (event: WebhookEvent, payload: string) {
      yield* Effect.annotateCurrentSpan({ "webhook.event_id": event.id, "webhook.type": event.type })
      if (options.reorder) yield* Effect.sleep(Duration.millis(yield* Random.nextIntBetween(0, 500)))
      let failures = 0
      yield* attempt(payload).pipe(
        Effect.tapError((error) =>
          Effect.suspend(() => {
            failures++
            const log = failures === WARN_AFTER_ATTEMPTS ? Effect.logWarning : Effect.logDebug
            return log("webhook delivery failed; retrying").pipe(
              Effect.annotateLogs({ eventId: event.id, type: event.type, attempt: failures, reason: error.reason })
            )
          })
        ),
        Effect.retry(RETRY)
      )
      yield* Effect.logDebug("webhook delivered").pipe(
        Effect.annotateLogs({ eventId: event.id, type: event.type, attempts: failures + 1 })
      )
    })

    return {
      /** Queues an event for delivery; returns at once. The payload is fixed now, so every copy is identical. */
      enqueue: (event: WebhookEvent): Effect.Effect<void> =>
        Effect.gen(function* () {
          const payload = encodeWebhookEvent(event)
          const copies = (yield* Random.next) < options.duplicateRate ? 2 : 1
          // Callers publish from inside an uninterruptible state change, and a forked fiber inherits that: the
          // delivery is made interruptible again so that closing the scope stops it. It is not part of the request
          // that raised it either (no request log span on its log lines); its trace span stays a child of it.
          const delivery = deliver(event, payload).pipe(
            Effect.orDie,
            Effect.interruptible,
            Effect.provideService(References.CurrentLogSpans, [])
          )
          for (let i = 0; i < copies; i++) yield* FiberSet.run(deliveries, delivery)
        }),
      setUrl: (url: string | undefined): Effect.Effect<void> => Ref.set(endpoint, url),
      url: Ref.get(endpoint)
    }
  })

export type WebhookDelivery = Effect.Success<ReturnType<typeof makeWebhookDelivery>>

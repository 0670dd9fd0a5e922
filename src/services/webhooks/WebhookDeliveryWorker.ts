import { type LookupAddress, lookup as lookupCallback } from "node:dns"
import type { LookupFunction } from "node:net"
import { NodeHttpClient } from "@effect/platform-node"
import { Clock, type Config, Duration, Effect, FiberSet, Layer, Metric, Option, Redacted } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { isIpLiteral, isNonPublicAddress } from "../../domain/webhooks/PrivateAddresses.ts"
import { type ClaimedDelivery, WebhookRepository } from "../../domain/webhooks/WebhookRepository.ts"
import { isAcknowledged, isLoopbackHost, retryDelay } from "../../domain/webhooks/WebhookRules.ts"
import { signatureHeader } from "../payments/sandbox/Signature.ts"
import { AllowHttpLoopback, AllowPrivateNetworks, WebhookWorkerConfig } from "./WebhooksConfig.ts"

/** The headers of every delivery. The signature is the payment sandbox's scheme: `t=<unix s>,v1=<hex HMAC>`. */
export const EVENT_ID_HEADER = "GoTicket-Event-Id"
export const EVENT_TYPE_HEADER = "GoTicket-Event-Type"
export const SIGNATURE_HEADER = "GoTicket-Signature"
export const DELIVERY_ID_HEADER = "GoTicket-Delivery-Id"

/** Longest answer excerpt kept in `last_error`. */
const ERROR_EXCERPT = 200

export const webhookAttempts = Metric.counter("goticket_webhook_attempts_total", {
  description: "Webhook delivery attempts, by outcome (delivered, retry, failed)",
  incremental: true
})

type Outcome =
  | { readonly _tag: "Answered"; readonly status: number; readonly body: string }
  | { readonly _tag: "NoAnswer"; readonly error: string }

/**
 * Why a delivery to this URL must not be made, or undefined: a host written as an IP address outside the public
 * internet (a URL registered before the rule, or on another configuration). Names are refused as they resolve, by the
 * connection itself (`publicOnlyLookup`): Node resolves no IP literal, so those are checked here.
 */
const refusedAddress = (
  url: string,
  allow: { readonly loopback: boolean; readonly privateNetworks: boolean }
): string | undefined => {
  const { hostname } = new URL(url)
  if (allow.privateNetworks || !isIpLiteral(hostname) || !isNonPublicAddress(hostname)) return undefined
  if (allow.loopback && isLoopbackHost(hostname)) return undefined
  return `refused: ${hostname} is not a public address`
}

/**
 * The name resolution of every delivery connection: a host that resolves to a non-public address fails to connect.
 * This closes what checking before the call leaves open: a name whose DNS answer changes between the check and the
 * connection (DNS rebinding).
 */
export const publicOnlyLookup =
  (allow: { readonly loopback: boolean; readonly privateNetworks: boolean }): LookupFunction =>
  (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true }, (error, addresses: Array<LookupAddress>) => {
      if (error) return callback(error, "", 0)
      const trusted = allow.privateNetworks || (allow.loopback && isLoopbackHost(hostname))
      const blocked = trusted ? undefined : addresses.find((a) => isNonPublicAddress(a.address))
      if (blocked !== undefined)
        return callback(
          Object.assign(new Error(`refused: ${hostname} resolves to ${blocked.address}, not a public address`), {
            code: "ENOTFOUND"
          }),
          "",
          0
        )
      if (options.all) return (callback as unknown as (e: null, a: Array<LookupAddress>) => void)(null, addresses)
      const first = addresses[0]
      return first === undefined
        ? callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0)
        : callback(null, first.address, first.family)
    })
  }

const excerpt = (text: string) => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > ERROR_EXCERPT ? `${flat.slice(0, ERROR_EXCERPT)}…` : flat
}

/**
 * Delivers due webhook deliveries in the background, in every instance: claims what is due (a lease keeps other
 * workers off it), POSTs each envelope outside any transaction, and records the outcome: a 2xx answer delivers it;
 * anything else (another status, a redirect, a timeout, no connection) is a failed attempt, retried after an
 * exponential backoff until the attempts run out. Looks again at once while there is work, else every
 * WEBHOOKS_POLL_INTERVAL_MS.
 */
export const WebhookDeliveryWorker: Layer.Layer<never, Config.ConfigError, WebhookRepository> = Layer.effectDiscard(
  Effect.gen(function* () {
    const repository = yield* WebhookRepository
    const config = yield* WebhookWorkerConfig
    const client = yield* HttpClient.HttpClient
    const timeoutMs = Duration.toMillis(config.timeout)
    // A claimed delivery is left alone by other workers for the time one call can take, and a margin.
    const leaseMs = timeoutMs + 10_000
    const inFlight = yield* FiberSet.make()
    const allow = { loopback: yield* AllowHttpLoopback, privateNetworks: yield* AllowPrivateNetworks }

    const post = (claimed: ClaimedDelivery, at: Date): Effect.Effect<Outcome> => {
      const { delivery } = claimed
      const body = JSON.stringify(delivery.payload)
      const request = HttpClientRequest.post(claimed.url).pipe(
        HttpClientRequest.setHeaders({
          [EVENT_ID_HEADER]: delivery.eventId,
          [EVENT_TYPE_HEADER]: delivery.eventType,
          [DELIVERY_ID_HEADER]: delivery.id,
          [SIGNATURE_HEADER]: signatureHeader(Redacted.value(claimed.secret), body, Math.floor(at.getTime() / 1000)),
          "User-Agent": "GoTicket-Webhooks/1"
        }),
        HttpClientRequest.bodyText(body, "application/json")
      )
      const send = client.execute(request).pipe(
        Effect.flatMap((response) =>
          Effect.map(
            Effect.orElseSucceed(response.text, () => ""),
            (text): Outcome => ({ _tag: "Answered", status: response.status, body: text })
          )
        ),
        Effect.timeoutOrElse({
          duration: config.timeout,
          orElse: () => Effect.fail(`no answer within ${timeoutMs} ms`)
        }),
        Effect.catch((error) =>
          Effect.succeed<Outcome>({
            _tag: "NoAnswer",
            // The transport's own reason (a refused name says why) rather than the client's summary of it.
            error:
              typeof error === "string"
                ? error
                : excerpt(error.cause instanceof Error ? error.cause.message : error.message)
          })
        )
      )
      const refusal = refusedAddress(claimed.url, allow)
      return refusal === undefined ? send : Effect.succeed<Outcome>({ _tag: "NoAnswer", error: refusal })
    }

    const deliver = (claimed: ClaimedDelivery) =>
      Effect.gen(function* () {
        const { delivery } = claimed
        const attempt = delivery.attempts + 1
        const at = new Date(yield* Clock.currentTimeMillis)
        const outcome = yield* post(claimed, at)
        const statusCode = outcome._tag === "Answered" ? outcome.status : null
        yield* Effect.annotateCurrentSpan({ "webhook.attempt": attempt, "http.status_code": statusCode ?? 0 })
        if (outcome._tag === "Answered" && isAcknowledged(outcome.status)) {
          yield* repository.recordSuccess({
            deliveryId: delivery.id,
            attempts: delivery.attempts,
            at,
            statusCode: outcome.status
          })
          yield* Metric.update(Metric.withAttributes(webhookAttempts, { outcome: "delivered" }), 1)
          return
        }
        const error =
          outcome._tag === "NoAnswer"
            ? outcome.error
            : `the endpoint answered ${outcome.status}${outcome.body === "" ? "" : `: ${excerpt(outcome.body)}`}`
        const delay = retryDelay(config.retry, attempt)
        const nextAttemptAt = Option.match(delay, {
          onNone: () => null,
          onSome: (ms) => new Date(at.getTime() + ms)
        })
        yield* repository.recordFailure({
          deliveryId: delivery.id,
          attempts: delivery.attempts,
          at,
          statusCode,
          error,
          nextAttemptAt
        })
        yield* Metric.update(
          Metric.withAttributes(webhookAttempts, { outcome: nextAttemptAt === null ? "failed" : "retry" }),
          1
        )
        const facts = {
          deliveryId: delivery.id,
          endpointId: delivery.endpointId,
          eventId: delivery.eventId,
          attempt,
          error,
          nextAttemptAt: nextAttemptAt?.toISOString() ?? null
        }
        yield* nextAttemptAt === null
          ? Effect.logWarning("webhook delivery failed for good").pipe(Effect.annotateLogs(facts))
          : Effect.logDebug("webhook delivery attempt failed; will retry").pipe(Effect.annotateLogs(facts))
      }).pipe(
        Effect.withSpan("WebhookDeliveryWorker.deliver", {
          attributes: {
            "webhook.delivery_id": claimed.delivery.id,
            "webhook.endpoint_id": claimed.delivery.endpointId,
            "event.id": claimed.delivery.eventId,
            "event.type": claimed.delivery.eventType
          }
        }),
        // A failure to record leaves the delivery leased: it is tried again when the lease runs out.
        Effect.catchCause((cause) => Effect.logError("webhook delivery could not be recorded", cause))
      )

    /** Claims as many due deliveries as there are free slots and starts them; answers whether it filled them all. */
    const pass = Effect.gen(function* () {
      const free = config.concurrency - (yield* FiberSet.size(inFlight))
      if (free <= 0) return false
      const nowMs = yield* Clock.currentTimeMillis
      const claimed = yield* repository.claimDue({
        now: new Date(nowMs),
        leaseUntil: new Date(nowMs + leaseMs),
        limit: free
      })
      for (const delivery of claimed) yield* FiberSet.run(inFlight, deliver(delivery))
      return claimed.length === free
    }).pipe(
      Effect.catchCause((cause) =>
        Effect.as(Effect.logError("webhook delivery pass failed; retrying next interval", cause), false)
      )
    )

    yield* pass.pipe(
      Effect.flatMap((busy) => (busy ? Effect.yieldNow : Effect.sleep(config.pollInterval))),
      Effect.forever,
      Effect.forkScoped
    )
  })
).pipe(
  Layer.provide(
    Layer.unwrap(
      Effect.map(Effect.all({ loopback: AllowHttpLoopback, privateNetworks: AllowPrivateNetworks }), (allow) =>
        NodeHttpClient.layerNodeHttpOptions({ lookup: publicOnlyLookup(allow) })
      )
    )
  )
)

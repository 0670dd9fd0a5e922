import { Option, Result } from "effect"
import type { PublicEventType as EventType } from "../events/DomainEvents.ts"
import { InvalidWebhookUrl, UnknownEventType } from "./errors.ts"
import { isIpLiteral, isNonPublicAddress } from "./PrivateAddresses.ts"
import { EVENT_TYPES, MAX_URL_LENGTH } from "./Webhook.ts"

/*
 * The pure rules of organizer webhooks: which URLs we deliver to, which event types exist, and when a failed
 * delivery is tried again.
 */

/** localhost, 127.0.0.0/8 and ::1 (as the URL parser spells hosts: `127.1` is `127.0.0.1`, IPv6 in brackets). */
export const isLoopbackHost = (hostname: string): boolean => {
  const host = hostname.toLowerCase()
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

/**
 * A URL we deliver to, normalised: absolute, HTTPS, without credentials or fragment. Plain http is accepted only
 * for loopback hosts, and only where `allowHttpLoopback` (development and tests, never production).
 */
export const checkWebhookUrl = (
  raw: string,
  options: { readonly allowHttpLoopback: boolean; readonly allowPrivateNetworks?: boolean }
): Result.Result<string, InvalidWebhookUrl> => {
  const refuse = (message: string) => Result.fail(new InvalidWebhookUrl({ message, url: raw }))
  const text = raw.trim()
  if (text.length > MAX_URL_LENGTH) return refuse(`url must be at most ${MAX_URL_LENGTH} characters`)
  if (!URL.canParse(text)) return refuse("url must be an absolute URL such as https://example.com/webhooks")
  const url = new URL(text)
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return refuse(`url must use https (got ${url.protocol.replace(/:$/, "")})`)
  if (url.username !== "" || url.password !== "") return refuse("url must not contain a user name or password")
  if (url.hash !== "") return refuse("url must not contain a fragment (#…)")
  if (url.protocol === "http:") {
    if (!options.allowHttpLoopback) return refuse("url must use https; plain http is not accepted")
    if (!isLoopbackHost(url.hostname))
      return refuse(
        "url must use https; plain http is accepted only for loopback hosts (localhost, 127.0.0.0/8, ::1) outside production"
      )
  }
  // Our servers must not be made to call our own network: an address outside the public internet is refused here,
  // and a name that resolves to one is refused at delivery (see WebhookDeliveryWorker).
  if (
    isIpLiteral(url.hostname) &&
    isNonPublicAddress(url.hostname) &&
    !(options.allowHttpLoopback && isLoopbackHost(url.hostname)) &&
    !options.allowPrivateNetworks
  )
    return refuse("url must point to a public address, not a private, loopback, link-local or reserved one")
  return Result.succeed(url.href)
}

const isEventType = (name: string): name is EventType => (EVENT_TYPES as ReadonlyArray<string>).includes(name)

/** The requested event types, without duplicates, in the order given; any unknown name refuses them all. */
export const checkEventTypes = (
  names: ReadonlyArray<string>
): Result.Result<ReadonlyArray<EventType>, UnknownEventType> => {
  const unknown = names.filter((name) => !isEventType(name))
  if (unknown.length > 0)
    return Result.fail(
      new UnknownEventType({
        message: `unknown event type${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => JSON.stringify(n)).join(", ")}; valid types are ${EVENT_TYPES.join(", ")}`,
        unknown,
        validTypes: EVENT_TYPES
      })
    )
  if (names.length === 0)
    return Result.fail(
      new UnknownEventType({
        message: `subscribe to at least one event type; valid types are ${EVENT_TYPES.join(", ")}`,
        unknown: [],
        validTypes: EVENT_TYPES
      })
    )
  return Result.succeed([...new Set(names as ReadonlyArray<EventType>)])
}

/** How failed deliveries are retried: exponential backoff from `baseDelayMs`, capped, at most `maxAttempts`. */
export interface RetryPolicy {
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  readonly maxAttempts: number
}

/** 1 s, 2 s, 4 s … capped at one hour; 15 attempts in all (about four hours). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 1_000, maxDelayMs: 3_600_000, maxAttempts: 15 }

/**
 * The wait after failed attempt number `attempt` (1 for the first) before the next one; none when that was the
 * last attempt allowed.
 */
export const retryDelay = (policy: RetryPolicy, attempt: number): Option.Option<number> =>
  attempt >= policy.maxAttempts
    ? Option.none()
    : Option.some(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1)))

/** Only a 2xx answer acknowledges a delivery (redirects are not followed). */
export const isAcknowledged = (status: number): boolean => status >= 200 && status < 300

import { createHash } from "node:crypto"
import { Duration } from "effect"
import type { RateDecision, RatePolicy } from "../../domain/security/RateLimiter.ts"

/**
 * How a request is rated:
 * - `auth`: register, login, refresh, logout, the verification endpoints and the mailed link, password reset, and
 *   the caller's password, email and two-factor changes (strict, per address: credential stuffing);
 * - `holds`: holding, releasing and checking out (per customer, and per address as a write);
 * - `writes`: every other state-changing request (per address);
 * - `reads`: GET and HEAD (generous, per address);
 * - `exempt`: probes, metrics, the payment provider's signed webhooks, the docs, CORS preflights.
 */
export type TrafficClass = "auth" | "holds" | "writes" | "reads" | "exempt"

const EXEMPT = /^\/(health\/|metrics$|docs|openapi\.json$|v1\/payments\/webhook$)/
/** The signed-in caller's password, email and two-factor changes: password and code checks, rated as auth. */
const ACCOUNT_SECURITY_PATHS = /^\/v1\/me\/(password|email|two-factor(\/enrolment(\/confirm)?)?)$/
const HOLD_PATHS = /^\/v1\/reservations(\/[^/]+(\/checkout)?)?$/

export const trafficClassOf = (method: string, path: string): TrafficClass => {
  if (method === "OPTIONS" || EXEMPT.test(path)) return "exempt"
  if (path === "/verify-email") return "auth"
  if (method === "GET" || method === "HEAD") return "reads"
  if (path.startsWith("/v1/auth/") || ACCOUNT_SECURITY_PATHS.test(path)) return "auth"
  if (HOLD_PATHS.test(path)) return "holds"
  return "writes"
}

/** A decision under the policy that made it. */
export interface Rated {
  readonly policy: RatePolicy
  readonly decision: RateDecision
}

/** The decision a client is told about: a refusal if any, else the one with the fewest requests left. */
export const tightest = (rated: ReadonlyArray<Rated>): Rated | undefined =>
  rated.reduce<Rated | undefined>((worst, r) => {
    if (worst === undefined) return r
    if (worst.decision.allowed !== r.decision.allowed) return r.decision.allowed ? worst : r
    return r.decision.remaining < worst.decision.remaining ? r : worst
  }, undefined)

const seconds = (d: Duration.Duration) => Math.ceil(Duration.toMillis(d) / 1000)

/** Whole seconds a refused client waits (`Retry-After`, `retryAfterSeconds`): rounded up, at least 1. */
export const retryAfterSeconds = (decision: RateDecision): number => Math.max(1, seconds(decision.retryAfter))

/**
 * The limiter key of an e-mail address as typed (trimmed, lower-cased), hashed: unknown and known addresses are
 * keyed alike and the limiter's store holds no address.
 */
export const emailKey = (email: string): string =>
  createHash("sha256").update(email.trim().toLowerCase()).digest("base64url")

/**
 * `RateLimit-Limit`, `-Remaining`, `-Reset` (seconds until the quota is whole again) and `RateLimit-Policy`
 * (`<limit>;w=<window seconds>`), as in the IETF RateLimit header fields draft; `Retry-After` on a refusal.
 */
export const rateLimitHeaders = ({ decision, policy }: Rated): Record<string, string> => ({
  "ratelimit-limit": String(decision.limit),
  "ratelimit-remaining": String(decision.remaining),
  "ratelimit-reset": String(seconds(decision.resetAfter)),
  "ratelimit-policy": `${policy.limit};w=${seconds(policy.window)}`,
  ...(decision.allowed ? {} : { "retry-after": String(retryAfterSeconds(decision)) })
})

/**
 * The client's address: the socket's peer, or, behind `trustedProxies` proxies that each append the address they
 * saw to X-Forwarded-For, the entry that many places from the right (what the outermost trusted proxy saw).
 */
export const clientAddress = (
  peer: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: number
): string => {
  const socket = (peer ?? "unknown").replace(/^::ffff:/, "")
  if (trustedProxies === 0 || forwardedFor === undefined) return socket
  const hops = forwardedFor
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
  const entry = hops[hops.length - trustedProxies]
  return entry !== undefined && entry.length <= 64 ? entry : socket
}

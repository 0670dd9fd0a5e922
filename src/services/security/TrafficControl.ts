import { Context, Duration, Effect, Layer, Metric } from "effect"
import type { RatePolicy } from "../../domain/security/RateLimiter.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import { GuardedRateLimiter } from "./GuardedRateLimiter.ts"
import { type Rated, type TrafficClass, tightest } from "./TrafficClasses.ts"
import { TrafficConfig } from "./TrafficConfig.ts"

/** One request, as far as rate limiting is concerned. */
export interface TrafficRequest {
  readonly trafficClass: TrafficClass
  /** The client's address. */
  readonly ip: string
  /** The authenticated caller, when the request carries a valid token. */
  readonly userId: string | undefined
}

export const refusals = Metric.counter("goticket_rate_limited_total", {
  description: "Requests refused with 429, by rate class",
  incremental: true
})

const perMinute = (name: string, limit: number): RatePolicy => ({ name, limit, window: Duration.minutes(1) })

/**
 * Rate limits of the public API (README.md, "Traffic control"). Every decision is made in the shared limiter (Redis
 * in production), so the limits hold across instances; reads fail open and the rest fall back to per-instance
 * counting when it is unreachable.
 */
export class TrafficControl extends Context.Service<TrafficControl>()("goticket/TrafficControl", {
  make: Effect.gen(function* () {
    const config = yield* TrafficConfig
    const limiter = yield* GuardedRateLimiter
    const ipPolicy: Record<Exclude<TrafficClass, "exempt">, RatePolicy> = {
      reads: perMinute("ip-reads", config.readsPerIp),
      writes: perMinute("ip-writes", config.writesPerIp),
      holds: perMinute("ip-writes", config.writesPerIp),
      auth: perMinute("ip-auth", config.authPerIp)
    }
    const userHolds = perMinute("user-holds", config.holdsPerUser)
    const userEventHolds = perMinute("user-event-holds", config.holdsPerUserPerEvent)

    const refused = (trafficClass: TrafficClass) => (rated: Rated | undefined) =>
      rated !== undefined && !rated.decision.allowed
        ? Metric.update(Metric.withAttributes(refusals, { class: trafficClass }), 1)
        : Effect.void

    /** Rates one request under its class: undefined when it is not rated (exempt, or limits off). */
    const admit = (request: TrafficRequest): Effect.Effect<Rated | undefined> => {
      if (!config.enabled || request.trafficClass === "exempt") return Effect.succeed(undefined)
      const policy = ipPolicy[request.trafficClass]
      const whenUnavailable = request.trafficClass === "reads" ? "open" : "local"
      const checks: Array<Effect.Effect<Rated>> = [
        Effect.map(limiter.consume(request.ip, policy, whenUnavailable), (decision) => ({ policy, decision }))
      ]
      if (request.trafficClass === "holds" && request.userId !== undefined)
        checks.push(
          Effect.map(limiter.consume(request.userId, userHolds, "local"), (decision) => ({
            policy: userHolds,
            decision
          }))
        )
      // One check (most requests) runs in this fiber; two at once, not one after the other.
      return Effect.all(checks, { concurrency: checks.length > 1 ? "unbounded" : 1 }).pipe(
        Effect.map(tightest),
        Effect.tap(refused(request.trafficClass)),
        hotPathSpan("TrafficControl.admit", { attributes: { "goticket.rate_class": request.trafficClass } })
      )
    }

    /** A customer's holds on one event, rated once the event is known (undefined when limits are off). */
    const admitHold = (userId: string, eventId: string): Effect.Effect<Rated | undefined> =>
      config.enabled
        ? limiter.consume(`${userId}:${eventId}`, userEventHolds, "local").pipe(
            Effect.map((decision): Rated => ({ policy: userEventHolds, decision })),
            Effect.tap(refused("holds"))
          )
        : Effect.succeed(undefined)

    return { admit, admitHold } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(Layer.provide(GuardedRateLimiter.layer))
}

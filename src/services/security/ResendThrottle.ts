import { Context, Duration, Effect, Layer } from "effect"
import type { RatePolicy } from "../../domain/security/RateLimiter.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { bounded } from "../config/bounded.ts"
import { GuardedRateLimiter } from "./GuardedRateLimiter.ts"
import type { Rated } from "./TrafficClasses.ts"
import { TrafficConfig } from "./TrafficConfig.ts"

/** CONFIRMATION_RESENDS_PER_HOUR: how often one order's confirmation may be mailed again (README, "Traffic control"). */
export const ResendThrottleConfig = bounded("CONFIRMATION_RESENDS_PER_HOUR", 3, 1, 1_000, "mails")

/**
 * Confirmation mails sent again, per order (whoever asks: its buyer, the organizer, a key): the buyer's inbox is what
 * is protected. Counted in the shared limiter, so the limit holds across instances. Off with the other limits
 * (RATE_LIMITS=off).
 */
export class ResendThrottle extends Context.Service<ResendThrottle>()("goticket/ResendThrottle", {
  make: Effect.gen(function* () {
    const traffic = yield* TrafficConfig
    const perHour = yield* ResendThrottleConfig
    const limiter = yield* GuardedRateLimiter
    const policy: RatePolicy = { name: "confirmation-resends", limit: perHour, window: Duration.hours(1) }

    /** Takes one resend of the order's quota: refused (not allowed) once it is spent. */
    const admit = (orderId: OrderId): Effect.Effect<Rated | undefined> =>
      traffic.enabled
        ? Effect.map(limiter.consume(`order:${orderId}`, policy, "local"), (decision): Rated => ({ policy, decision }))
        : Effect.succeed(undefined)

    return { admit } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(Layer.provide(GuardedRateLimiter.layer))
}

import { Config, Context, Duration, Effect, Layer } from "effect"
import type { RatePolicy } from "../../domain/security/RateLimiter.ts"
import { bounded } from "../config/bounded.ts"
import { GuardedRateLimiter } from "./GuardedRateLimiter.ts"
import type { Rated } from "./TrafficClasses.ts"
import { TrafficConfig } from "./TrafficConfig.ts"

/** VOUCHER_MAX_FAILURES wrong voucher codes per customer in VOUCHER_FAILURE_WINDOW_MINUTES (README, "Vouchers"). */
export const VoucherThrottleConfig = Config.all({
  failures: bounded("VOUCHER_MAX_FAILURES", 10, 1, 10_000, "wrong codes"),
  windowMinutes: bounded("VOUCHER_FAILURE_WINDOW_MINUTES", 10, 1, 24 * 60, "minutes")
})

/**
 * Wrong voucher codes per customer (guessing codes). Every hold that carries a code is checked first (looking, taking
 * nothing); a code that cannot be used takes one attempt. Once they are spent, holds with a code are refused 429
 * until the window refills; holds without a code never come here. Off with the other limits (RATE_LIMITS=off).
 */
export class VoucherThrottle extends Context.Service<VoucherThrottle>()("goticket/VoucherThrottle", {
  make: Effect.gen(function* () {
    const traffic = yield* TrafficConfig
    const config = yield* VoucherThrottleConfig
    const limiter = yield* GuardedRateLimiter
    const policy: RatePolicy = {
      name: "voucher-failures",
      limit: config.failures,
      window: Duration.minutes(config.windowMinutes)
    }

    const windowMs = Duration.toMillis(policy.window)
    const intervalMs = windowMs / policy.limit

    const check = (userId: string): Effect.Effect<Rated | undefined> =>
      traffic.enabled
        ? limiter.consume(userId, policy, "local", 0).pipe(
            Effect.map((decision): Rated => {
              if (decision.remaining >= 1) return { policy, decision }
              // Less than one attempt left: the next one is due when its fraction has refilled (as LoginThrottle).
              const debtMs = Duration.toMillis(decision.resetAfter) - (windowMs - intervalMs)
              return {
                policy,
                decision: { ...decision, allowed: false, retryAfter: Duration.millis(Math.max(1_000, debtMs)) }
              }
            })
          )
        : Effect.succeed(undefined)

    const failed = (userId: string) =>
      traffic.enabled ? Effect.asVoid(limiter.consume(userId, policy, "local")) : Effect.void

    return { check, failed } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(Layer.provide(GuardedRateLimiter.layer))
}

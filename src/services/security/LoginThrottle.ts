import { Context, Duration, Effect, Layer } from "effect"
import type { RatePolicy } from "../../domain/security/RateLimiter.ts"
import { GuardedRateLimiter } from "./GuardedRateLimiter.ts"
import { emailKey, type Rated } from "./TrafficClasses.ts"
import { TrafficConfig } from "./TrafficConfig.ts"

/**
 * Failed logins per account (credential stuffing and password guessing against one account). The first
 * LOGIN_MAX_FAILURES failures are free; after that the account takes one attempt per LOGIN_LOCKOUT_MINUTES /
 * LOGIN_MAX_FAILURES, and every further failure pushes the next one back by as much, so a guesser is slowed to a
 * crawl while the owner waits minutes, not days. A success clears the count.
 *
 * The key is a hash of the e-mail as typed (lower-cased), so unknown addresses are throttled exactly like known ones
 * (nothing to enumerate) and the limiter's store holds no address.
 */
export class LoginThrottle extends Context.Service<LoginThrottle>()("goticket/LoginThrottle", {
  make: Effect.gen(function* () {
    const config = yield* TrafficConfig
    const limiter = yield* GuardedRateLimiter
    const policy: RatePolicy = {
      name: "login-failures",
      limit: config.loginFailures,
      window: Duration.minutes(config.loginLockoutMinutes)
    }
    const windowMs = Duration.toMillis(policy.window)
    const intervalMs = windowMs / policy.limit

    /**
     * Whether a password may be checked for this e-mail now (looks, takes nothing): the decision, refused while the
     * account is paused.
     */
    const check = (email: string): Effect.Effect<Rated> =>
      limiter.consume(emailKey(email), policy, "local", 0).pipe(
        Effect.map((decision) => {
          if (decision.remaining >= 1) return { policy, decision }
          // The bucket holds less than one attempt: the next one is due when its fraction has refilled.
          const debtMs = Duration.toMillis(decision.resetAfter) - (windowMs - intervalMs)
          return {
            policy,
            decision: { ...decision, allowed: false, retryAfter: Duration.millis(Math.max(1_000, debtMs)) }
          }
        })
      )

    const failed = (email: string) => Effect.asVoid(limiter.consume(emailKey(email), policy, "local"))
    const succeeded = (email: string) => limiter.reset(emailKey(email), policy)

    return { check, failed, succeeded } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(Layer.provide(GuardedRateLimiter.layer))
}

import { Context, Duration, Effect, Layer } from "effect"
import type { RatePolicy } from "../../domain/security/RateLimiter.ts"
import { bounded } from "../config/bounded.ts"
import { GuardedRateLimiter } from "./GuardedRateLimiter.ts"
import { emailKey } from "./TrafficClasses.ts"

/**
 * Mails anyone can make us send to an address (verification links, "someone tried to register" notices): at most
 * ACCOUNT_MAILS_PER_HOUR per address, so that register and resend cannot be used to flood someone's inbox from many
 * addresses at once. Past it the request is answered as usual (202) and the mail is not sent.
 */
export class MailThrottle extends Context.Service<MailThrottle>()("goticket/MailThrottle", {
  make: Effect.gen(function* () {
    const limiter = yield* GuardedRateLimiter
    const perHour = yield* bounded("ACCOUNT_MAILS_PER_HOUR", 3, 1, 1_000, "mails per hour")
    const policy: RatePolicy = { name: "account-mails", limit: perHour, window: Duration.hours(1) }

    /** Whether one more mail may go to this address now (and counts it if so). */
    const allow = (email: string): Effect.Effect<boolean> =>
      Effect.map(limiter.consume(emailKey(email), policy, "local"), (decision) => decision.allowed)

    return { allow } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make).pipe(Layer.provide(GuardedRateLimiter.layer))
}

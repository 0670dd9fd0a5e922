import { Effect, Option } from "effect"
import { type Rated, retryAfterSeconds } from "../../services/security/TrafficClasses.ts"
import { RateLimited } from "../api/errors.ts"
import { RequestContext } from "../RequestContext.ts"

/**
 * Applies a decision made inside a handler: reported in the RateLimit headers when it is tighter than the one the
 * pipeline made, and a 429 (with Retry-After) when it refuses.
 */
export const enforceRate = (rated: Rated | undefined): Effect.Effect<void, RateLimited> =>
  rated === undefined ? Effect.void : enforceDecision(rated)

const enforceDecision = (rated: Rated): Effect.Effect<void, RateLimited> =>
  Effect.gen(function* () {
    const facts = yield* Effect.serviceOption(RequestContext)
    if (Option.isSome(facts)) {
      const current = facts.value.rated
      if (current === undefined || !rated.decision.allowed || rated.decision.remaining < current.decision.remaining)
        facts.value.rated = rated
    }
    if (rated.decision.allowed) return
    const seconds = retryAfterSeconds(rated.decision)
    return yield* new RateLimited({ message: `too many requests; retry in ${seconds} s`, retryAfterSeconds: seconds })
  })

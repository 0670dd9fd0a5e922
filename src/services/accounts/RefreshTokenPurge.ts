import { Clock, Duration, Effect, Layer, Schedule } from "effect"
import { RefreshTokens } from "../../domain/accounts/RefreshTokens.ts"
import { SecurityTokens } from "../../domain/accounts/SecurityTokens.ts"

/** Tokens that expired or were revoked are kept this long (for investigations), then deleted. */
const KEEP = Duration.days(7)

/**
 * Background work: once an hour, forgets refresh tokens, and one-time account tokens (reset and email change links,
 * login challenges), that have not worked for KEEP.
 */
export const RefreshTokenPurgeLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const tokens = yield* RefreshTokens
    const oneTime = yield* SecurityTokens
    const purgeOnce = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const purged = yield* tokens.purge(new Date(now - Duration.toMillis(KEEP)))
      if (purged > 0) yield* Effect.logInfo("refresh tokens purged").pipe(Effect.annotateLogs({ purged }))
      const links = yield* oneTime.purge(new Date(now - Duration.toMillis(KEEP)))
      if (links > 0)
        yield* Effect.logInfo("one-time account tokens purged").pipe(Effect.annotateLogs({ purged: links }))
    }).pipe(
      Effect.catchCause((cause) => Effect.logWarning("refresh token purge failed; next try in an hour", cause)),
      Effect.withSpan("RefreshTokenPurge.run")
    )
    yield* Effect.forkScoped(Effect.repeat(purgeOnce, Schedule.spaced(Duration.hours(1))))
  })
)

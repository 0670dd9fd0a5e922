import { Cache, Context, Duration, Effect, Exit, Layer, Option } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Unauthenticated } from "../../domain/accounts/errors.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"

/**
 * Whether the account behind a valid token still exists: an access token outlives neither an erasure nor a deleted
 * account by more than 30 s (tokens are stateless, so the account is looked up, once per 30 s per account, not per
 * request; concurrent requests of one account share the lookup). Only answers are kept: a lookup that failed (the
 * database restarting) is made again by the next request, so the API is back as soon as its database is.
 */
export class ActiveAccounts extends Context.Service<ActiveAccounts>()("goticket/ActiveAccounts", {
  make: Effect.gen(function* () {
    const users = yield* UserRepository
    const known = yield* Cache.makeWith(
      (userId: Actor["userId"]) =>
        Effect.map(users.findById(userId), (user) => Option.isSome(user) && !isErasedEmail(user.value.email)),
      {
        capacity: 100_000,
        timeToLive: (exit) => (Exit.isSuccess(exit) ? Duration.seconds(30) : Duration.zero)
      }
    )

    /** The actor, if its account is still there; else 401 "this account no longer exists". */
    const ensure = (actor: Actor): Effect.Effect<Actor, Unauthenticated> =>
      Effect.flatMap(Cache.get(known, actor.userId), (active) =>
        active ? Effect.succeed(actor) : Effect.fail(new Unauthenticated({ message: "this account no longer exists" }))
      )

    /** Forgets what is known of one account (this instance's erasure takes effect at once). */
    const forget = (userId: Actor["userId"]) => Cache.invalidate(known, userId)

    return { ensure, forget } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

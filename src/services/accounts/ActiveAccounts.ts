import { Clock, Effect, Option } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Unauthenticated } from "../../domain/accounts/errors.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"

/** How long an account's standing is remembered: an erased account's tokens stop working within this. */
const REMEMBER_MS = 30_000
const MAX_REMEMBERED = 100_000

/**
 * Whether the account behind a valid token still exists: an access token outlives neither an erasure nor a deleted
 * account by more than 30 s (tokens are stateless, so the account is looked up, once per 30 s per account, not per
 * request).
 */
export class ActiveAccounts extends Effect.Service<ActiveAccounts>()("goticket/ActiveAccounts", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const known = new Map<string, { readonly active: boolean; readonly until: number }>()

    const isActive = (userId: string) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const hit = known.get(userId)
        if (hit !== undefined && hit.until > now) return hit.active
        const user = yield* users.findById(userId as Actor["userId"])
        const active = Option.isSome(user) && !isErasedEmail(user.value.email)
        if (known.size >= MAX_REMEMBERED) known.clear()
        known.set(userId, { active, until: now + REMEMBER_MS })
        return active
      })

    /** The actor, if its account is still there; else 401 "this account no longer exists". */
    const ensure = (actor: Actor): Effect.Effect<Actor, Unauthenticated> =>
      Effect.flatMap(isActive(actor.userId), (active) =>
        active ? Effect.succeed(actor) : Effect.fail(new Unauthenticated({ message: "this account no longer exists" }))
      )

    /** Forgets what is known of one account (this instance's erasure takes effect at once). */
    const forget = (userId: string) => Effect.sync(() => known.delete(userId))

    return { ensure, forget } as const
  })
}) {}

import { Context, Data, Effect, Layer, Option, type Redacted } from "effect"
import { InvalidCredentials, Unauthenticated } from "../../domain/accounts/errors.ts"
import { PasswordHasher } from "../../domain/accounts/PasswordHasher.ts"
import type { User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AuditEntry, AuditLog, actedBy } from "../../domain/audit/AuditLog.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { LoginThrottle } from "../security/LoginThrottle.ts"
import type { Rated } from "../security/TrafficClasses.ts"
import { actorOf } from "./Accounts.ts"

/** Too many wrong passwords or codes for this account: answered 429 with Retry-After, as a paused login is. */
export class AttemptsPaused extends Data.TaggedError("AttemptsPaused")<{ readonly rated: Rated }> {}

/** The token is genuine but its account is gone (erased). */
export const accountGone = () => new Unauthenticated({ message: "this account no longer exists" })

/**
 * The checks that guard a signed-in caller's security settings: the current password, proven again (an access
 * token alone, which may have been stolen, changes nothing that matters), under the same count of failures as the
 * login (LoginThrottle), so that a stolen token cannot be used to guess the password either. A wrong password is on
 * the audit trail as `<action>_refused`.
 */
export class PasswordCheck extends Context.Service<PasswordCheck>()("goticket/PasswordCheck", {
  make: Effect.gen(function* () {
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const throttle = yield* LoginThrottle
    const audit = yield* AuditLog

    /** The caller's account and its password hash. */
    const account = Effect.fn("PasswordCheck.account")(function* (userId: UserId) {
      const user = yield* users.findById(userId)
      if (Option.isNone(user)) return yield* accountGone()
      const credential = yield* users.findByEmail(user.value.email)
      if (Option.isNone(credential)) return yield* accountGone()
      return credential.value
    })

    /** Whether the account is paused (too many failures): fails with AttemptsPaused if so. */
    const notPaused = (user: User) =>
      Effect.flatMap(throttle.check(user.email), (allowed) =>
        allowed.decision.allowed ? Effect.void : Effect.fail(new AttemptsPaused({ rated: allowed }))
      )

    /** Counts a wrong password or code against the account, on the trail as `action`. */
    const failed = (user: User, action: string, reason: string) =>
      Effect.andThen(
        throttle.failed(user.email),
        audit.record(
          new AuditEntry({
            ...actedBy(actorOf(user)),
            action,
            outcome: "failed",
            resourceType: "user",
            resourceId: user.id,
            summary: { after: { reason } }
          })
        )
      )

    /** Proves the caller's password again; the account's user once it is right. */
    const verify = Effect.fn("PasswordCheck.verify")(function* (
      userId: UserId,
      password: Redacted.Redacted<string>,
      refusedAction: string
    ) {
      const { user, passwordHash } = yield* account(userId)
      yield* notPaused(user)
      if (!(yield* hasher.verify(password, passwordHash))) {
        yield* failed(user, refusedAction, "wrong_password")
        return yield* new InvalidCredentials({ message: "the password is incorrect" })
      }
      return user
    })

    return { account, notPaused, failed, verify, succeeded: (user: User) => throttle.succeeded(user.email) } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

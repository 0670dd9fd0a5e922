import { Context, Data, Effect, Layer, Option, type Redacted } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { InvalidCredentials, Unauthenticated } from "../../domain/accounts/errors.ts"
import { PasswordHasher } from "../../domain/accounts/PasswordHasher.ts"
import { RefreshTokens } from "../../domain/accounts/RefreshTokens.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AuditEntry, AuditLog, actedBy } from "../../domain/audit/AuditLog.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"
import { PersonalData } from "../../domain/privacy/PersonalData.ts"
import { InventoryCache } from "../../domain/reservations/InventoryCache.ts"
import { now } from "../../domain/shared/Now.ts"
import { ActiveAccounts } from "../accounts/ActiveAccounts.ts"
import { LoginThrottle } from "../security/LoginThrottle.ts"
import type { Rated } from "../security/TrafficClasses.ts"

/** The password check before an erasure is paused (too many wrong passwords for this account). */
export class ErasurePaused extends Data.TaggedError("ErasurePaused")<{ readonly rated: Rated }> {}

/** The token is genuine but its account is gone (erased): as for any token of a deleted account. */
const accountGone = () => new Unauthenticated({ message: "this account no longer exists" })

/** Privacy (GDPR): the caller's data export and the erasure of their account. */
export class Privacy extends Context.Service<Privacy>()("goticket/Privacy", {
  make: Effect.gen(function* () {
    const personalData = yield* PersonalData
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const cache = yield* InventoryCache
    const refreshTokens = yield* RefreshTokens
    const audit = yield* AuditLog
    const throttle = yield* LoginThrottle
    const activeAccounts = yield* ActiveAccounts

    /** Everything held about the caller (no credentials: see PersonalDataExport). */
    const exportData = Effect.fn("Privacy.export")(function* (actor: Actor) {
      const data = yield* personalData
        .exportFor(actor.userId, yield* now)
        .pipe(Effect.catchTag("UserNotFound", () => Effect.fail(accountGone())))
      yield* audit.record(
        new AuditEntry({
          ...actedBy(actor),
          action: "account.exported",
          outcome: "success",
          resourceType: "user",
          resourceId: actor.userId
        })
      )
      return data
    })

    /**
     * Erases the caller's account once their current password is proven again: an access token alone (it may have
     * been stolen) is not enough. Holds it released are forgotten by the cache, as any released hold is.
     */
    const erase = Effect.fn("Privacy.erase")(function* (actor: Actor, password: Redacted.Redacted<string>) {
      const user = yield* users.findById(actor.userId)
      if (Option.isNone(user) || isErasedEmail(user.value.email)) return yield* accountGone()
      // The same count of failures as login, so that a stolen token cannot be used to guess the password here.
      const allowed = yield* throttle.check(user.value.email)
      if (!allowed.decision.allowed) return yield* new ErasurePaused({ rated: allowed })
      const credential = yield* users.findByEmail(user.value.email)
      const valid = Option.isSome(credential) && (yield* hasher.verify(password, credential.value.passwordHash))
      if (!valid) {
        yield* throttle.failed(user.value.email)
        yield* audit.record(
          new AuditEntry({
            ...actedBy(actor),
            action: "account.erasure_refused",
            outcome: "failed",
            resourceType: "user",
            resourceId: actor.userId,
            summary: { after: { reason: "wrong_password" } }
          })
        )
        return yield* new InvalidCredentials({ message: "the password is incorrect" })
      }
      yield* throttle.succeeded(user.value.email)

      const at = yield* now
      // The erasure and its record commit together; the record holds ids and counts only.
      const erasure = yield* audit
        .audited(
          personalData.erase(actor.userId, at),
          (done) =>
            new AuditEntry({
              ...actedBy(actor),
              action: "account.erased",
              outcome: "success",
              resourceType: "user",
              resourceId: actor.userId,
              summary: { after: { releasedHolds: done.releasedHolds.length } }
            })
        )
        .pipe(Effect.catchTag("UserNotFound", () => Effect.fail(accountGone())))
      yield* Effect.forEach(
        erasure.releasedHolds,
        (hold) => Effect.andThen(cache.clearSoldOut(hold.ticketTypeIds), cache.invalidate(hold.eventId)),
        { discard: true }
      )
      // No session outlives the account: its refresh tokens go now, its access tokens within their short lifetime
      // (and every handler that reads the account answers 401 "this account no longer exists" meanwhile).
      yield* refreshTokens.revokeAllOfUser(actor.userId, at)
      yield* activeAccounts.forget(actor.userId)
    })

    return { export: exportData, erase } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

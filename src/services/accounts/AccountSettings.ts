import { Context, Effect, Layer, Option, Redacted } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { PasswordHasher } from "../../domain/accounts/PasswordHasher.ts"
import { RefreshTokens } from "../../domain/accounts/RefreshTokens.ts"
import { expiryOf } from "../../domain/accounts/SecurityTokenRules.ts"
import { SecurityTokens } from "../../domain/accounts/SecurityTokens.ts"
import { EmailChangeRefused, SecurityTokenRejected } from "../../domain/accounts/securityErrors.ts"
import type { Email } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AuditEntry, AuditLog, actedBy, byAnonymous } from "../../domain/audit/AuditLog.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"
import { now } from "../../domain/shared/Now.ts"
import { makeAccountMailSender } from "./AccountMailSender.ts"
import { AccountSecurityConfig } from "./AccountSecurityConfig.ts"
import {
  emailChangeConfirmationMail,
  emailChangeLink,
  emailChangeNoticeMail,
  emailChangeTakenMail,
  passwordChangedMail
} from "./AccountSecurityMails.ts"
import { Accounts, actorOf } from "./Accounts.ts"
import { accountGone, PasswordCheck } from "./PasswordCheck.ts"
import { PublicBaseUrl } from "./PublicBaseUrl.ts"

/**
 * A signed-in caller's password and email address. Both need the current password (an access token alone, which may
 * have been stolen, changes neither), checked under the login's count of failures. A new password ends every other
 * session; a new address takes effect only once the link mailed to it is followed, and the current address is told.
 */
export class AccountSettings extends Context.Service<AccountSettings>()("goticket/AccountSettings", {
  make: Effect.gen(function* () {
    const users = yield* UserRepository
    const tokens = yield* SecurityTokens
    const refreshTokens = yield* RefreshTokens
    const hasher = yield* PasswordHasher
    const audit = yield* AuditLog
    const accounts = yield* Accounts
    const passwords = yield* PasswordCheck
    const publicBaseUrl = yield* PublicBaseUrl
    const { emailChangeTtlHours } = yield* AccountSecurityConfig
    const mails = yield* makeAccountMailSender

    /**
     * Replaces the password once the current one is proven. Every refresh token of the account is revoked (every
     * session ends) and the caller gets a new login in the answer, so that only this client stays signed in.
     */
    const changePassword = Effect.fn("AccountSettings.changePassword")(function* (
      actor: Actor,
      currentPassword: Redacted.Redacted<string>,
      newPassword: Redacted.Redacted<string>
    ) {
      const user = yield* passwords.verify(actor.userId, currentPassword, "account.password_change_refused")
      const passwordHash = yield* hasher.hash(newPassword)
      const at = yield* now
      yield* audit.audited(
        Effect.gen(function* () {
          yield* users.setPasswordHash(user.id, passwordHash)
          // A reset link mailed earlier must not undo this.
          yield* tokens.revokeAllOfUser(user.id, "password_reset", at)
          return yield* refreshTokens.revokeAllOfUser(user.id, at)
        }),
        (revoked) =>
          new AuditEntry({
            ...actedBy(actor),
            action: "account.password_changed",
            outcome: "success",
            resourceType: "user",
            resourceId: user.id,
            summary: { after: { revokedRefreshTokens: revoked } }
          })
      )
      yield* passwords.succeeded(user)
      yield* mails.now("password-changed", passwordChangedMail(user.email))
      return yield* accounts.sessionFor(user)
    })

    /**
     * Asks to move the account to `newEmail`, once the current password is proven. The new address gets a link
     * (EMAIL_CHANGE_TTL_HOURS, single use; an earlier change asked for is withdrawn) or, when it already has an
     * account, a notice without one; the current address is told either way. The answer is the same in both cases.
     */
    const requestEmailChange = Effect.fn("AccountSettings.requestEmailChange")(function* (
      actor: Actor,
      newEmail: Email,
      password: Redacted.Redacted<string>
    ) {
      const user = yield* passwords.verify(actor.userId, password, "account.email_change_refused")
      yield* passwords.succeeded(user)
      if (newEmail === user.email) return yield* new EmailChangeRefused({})
      const at = yield* now
      const taken = Option.isSome(yield* users.findByEmail(newEmail)) || isErasedEmail(newEmail)
      yield* tokens.revokeAllOfUser(user.id, "email_change", at)
      if (taken) yield* mails.throttled("email-change-taken", emailChangeTakenMail(newEmail))
      else {
        const issued = yield* tokens.issue(
          "email_change",
          user.id,
          { now: at, expiresAt: expiryOf(at, emailChangeTtlHours * 3600) },
          newEmail
        )
        const link = emailChangeLink(yield* publicBaseUrl.get, Redacted.value(issued.token))
        yield* mails.throttled("email-change", emailChangeConfirmationMail(newEmail, link, emailChangeTtlHours))
      }
      yield* mails.throttled("email-change-notice", emailChangeNoticeMail(user.email, newEmail))
      yield* audit.record(
        new AuditEntry({
          ...actedBy(actor),
          action: "account.email_change_requested",
          outcome: taken ? "denied" : "success",
          resourceType: "user",
          resourceId: user.id,
          summary: { after: taken ? { reason: "address_taken" } : {} }
        })
      )
    })

    /**
     * Moves the account to the address the token was mailed to (which the account then has as verified). Refused
     * when the token is not usable, or (409) when another account took the address meanwhile; the token then still
     * works once the address is free again.
     */
    const confirmEmailChange = Effect.fn("AccountSettings.confirmEmailChange")(function* (
      token: Redacted.Redacted<string>
    ) {
      const at = yield* now
      const claims = yield* tokens.inspect("email_change", token, at).pipe(
        Effect.tapError((e) =>
          audit.record(
            new AuditEntry({
              ...byAnonymous,
              action: "account.email_change_refused",
              outcome: "failed",
              resourceType: "user",
              resourceId: null,
              summary: { after: { reason: e.reason } }
            })
          )
        )
      )
      const found = yield* users.findById(claims.userId)
      if (Option.isNone(found) || isErasedEmail(found.value.email) || claims.newEmail === null)
        return yield* SecurityTokenRejected.because("email_change", "invalid")
      const user = found.value
      const newEmail = claims.newEmail
      yield* audit.audited(
        Effect.gen(function* () {
          yield* tokens.consume("email_change", token, at)
          if (!(yield* users.changeEmail(user.id, newEmail, at))) return yield* accountGone()
        }),
        () =>
          new AuditEntry({
            ...actedBy(actorOf(user)),
            action: "account.email_changed",
            outcome: "success",
            resourceType: "user",
            resourceId: user.id
          })
      )
      return yield* accounts.profile(actorOf(user))
    })

    return { changePassword, requestEmailChange, confirmEmailChange } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

import { Context, Effect, Layer, Option, Redacted } from "effect"
import { PasswordHasher } from "../../domain/accounts/PasswordHasher.ts"
import { RefreshTokens } from "../../domain/accounts/RefreshTokens.ts"
import { expiryOf } from "../../domain/accounts/SecurityTokenRules.ts"
import { SecurityTokens } from "../../domain/accounts/SecurityTokens.ts"
import { SecurityTokenRejected } from "../../domain/accounts/securityErrors.ts"
import type { Email } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AuditEntry, AuditLog, actedBy, byAnonymous } from "../../domain/audit/AuditLog.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"
import { now } from "../../domain/shared/Now.ts"
import { maskEmail } from "../../domain/shared/Redaction.ts"
import { LoginThrottle } from "../security/LoginThrottle.ts"
import { makeAccountMailSender } from "./AccountMailSender.ts"
import { AccountSecurityConfig } from "./AccountSecurityConfig.ts"
import { passwordChangedMail, passwordResetLink, passwordResetMail } from "./AccountSecurityMails.ts"
import { actorOf } from "./Accounts.ts"
import { PublicBaseUrl } from "./PublicBaseUrl.ts"

/**
 * Password reset by mail. Asking for one answers the same, at once, whatever the address: the look-up, the token and
 * the mail happen after the answer, so neither its content nor its timing tells whether the address has an account.
 * The mailed link carries a single-use token (stored as its SHA-256) that works PASSWORD_RESET_TTL_MINUTES; using it
 * sets the new password, ends every session of the account (all refresh tokens revoked) and withdraws the account's
 * other reset links.
 */
export class PasswordRecovery extends Context.Service<PasswordRecovery>()("goticket/PasswordRecovery", {
  make: Effect.gen(function* () {
    const users = yield* UserRepository
    const tokens = yield* SecurityTokens
    const refreshTokens = yield* RefreshTokens
    const hasher = yield* PasswordHasher
    const audit = yield* AuditLog
    const throttle = yield* LoginThrottle
    const publicBaseUrl = yield* PublicBaseUrl
    const { passwordResetTtlMinutes } = yield* AccountSecurityConfig
    const mails = yield* makeAccountMailSender

    /** The work behind a request, after its answer. */
    const mailResetLink = Effect.fn("PasswordRecovery.mailResetLink")(function* (email: Email) {
      const found = yield* users.findByEmail(email)
      if (Option.isNone(found) || isErasedEmail(email)) {
        yield* audit.record(
          new AuditEntry({
            ...byAnonymous,
            action: "auth.password_reset_requested",
            outcome: "failed",
            resourceType: "user",
            resourceId: null,
            summary: { after: { login: maskEmail(email), reason: "unknown_address" } }
          })
        )
        return
      }
      const user = found.value.user
      const at = yield* now
      // Only the newest link works: one found in an old mail is withdrawn.
      yield* tokens.revokeAllOfUser(user.id, "password_reset", at)
      const issued = yield* tokens.issue("password_reset", user.id, {
        now: at,
        expiresAt: expiryOf(at, passwordResetTtlMinutes * 60)
      })
      const link = passwordResetLink(yield* publicBaseUrl.get, Redacted.value(issued.token))
      const sent = yield* mails.throttled(
        "password-reset",
        passwordResetMail(user.email, link, passwordResetTtlMinutes)
      )
      yield* audit.record(
        new AuditEntry({
          ...actedBy(actorOf(user)),
          action: "auth.password_reset_requested",
          outcome: sent ? "success" : "denied",
          resourceType: "user",
          resourceId: user.id,
          summary: { after: { mailed: sent } }
        })
      )
    })

    /** Asks for a reset link for this address: answers at once, the same whatever the address. */
    const requestReset = Effect.fn("PasswordRecovery.requestReset")(function* (email: Email) {
      yield* mailResetLink(email).pipe(
        Effect.catchCause((cause) => Effect.logWarning("password reset request failed", cause)),
        Effect.forkDetach(),
        Effect.asVoid
      )
    })

    /**
     * Sets a new password with a mailed token. The token is used, the password replaced, every refresh token of the
     * account revoked and its other reset links withdrawn in one transaction with the audit record; the address is
     * verified by then (the reset proved its owner reads it).
     */
    const resetPassword = Effect.fn("PasswordRecovery.resetPassword")(function* (
      token: Redacted.Redacted<string>,
      newPassword: Redacted.Redacted<string>
    ) {
      const refused = (reason: string) =>
        audit.record(
          new AuditEntry({
            ...byAnonymous,
            action: "account.password_reset_refused",
            outcome: "failed",
            resourceType: "user",
            resourceId: null,
            summary: { after: { reason } }
          })
        )
      const claims = yield* tokens
        .inspect("password_reset", token, yield* now)
        .pipe(Effect.tapError((e) => refused(e.reason)))
      const user = yield* users.findById(claims.userId)
      if (Option.isNone(user) || isErasedEmail(user.value.email)) {
        yield* refused("invalid")
        return yield* SecurityTokenRejected.because("password_reset", "invalid")
      }
      // Hashed before the transaction: it is the slow part.
      const passwordHash = yield* hasher.hash(newPassword)
      const at = yield* now
      yield* audit.audited(
        Effect.gen(function* () {
          yield* tokens.consume("password_reset", token, at)
          yield* users.setPasswordHash(user.value.id, passwordHash)
          yield* users.markEmailVerified(user.value.id, at)
          yield* tokens.revokeAllOfUser(user.value.id, "password_reset", at)
          return yield* refreshTokens.revokeAllOfUser(user.value.id, at)
        }),
        (sessions) =>
          new AuditEntry({
            ...actedBy(actorOf(user.value)),
            action: "account.password_reset",
            outcome: "success",
            resourceType: "user",
            resourceId: user.value.id,
            summary: { after: { revokedRefreshTokens: sessions } }
          })
      )
      // Whoever was guessing the old password is behind the owner now: the owner logs in at once.
      yield* throttle.succeeded(user.value.email)
      yield* mails.now("password-changed", passwordChangedMail(user.value.email))
    })

    return { requestReset, resetPassword } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

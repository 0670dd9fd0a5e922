import { createHash, randomBytes } from "node:crypto"
import { Context, Effect, Layer, Option, Redacted, Result } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { SecurityTokens } from "../../domain/accounts/SecurityTokens.ts"
import {
  InvalidTwoFactorCode,
  SecurityTokenRejected,
  TwoFactorConflict,
  TwoFactorNotAvailable
} from "../../domain/accounts/securityErrors.ts"
import type { TwoFactorSettings } from "../../domain/accounts/TwoFactorRepository.ts"
import { TwoFactorRepository } from "../../domain/accounts/TwoFactorRepository.ts"
import {
  acceptTotpStep,
  classifyCode,
  mayUseTwoFactor,
  RECOVERY_CODE_COUNT,
  recoveryCodeFrom,
  timeStepOf
} from "../../domain/accounts/TwoFactorRules.ts"
import type { User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AuditEntry, AuditLog, actedBy } from "../../domain/audit/AuditLog.ts"
import { now } from "../../domain/shared/Now.ts"
import { Accounts, actorOf } from "./Accounts.ts"
import { PasswordCheck } from "./PasswordCheck.ts"
import { newTotpSecret, otpauthUri, qrCodeDataUrl, totpDelta } from "./Totp.ts"

/** What an enrolment hands the caller: the secret three ways (typed, as a URI, as a QR code to scan). */
export interface Enrolment {
  readonly secret: string
  readonly otpauthUri: string
  readonly qrCodeDataUrl: string
}

export interface TwoFactorStatus {
  readonly available: boolean
  readonly enabled: boolean
  readonly pending: boolean
  readonly enabledAt: Date | null
  readonly recoveryCodesLeft: number
}

/** A recovery code as stored: the SHA-256 (hex) of its compact form. */
const recoveryCodeHash = (compact: string) => createHash("sha256").update(compact, "utf8").digest("hex")

const enabledOf = (settings: Option.Option<TwoFactorSettings>) =>
  Option.filter(settings, (s) => Option.isSome(s.enabledAt))

/**
 * TOTP two-factor authentication for organizer and admin accounts: enrol (a secret, its otpauth URI and QR code),
 * confirm with a first code (which turns it on and hands out RECOVERY_CODE_COUNT single-use recovery codes, shown
 * once, stored hashed), the second step of the login, and turning it off (password and a code). Each code works
 * once; wrong codes count as failed logins of the account (LoginThrottle).
 */
export class TwoFactorAuth extends Context.Service<TwoFactorAuth>()("goticket/TwoFactorAuth", {
  make: Effect.gen(function* () {
    const repository = yield* TwoFactorRepository
    const tokens = yield* SecurityTokens
    const users = yield* UserRepository
    const accounts = yield* Accounts
    const passwords = yield* PasswordCheck
    const audit = yield* AuditLog

    const record = (user: User, action: string, summary: Record<string, string | number | boolean> = {}) =>
      audit.record(
        new AuditEntry({
          ...actedBy(actorOf(user)),
          action,
          outcome: "success",
          resourceType: "user",
          resourceId: user.id,
          summary: { after: summary }
        })
      )

    /**
     * Checks a typed code (an app's code or a recovery code) for an enabled account and uses it; the method that
     * worked. A wrong or reused code counts as a failed login.
     */
    const useCode = Effect.fn("TwoFactorAuth.useCode")(function* (
      user: User,
      settings: TwoFactorSettings,
      typed: string,
      refusedAction: string
    ) {
      yield* passwords.notPaused(user)
      const at = yield* now
      const code = classifyCode(typed)
      let used: "totp" | "recovery" | undefined
      let reason = "malformed_code"
      if (code._tag === "Totp") {
        const accepted = acceptTotpStep(
          totpDelta(settings.secret, code.code, at),
          timeStepOf(at),
          Option.getOrNull(settings.lastUsedStep)
        )
        if (Result.isFailure(accepted)) reason = accepted.failure
        else if (yield* repository.useStep(user.id, accepted.success)) used = "totp"
        else reason = "code_reused"
      } else if (code._tag === "Recovery") {
        if (yield* repository.useRecoveryCode(user.id, recoveryCodeHash(code.code), at)) used = "recovery"
        else reason = "wrong_recovery_code"
      }
      if (used === undefined) {
        yield* passwords.failed(user, refusedAction, reason)
        return yield* new InvalidTwoFactorCode({})
      }
      yield* passwords.succeeded(user)
      return used
    })

    const status = Effect.fn("TwoFactorAuth.status")(function* (actor: Actor) {
      const { user } = yield* passwords.account(actor.userId)
      const settings = yield* repository.find(user.id)
      const enabledAt = Option.flatMap(settings, (s) => s.enabledAt)
      return {
        available: mayUseTwoFactor(user),
        enabled: Option.isSome(enabledAt),
        pending: Option.isSome(settings) && Option.isNone(enabledAt),
        enabledAt: Option.getOrNull(enabledAt),
        recoveryCodesLeft: Option.isSome(enabledAt) ? Option.getOrThrow(settings).recoveryCodesLeft : 0
      } satisfies TwoFactorStatus
    })

    /** Starts (or starts again) an enrolment: a new secret, not in force until a code from it confirms it. */
    const beginEnrolment = Effect.fn("TwoFactorAuth.beginEnrolment")(function* (
      actor: Actor,
      password: Redacted.Redacted<string>
    ) {
      const { user } = yield* passwords.account(actor.userId)
      if (!mayUseTwoFactor(user)) return yield* new TwoFactorNotAvailable({})
      yield* passwords.verify(user.id, password, "account.two_factor_enrolment_refused")
      yield* passwords.succeeded(user)
      const secret = newTotpSecret()
      if (!(yield* repository.begin(user.id, secret, yield* now)))
        return yield* TwoFactorConflict.because("already_enabled")
      yield* record(user, "account.two_factor_enrolment_started")
      const uri = otpauthUri(secret, user.email)
      return { secret: Redacted.value(secret), otpauthUri: uri, qrCodeDataUrl: qrCodeDataUrl(uri) }
    })

    /** Turns two-factor on with a first code from the app; the recovery codes, shown this once. */
    const confirmEnrolment = Effect.fn("TwoFactorAuth.confirmEnrolment")(function* (actor: Actor, typed: string) {
      const { user } = yield* passwords.account(actor.userId)
      const settings = yield* repository.find(user.id)
      if (Option.isNone(settings) || Option.isSome(settings.value.enabledAt))
        return yield* TwoFactorConflict.because(
          Option.isSome(enabledOf(settings)) ? "already_enabled" : "not_enrolling"
        )
      yield* passwords.notPaused(user)
      const at = yield* now
      const code = classifyCode(typed)
      const accepted =
        code._tag === "Totp"
          ? acceptTotpStep(totpDelta(settings.value.secret, code.code, at), timeStepOf(at), null)
          : Result.fail("malformed_code")
      if (Result.isFailure(accepted)) {
        yield* passwords.failed(user, "account.two_factor_enrolment_refused", accepted.failure)
        return yield* new InvalidTwoFactorCode({})
      }
      const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, () => recoveryCodeFrom(randomBytes(10)))
      const hashes = recoveryCodes.map((shown) => {
        const compact = classifyCode(shown)
        return recoveryCodeHash(compact._tag === "Recovery" ? compact.code : shown)
      })
      const enabled = yield* audit.audited(repository.enable(user.id, accepted.success, hashes, at), (done) =>
        done
          ? new AuditEntry({
              ...actedBy(actor),
              action: "account.two_factor_enabled",
              outcome: "success",
              resourceType: "user",
              resourceId: user.id,
              summary: { after: { recoveryCount: RECOVERY_CODE_COUNT } }
            })
          : null
      )
      if (!enabled) return yield* TwoFactorConflict.because("not_enrolling")
      yield* passwords.succeeded(user)
      return { recoveryCodes }
    })

    /** Turns two-factor off: the password and a code (the app's or a recovery code) both proven. */
    const disable = Effect.fn("TwoFactorAuth.disable")(function* (
      actor: Actor,
      password: Redacted.Redacted<string>,
      typed: string
    ) {
      const { user } = yield* passwords.account(actor.userId)
      const settings = enabledOf(yield* repository.find(user.id))
      if (Option.isNone(settings)) return yield* TwoFactorConflict.because("not_enabled")
      yield* passwords.verify(user.id, password, "account.two_factor_disable_refused")
      const method = yield* useCode(user, settings.value, typed, "account.two_factor_disable_refused")
      yield* audit.audited(
        repository.remove(user.id),
        () =>
          new AuditEntry({
            ...actedBy(actor),
            action: "account.two_factor_disabled",
            outcome: "success",
            resourceType: "user",
            resourceId: user.id,
            summary: { after: { method } }
          })
      )
    })

    /**
     * The second step of a login: the challenge token the password earned and a code. The code is checked first (a
     * typo does not cost the challenge), then the challenge is used (once) and the account signed in.
     */
    const completeLogin = Effect.fn("TwoFactorAuth.completeLogin")(function* (
      challenge: Redacted.Redacted<string>,
      typed: string
    ) {
      const claims = yield* tokens.inspect("login_challenge", challenge, yield* now)
      const found = yield* users.findById(claims.userId)
      const settings = enabledOf(yield* repository.find(claims.userId))
      if (Option.isNone(found) || Option.isNone(settings))
        return yield* SecurityTokenRejected.because("login_challenge", "invalid")
      const user = found.value
      const method = yield* useCode(user, settings.value, typed, "auth.two_factor_failed")
      yield* tokens.consume("login_challenge", challenge, yield* now)
      const issued = yield* accounts.sessionFor(user)
      yield* record(user, "auth.login_succeeded", { twoFactor: method })
      return issued
    })

    return { status, beginEnrolment, confirmEnrolment, disable, completeLogin } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

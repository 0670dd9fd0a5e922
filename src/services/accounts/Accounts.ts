import { Clock, Context, Effect, Layer, Option, Redacted, Result } from "effect"
import { AccessTokens, type IssuedToken } from "../../domain/accounts/AccessTokens.ts"
import { Actor } from "../../domain/accounts/Actor.ts"
import {
  EmailNotVerified,
  InvalidCredentials,
  InvalidVerificationToken,
  RefreshTokenRejected,
  Unauthenticated
} from "../../domain/accounts/errors.ts"
import { PasswordHasher } from "../../domain/accounts/PasswordHasher.ts"
import { type IssuedRefreshToken, RefreshTokens } from "../../domain/accounts/RefreshTokens.ts"
import { expiryOf } from "../../domain/accounts/SecurityTokenRules.ts"
import { SecurityTokens } from "../../domain/accounts/SecurityTokens.ts"
import { TwoFactorRepository } from "../../domain/accounts/TwoFactorRepository.ts"
import { type AccountType, type Email, User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AuditEntry, AuditLog, actedBy, byAnonymous, bySystem } from "../../domain/audit/AuditLog.ts"
import type { Mail } from "../../domain/notifications/Mailer.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { maskEmail } from "../../domain/shared/Redaction.ts"
import { AppConfig } from "../config/AppConfig.ts"
import { makeAccountMailSender } from "./AccountMailSender.ts"
import { alreadyRegisteredMail } from "./AccountMails.ts"
import { AccountSecurityConfig } from "./AccountSecurityConfig.ts"
import { AccountsConfig } from "./AccountsConfig.ts"
import { loadEmailVerificationTokens } from "./EmailVerificationTokens.ts"
import { makeVerificationMails } from "./VerificationMails.ts"

export interface Registration {
  readonly email: Email
  readonly password: Redacted.Redacted<string>
  readonly name: string
  readonly accountType: AccountType
}

/** What a login or a refresh hands out: a short-lived access token and the refresh token that renews it. */
export interface IssuedTokens extends IssuedToken {
  readonly refreshToken: Redacted.Redacted<string>
  /** Seconds until the refresh token expires. */
  readonly refreshExpiresIn: number
}

/**
 * What registration did. `Created` only with EMAIL_VERIFICATION=off; with `required` it is always `VerificationSent`,
 * whether the address was new (account created, link mailed), had an unverified account (taken over, link mailed)
 * or a verified one (its owner told, nothing changed), so that the answer cannot tell which.
 */
export type RegistrationOutcome =
  | { readonly _tag: "Created"; readonly user: User }
  | { readonly _tag: "VerificationSent" }

/**
 * What a right password gets: the tokens, or (two-factor authentication on) a challenge token for the second step,
 * valid TWO_FACTOR_CHALLENGE_TTL_SECONDS.
 */
export type LoginOutcome =
  | { readonly _tag: "SignedIn"; readonly tokens: IssuedTokens }
  | {
      readonly _tag: "TwoFactorRequired"
      readonly challengeToken: Redacted.Redacted<string>
      readonly expiresIn: number
    }

const verificationSent: RegistrationOutcome = { _tag: "VerificationSent" }

export const actorOf = (user: User): Actor =>
  new Actor({ userId: user.id, accountType: user.accountType, isAdmin: user.isAdmin }, { disableChecks: true })

/**
 * Accounts: registration with email verification, login, refresh and logout, and the caller's profile. A login starts
 * a refresh-token family; each refresh consumes the token and hands out its successor (see RefreshTokens for reuse
 * detection). With EMAIL_VERIFICATION=required (see AccountsConfig) an account logs in only once its address is
 * confirmed, and registration never tells whether an address already has an account.
 */
export class Accounts extends Context.Service<Accounts>()("goticket/Accounts", {
  make: Effect.gen(function* () {
    const users = yield* UserRepository
    const audit = yield* AuditLog
    const hasher = yield* PasswordHasher
    const tokens = yield* AccessTokens
    const refreshTokens = yield* RefreshTokens
    const { refreshTokenTtlSeconds } = yield* AppConfig
    const { emailVerification } = yield* AccountsConfig
    const { twoFactorChallengeTtlSeconds } = yield* AccountSecurityConfig
    const twoFactorSettings = yield* TwoFactorRepository
    const securityTokens = yield* SecurityTokens
    const verificationTokens = yield* loadEmailVerificationTokens
    if (emailVerification === "off")
      yield* Effect.logInfo(
        "EMAIL_VERIFICATION=off: accounts log in without confirming their address, and registration tells whether an address has an account (development and load tests only)"
      )
    // Verified against when the email is unknown, so that both failures take the same time.
    const decoyHash = yield* hasher.hash(Redacted.make("decoy-password-for-unknown-accounts"))

    const refreshTimes = Effect.map(Clock.currentTimeMillis, (now) => ({
      now: new Date(now),
      expiresAt: new Date(now + refreshTokenTtlSeconds * 1000)
    }))

    const withAccessToken = (user: User, refreshToken: IssuedRefreshToken) =>
      Effect.map(
        tokens.issue(actorOf(user)),
        (access): IssuedTokens => ({
          ...access,
          refreshToken: refreshToken.token,
          refreshExpiresIn: refreshTokenTtlSeconds
        })
      )

    /** Creates the account with this password hash; fails when the email is taken. */
    const createAccount = (input: Registration, passwordHash: string, emailVerifiedAt: Option.Option<Date>) =>
      Effect.gen(function* () {
        const user = new User({
          id: crypto.randomUUID() as UserId,
          email: input.email,
          name: input.name,
          accountType: input.accountType,
          isAdmin: false,
          createdAt: yield* now,
          emailVerifiedAt
        })
        yield* users.insert(user, passwordHash)
        return user
      })

    const mails = yield* makeAccountMailSender
    const sendInBackground = (kind: string, mail: Mail) => Effect.asVoid(mails.throttled(kind, mail))

    const verification = yield* makeVerificationMails
    /** A resend asked for on the log-in page (a registration's own mail goes out from its event instead). */
    const sendVerification = (user: User) =>
      Effect.flatMap(verification.mailFor(user), (mail) => sendInBackground("verification", mail))

    /**
     * Registers an account. With EMAIL_VERIFICATION=off: the account, or EmailAlreadyRegistered. With `required`:
     * always `VerificationSent`, after one password hash whatever the address (so the time tells nothing either): a
     * new address gets an unverified account and a confirmation link; an unverified one is taken over and gets a
     * link; a verified one, a notice to its owner and nothing else. The link's mail is not sent from here: the account
     * (new or taken over) commits with its AccountRegistered event, which the registration-mails consumer mails
     * (RegistrationMails), so a process stopping after this answer loses no mail.
     */
    const register = Effect.fn("Accounts.register")(function* (input: Registration) {
      const passwordHash = yield* hasher.hash(input.password)
      if (emailVerification === "off")
        return {
          _tag: "Created",
          user: yield* createAccount(input, passwordHash, Option.none())
        } as RegistrationOutcome
      const created = yield* Effect.result(createAccount(input, passwordHash, Option.none()))
      if (Result.isSuccess(created)) return verificationSent
      // Taken, but never verified: the address is this registrant's if they can read its mail (a squatter who
      // registered someone else's address first loses the account; the link goes to the address's owner).
      const taken = yield* users.takeOverUnverified(input.email, passwordHash, {
        name: input.name,
        accountType: input.accountType
      })
      if (Option.isNone(taken)) yield* sendInBackground("already-registered", alreadyRegisteredMail(input.email))
      return verificationSent
    })

    /** Mails a new confirmation link when an unverified account has this address; else nothing. Says neither. */
    const resendVerification = Effect.fn("Accounts.resendVerification")(function* (email: Email) {
      const found = yield* users.findByEmail(email)
      if (Option.isSome(found) && Option.isNone(found.value.user.emailVerifiedAt))
        yield* sendVerification(found.value.user)
    })

    /**
     * Confirms the address a verification token was mailed to and logs the account in. Again with a valid token of an
     * account already verified: the same (idempotent). Refused: a malformed or altered token, one for an address the
     * account no longer has, or an expired one.
     */
    const verifyEmail = Effect.fn("Accounts.verifyEmail")(function* (token: Redacted.Redacted<string>) {
      const at = yield* now
      const subject = verificationTokens.subject(Redacted.value(token))
      if (Option.isNone(subject)) return yield* InvalidVerificationToken.because("invalid")
      const found = yield* users.findById(subject.value)
      if (Option.isNone(found)) return yield* InvalidVerificationToken.because("invalid")
      const user = found.value
      const checked = verificationTokens.verify(Redacted.value(token), user.email, at)
      if (Result.isFailure(checked)) return yield* InvalidVerificationToken.because(checked.failure)
      if (Option.isNone(user.emailVerifiedAt)) yield* users.markEmailVerified(user.id, at)
      return yield* withAccessToken(user, yield* refreshTokens.issue(user.id, yield* refreshTimes))
    })

    /** An account the operator vouches for (the configured admin, the demo organizer): verified from the start. */
    const createVerifiedAccount = Effect.fn("Accounts.createVerifiedAccount")(function* (input: Registration) {
      return yield* createAccount(input, yield* hasher.hash(input.password), Option.some(yield* now))
    })

    const login = Effect.fn("Accounts.login")(function* (email: Email, password: Redacted.Redacted<string>) {
      const found = yield* users.findByEmail(email)
      const valid = yield* hasher.verify(
        password,
        Option.match(found, { onNone: () => decoyHash, onSome: (f) => f.passwordHash })
      )
      if (Option.isNone(found) || !valid) {
        yield* audit.record(
          new AuditEntry({
            ...Option.match(found, { onNone: () => byAnonymous, onSome: (f) => actedBy(actorOf(f.user)) }),
            action: "auth.login_failed",
            outcome: "failed",
            resourceType: "user",
            resourceId: Option.match(found, { onNone: () => null, onSome: (f) => f.user.id }),
            summary: { after: { login: maskEmail(email), reason: "invalid_credentials" } }
          })
        )
        return yield* new InvalidCredentials({})
      }
      const user = found.value.user
      // Only someone who knows the password learns that this account exists.
      if (emailVerification === "required" && Option.isNone(user.emailVerifiedAt))
        return yield* new EmailNotVerified({})
      // Two-factor authentication on: the password is right, and the code comes next (TwoFactorAuth.completeLogin).
      const twoFactor = yield* twoFactorSettings.find(user.id)
      if (Option.isSome(twoFactor) && Option.isSome(twoFactor.value.enabledAt)) {
        const at = yield* now
        const challenge = yield* securityTokens.issue("login_challenge", user.id, {
          now: at,
          expiresAt: expiryOf(at, twoFactorChallengeTtlSeconds)
        })
        yield* audit.record(
          new AuditEntry({
            ...actedBy(actorOf(user)),
            action: "auth.login_challenged",
            outcome: "success",
            resourceType: "user",
            resourceId: user.id
          })
        )
        return {
          _tag: "TwoFactorRequired",
          challengeToken: challenge.token,
          expiresIn: twoFactorChallengeTtlSeconds
        } as LoginOutcome
      }
      const issued = yield* sessionFor(user)
      yield* audit.record(
        new AuditEntry({
          ...actedBy(actorOf(user)),
          action: "auth.login_succeeded",
          outcome: "success",
          resourceType: "user",
          resourceId: user.id
        })
      )
      return { _tag: "SignedIn", tokens: issued } as LoginOutcome
    })

    /** A new login of the account (a refresh-token family and its first access token), for a caller proven so. */
    const sessionFor = (user: User) =>
      Effect.flatMap(refreshTimes, (times) =>
        Effect.flatMap(refreshTokens.issue(user.id, times), (refresh) => withAccessToken(user, refresh))
      )

    /** Exchanges a refresh token for a new access token and the next refresh token, as of the account today. */
    const refresh = Effect.fn("Accounts.refresh")(
      function* (refreshToken: Redacted.Redacted<string>) {
        const times = yield* refreshTimes
        const next = yield* refreshTokens.rotate(refreshToken, times)
        const user = yield* users.findById(next.userId)
        if (Option.isNone(user)) {
          yield* refreshTokens.revokeFamily(next.token, times.now)
          return yield* RefreshTokenRejected.because("revoked", "this account no longer exists")
        }
        return yield* withAccessToken(user.value, next)
      },
      Effect.tapErrorTag("RefreshTokenRejected", (e) =>
        e.reason === "reused"
          ? Effect.logWarning("a used refresh token was presented again: its family is revoked")
          : Effect.void
      )
    )

    /** Revokes the refresh token's family (this login, on every device it was refreshed on). Idempotent. */
    const logout = Effect.fn("Accounts.logout")(function* (refreshToken: Redacted.Redacted<string>) {
      yield* refreshTokens.revokeFamily(refreshToken, new Date(yield* Clock.currentTimeMillis))
    })

    const profile = Effect.fn("Accounts.profile")(function* (actor: Actor) {
      const user = yield* users.findById(actor.userId)
      return yield* Option.match(user, {
        onNone: () => Effect.fail(new Unauthenticated({ message: "this account no longer exists" })),
        onSome: Effect.succeed
      })
    })

    /**
     * Makes sure the configured admin account exists (created verified) and is flagged admin (idempotent, run at
     * start-up). An existing account keeps its password and its verification state.
     */
    const ensureAdmin = Effect.fn("Accounts.ensureAdmin")(function* (
      email: Email,
      password: Redacted.Redacted<string>
    ) {
      const existing = Option.map(yield* users.findByEmail(email), (found) => found.user)
      const before = Option.isSome(existing)
        ? existing
        : yield* createVerifiedAccount({ email, password, name: "Administrator", accountType: "organizer" }).pipe(
            Effect.map((user) => Option.some(user)),
            // Created meanwhile by another instance starting up.
            Effect.catchTag("EmailAlreadyRegistered", () =>
              Effect.map(
                users.findByEmail(email),
                Option.map((found) => found.user)
              )
            )
          )
      if (Option.isSome(before) && before.value.isAdmin) return
      // A role change: recorded with the grant (by the operator's configuration, so by the system).
      yield* audit.audited(users.grantAdmin(email), (granted) =>
        granted && Option.isSome(before)
          ? new AuditEntry({
              ...bySystem,
              action: "account.admin_granted",
              outcome: "success",
              resourceType: "user",
              resourceId: before.value.id,
              summary: { before: { isAdmin: false }, after: { isAdmin: true } }
            })
          : null
      )
    })

    return {
      register,
      resendVerification,
      verifyEmail,
      createVerifiedAccount,
      login,
      sessionFor,
      refresh,
      logout,
      profile,
      ensureAdmin
    } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

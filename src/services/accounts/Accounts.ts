import { Clock, Effect, Option, Redacted } from "effect"
import { AccessTokens, type IssuedToken } from "../../domain/accounts/AccessTokens.ts"
import { Actor } from "../../domain/accounts/Actor.ts"
import { InvalidCredentials, RefreshTokenRejected, Unauthenticated } from "../../domain/accounts/errors.ts"
import { PasswordHasher } from "../../domain/accounts/PasswordHasher.ts"
import { type IssuedRefreshToken, RefreshTokens } from "../../domain/accounts/RefreshTokens.ts"
import { type AccountType, type Email, User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { AppConfig } from "../config/AppConfig.ts"

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

export const actorOf = (user: User): Actor =>
  new Actor({ userId: user.id, accountType: user.accountType, isAdmin: user.isAdmin }, true)

/**
 * Accounts: registration, login, refresh and logout, and the caller's profile. A login starts a refresh-token
 * family; each refresh consumes the token and hands out its successor (see RefreshTokens for reuse detection).
 */
export class Accounts extends Effect.Service<Accounts>()("goticket/Accounts", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const tokens = yield* AccessTokens
    const refreshTokens = yield* RefreshTokens
    const { refreshTokenTtlSeconds } = yield* AppConfig
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

    const register = Effect.fn("Accounts.register")(function* (input: Registration) {
      const now = new Date(yield* Clock.currentTimeMillis)
      const user = new User({
        id: crypto.randomUUID() as UserId,
        email: input.email,
        name: input.name,
        accountType: input.accountType,
        isAdmin: false,
        createdAt: now
      })
      yield* users.insert(user, yield* hasher.hash(input.password))
      return user
    })

    const login = Effect.fn("Accounts.login")(function* (email: Email, password: Redacted.Redacted<string>) {
      const found = yield* users.findByEmail(email)
      const valid = yield* hasher.verify(
        password,
        Option.match(found, { onNone: () => decoyHash, onSome: (f) => f.passwordHash })
      )
      if (Option.isNone(found) || !valid) return yield* new InvalidCredentials({})
      const user = found.value.user
      return yield* withAccessToken(user, yield* refreshTokens.issue(user.id, yield* refreshTimes))
    })

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

    /** Makes sure the configured admin account exists and is flagged admin (idempotent, run at start-up). */
    const ensureAdmin = Effect.fn("Accounts.ensureAdmin")(function* (
      email: Email,
      password: Redacted.Redacted<string>
    ) {
      if (Option.isNone(yield* users.findByEmail(email)))
        yield* register({ email, password, name: "Administrator", accountType: "organizer" }).pipe(
          Effect.catchTag("EmailAlreadyRegistered", () => Effect.void)
        )
      yield* users.grantAdmin(email)
    })

    return { register, login, refresh, logout, profile, ensureAdmin } as const
  })
}) {}

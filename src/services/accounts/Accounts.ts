import { Clock, Effect, Option, Redacted } from "effect"
import { AccessTokens } from "../../domain/accounts/AccessTokens.ts"
import { Actor } from "../../domain/accounts/Actor.ts"
import { InvalidCredentials, Unauthenticated } from "../../domain/accounts/errors.ts"
import { PasswordHasher } from "../../domain/accounts/PasswordHasher.ts"
import { type AccountType, type Email, User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import type { UserId } from "../../domain/shared/Ids.ts"

export interface Registration {
  readonly email: Email
  readonly password: Redacted.Redacted<string>
  readonly name: string
  readonly accountType: AccountType
}

export const actorOf = (user: User): Actor =>
  new Actor({ userId: user.id, accountType: user.accountType, isAdmin: user.isAdmin }, true)

/** Accounts: registration, login and the caller's profile. */
export class Accounts extends Effect.Service<Accounts>()("goticket/Accounts", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const tokens = yield* AccessTokens
    // Verified against when the email is unknown, so that both failures take the same time.
    const decoyHash = yield* hasher.hash(Redacted.make("decoy-password-for-unknown-accounts"))

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
      return yield* tokens.issue(actorOf(found.value.user))
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

    return { register, login, profile, ensureAdmin } as const
  })
}) {}

import { Effect, Layer, Option, Ref } from "effect"
import { EmailAlreadyRegistered } from "../../domain/accounts/errors.ts"
import { User, type UserWithCredential } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"

/** The in-memory twin of UserRepositoryPg: same contract, a Ref instead of a table. */
export const UserRepositoryMemory = Layer.effect(
  UserRepository,
  Effect.gen(function* () {
    const store = yield* Ref.make(new Map<string, UserWithCredential>())
    return {
      insert: (user, passwordHash) =>
        Ref.modify(store, (users) => {
          for (const u of users.values()) if (u.user.email === user.email) return [false, users] as const
          return [true, new Map(users).set(user.id, { user, passwordHash })] as const
        }).pipe(Effect.flatMap((ok) => (ok ? Effect.void : Effect.fail(new EmailAlreadyRegistered({}))))),
      findById: (id) =>
        Effect.map(Ref.get(store), (users) => Option.map(Option.fromNullishOr(users.get(id)), (u) => u.user)),
      findByEmail: (email) =>
        Effect.map(Ref.get(store), (users) =>
          Option.fromNullishOr([...users.values()].find((u) => u.user.email === email))
        ),
      grantAdmin: (email) =>
        Ref.modify(store, (users) => {
          const found = [...users.values()].find((u) => u.user.email === email)
          if (!found) return [false, users] as const
          const user = new User({ ...found.user, isAdmin: true }, { disableChecks: true })
          return [true, new Map(users).set(user.id, { ...found, user })] as const
        }),
      markEmailVerified: (id, at) =>
        Ref.modify(store, (users) => {
          const found = users.get(id)
          if (!found) return [false, users] as const
          const earliest = Option.match(found.user.emailVerifiedAt, {
            onNone: () => at,
            onSome: (since) => (since.getTime() <= at.getTime() ? since : at)
          })
          const user = new User({ ...found.user, emailVerifiedAt: Option.some(earliest) }, { disableChecks: true })
          return [true, new Map(users).set(id, { ...found, user })] as const
        }),
      takeOverUnverified: (email, passwordHash, details) =>
        Ref.modify(store, (users) => {
          const found = [...users.values()].find((u) => u.user.email === email)
          if (!found || Option.isSome(found.user.emailVerifiedAt) || found.user.isAdmin)
            return [Option.none<User>(), users] as const
          const user = new User(
            { ...found.user, name: details.name, accountType: details.accountType },
            { disableChecks: true }
          )
          return [Option.some(user), new Map(users).set(user.id, { user, passwordHash })] as const
        }),
      setPasswordHash: (id, passwordHash) =>
        Ref.modify(store, (users) => {
          const found = users.get(id)
          if (!found) return [false, users] as const
          return [true, new Map(users).set(id, { ...found, passwordHash })] as const
        }),
      changeEmail: (id, email, verifiedAt) =>
        Ref.modify(store, (users) => {
          const found = users.get(id)
          if (!found) return [false as boolean | "taken", users] as const
          for (const u of users.values())
            if (u.user.email === email && u.user.id !== id) return ["taken", users] as const
          const user = new User(
            { ...found.user, email, emailVerifiedAt: Option.some(verifiedAt) },
            { disableChecks: true }
          )
          return [true, new Map(users).set(id, { ...found, user })] as const
        }).pipe(
          Effect.flatMap((outcome) =>
            outcome === "taken" ? Effect.fail(new EmailAlreadyRegistered({})) : Effect.succeed(outcome)
          )
        )
    }
  })
)

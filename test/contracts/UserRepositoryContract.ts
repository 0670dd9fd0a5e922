import { expect, it } from "@effect/vitest"
import { Effect, Exit, type Layer, Option } from "effect"
import { type Email, User } from "../../src/domain/accounts/User.ts"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import type { UserId } from "../../src/domain/shared/Ids.ts"

let counter = 0
export const aUser = (overrides: Partial<ConstructorParameters<typeof User>[0]> = {}) =>
  new User({
    id: crypto.randomUUID() as UserId,
    email: `user${++counter}-${crypto.randomUUID().slice(0, 8)}@example.com` as Email,
    name: "Ada Lovelace",
    accountType: "customer",
    isAdmin: false,
    createdAt: new Date("2026-01-01T00:00:00.000Z"),
    ...overrides
  })

/** One contract, every adapter: what any UserRepository must do. */
export const userRepositoryContract = (name: string, layer: Layer.Layer<UserRepository>) =>
  it.layer(layer, { timeout: "60 seconds" })(`UserRepository contract: ${name}`, (it) => {
    it.effect("stores an account and finds it by id and by email", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const user = aUser({ accountType: "organizer" })
        yield* repo.insert(user, "hash-1")
        const byId = yield* repo.findById(user.id)
        expect(Option.getOrThrow(byId)).toEqual(user)
        const byEmail = Option.getOrThrow(yield* repo.findByEmail(user.email))
        expect(byEmail.user).toEqual(user)
        expect(byEmail.passwordHash).toBe("hash-1")
      })
    )

    it.effect("refuses a second account with the same email", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const first = aUser()
        yield* repo.insert(first, "h")
        const exit = yield* Effect.exit(repo.insert(aUser({ email: first.email }), "h"))
        expect(exit).toStrictEqual(Exit.fail(expect.anything()))
        expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe(
          "EmailAlreadyRegistered"
        )
      })
    )

    it.effect("answers none for unknown ids and emails", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        expect(Option.isNone(yield* repo.findById(crypto.randomUUID() as UserId))).toBe(true)
        expect(Option.isNone(yield* repo.findByEmail("nobody@example.com" as Email))).toBe(true)
      })
    )

    it.effect("grants admin to an existing account only", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const user = aUser()
        yield* repo.insert(user, "h")
        expect(yield* repo.grantAdmin(user.email)).toBe(true)
        expect(Option.getOrThrow(yield* repo.findById(user.id)).isAdmin).toBe(true)
        expect(yield* repo.grantAdmin("ghost@example.com" as Email)).toBe(false)
      })
    )
  })

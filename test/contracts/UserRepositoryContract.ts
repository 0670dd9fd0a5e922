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
        // One failure (the v4 cause also carries the trace of the span it failed in: not compared).
        const reasons = Exit.isFailure(exit) ? exit.cause.reasons : []
        expect(reasons.map((reason) => reason._tag)).toEqual(["Fail"])
        expect(reasons[0]?._tag === "Fail" && reasons[0].error._tag).toBe("EmailAlreadyRegistered")
      })
    )

    it.effect("answers none for unknown ids and emails", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        expect(Option.isNone(yield* repo.findById(crypto.randomUUID() as UserId))).toBe(true)
        expect(Option.isNone(yield* repo.findByEmail("nobody@example.com" as Email))).toBe(true)
      })
    )

    it.effect("keeps whether and since when the address is verified", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const unverified = aUser()
        const verified = aUser({ emailVerifiedAt: Option.some(new Date("2026-01-02T03:04:05.000Z")) })
        yield* repo.insert(unverified, "h")
        yield* repo.insert(verified, "h")
        expect(Option.getOrThrow(yield* repo.findById(unverified.id)).emailVerifiedAt).toEqual(Option.none())
        expect(Option.getOrThrow(yield* repo.findByEmail(verified.email)).user.emailVerifiedAt).toEqual(
          Option.some(new Date("2026-01-02T03:04:05.000Z"))
        )
      })
    )

    it.effect("marks an address verified once: the first time is kept, unknown accounts answer false", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const user = aUser()
        yield* repo.insert(user, "h")
        const first = new Date("2026-02-01T10:00:00.000Z")
        expect(yield* repo.markEmailVerified(user.id, first)).toBe(true)
        expect(yield* repo.markEmailVerified(user.id, new Date("2026-02-03T10:00:00.000Z"))).toBe(true)
        const stored = Option.getOrThrow(yield* repo.findById(user.id))
        expect(stored.emailVerifiedAt).toEqual(Option.some(first))
        expect(Option.getOrThrow(yield* repo.findByEmail(user.email)).user).toEqual(stored)
        expect(yield* repo.markEmailVerified(crypto.randomUUID() as UserId, first)).toBe(false)
      })
    )

    it.effect("hands an unverified address over to whoever registers it again, and never a verified one", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const squatted = aUser()
        yield* repo.insert(squatted, "squatter-hash")
        const taken = yield* repo.takeOverUnverified(squatted.email, "owner-hash", {
          name: "The Owner",
          accountType: "organizer"
        })
        expect(Option.getOrThrow(taken)).toMatchObject({ id: squatted.id, name: "The Owner", accountType: "organizer" })
        expect(Option.getOrThrow(yield* repo.findByEmail(squatted.email)).passwordHash).toBe("owner-hash")

        const verified = aUser({ emailVerifiedAt: Option.some(new Date("2026-01-02T00:00:00.000Z")) })
        yield* repo.insert(verified, "real-hash")
        const refused = yield* repo.takeOverUnverified(verified.email, "other-hash", {
          name: "Intruder",
          accountType: "customer"
        })
        expect(refused).toEqual(Option.none())
        expect(Option.getOrThrow(yield* repo.findByEmail(verified.email)).passwordHash).toBe("real-hash")
        const none = yield* repo.takeOverUnverified("ghost@example.com" as Email, "h", {
          name: "G",
          accountType: "customer"
        })
        expect(none).toEqual(Option.none())
      })
    )

    it.effect("replaces a password hash, and answers false for an unknown account", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const user = aUser()
        yield* repo.insert(user, "old-hash")
        expect(yield* repo.setPasswordHash(user.id, "new-hash")).toBe(true)
        expect(Option.getOrThrow(yield* repo.findByEmail(user.email)).passwordHash).toBe("new-hash")
        expect(yield* repo.setPasswordHash(crypto.randomUUID() as UserId, "h")).toBe(false)
      })
    )

    it.effect("moves an account to a new address, verified; the old one is free, a taken one is refused", () =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const user = aUser()
        const other = aUser()
        yield* repo.insert(user, "h")
        yield* repo.insert(other, "h")
        const newEmail = `moved-${crypto.randomUUID().slice(0, 8)}@example.com` as Email
        const at = new Date("2026-03-01T00:00:00.000Z")
        expect(yield* repo.changeEmail(user.id, newEmail, at)).toBe(true)
        const moved = Option.getOrThrow(yield* repo.findById(user.id))
        expect(moved).toMatchObject({ email: newEmail, emailVerifiedAt: Option.some(at) })
        expect(Option.isNone(yield* repo.findByEmail(user.email))).toBe(true)
        expect(Option.getOrThrow(yield* repo.findByEmail(newEmail)).user.id).toBe(user.id)

        const exit = yield* Effect.exit(repo.changeEmail(user.id, other.email, at))
        const reasons = Exit.isFailure(exit) ? exit.cause.reasons : []
        expect(reasons[0]?._tag === "Fail" && reasons[0].error._tag).toBe("EmailAlreadyRegistered")
        expect(Option.getOrThrow(yield* repo.findById(user.id)).email).toBe(newEmail)
        expect(yield* repo.changeEmail(crypto.randomUUID() as UserId, `x-${newEmail}` as Email, at)).toBe(false)
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

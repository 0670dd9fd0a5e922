import { expect, it } from "@effect/vitest"
import { Effect, type Layer, Option, Redacted } from "effect"
import { TwoFactorRepository } from "../../src/domain/accounts/TwoFactorRepository.ts"
import type { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { aStoredUser, at } from "./RefreshTokensContract.ts"

const SECRET = Redacted.make("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
const OTHER_SECRET = Redacted.make("KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
const hash = (n: number) => n.toString(16).padStart(64, "0")

/** One contract, every adapter: what any TwoFactorRepository must do. */
export const twoFactorRepositoryContract = (name: string, layer: Layer.Layer<TwoFactorRepository | UserRepository>) =>
  it.layer(layer, { timeout: "60 seconds" })(`TwoFactorRepository contract: ${name}`, (it) => {
    it.effect("keeps a pending enrolment, replaced by a newer one, until it is confirmed", () =>
      Effect.gen(function* () {
        const repo = yield* TwoFactorRepository
        const userId = yield* aStoredUser
        expect(yield* repo.find(userId)).toEqual(Option.none())
        expect(yield* repo.begin(userId, SECRET, at(0))).toBe(true)
        expect(yield* repo.begin(userId, OTHER_SECRET, at(1))).toBe(true)
        const pending = Option.getOrThrow(yield* repo.find(userId))
        expect(Redacted.value(pending.secret)).toBe(Redacted.value(OTHER_SECRET))
        expect(pending).toMatchObject({
          userId,
          createdAt: at(1),
          enabledAt: Option.none(),
          lastUsedStep: Option.none(),
          recoveryCodesLeft: 0
        })
        // Nothing pending codes can be used for.
        expect(yield* repo.useStep(userId, 100)).toBe(false)

        expect(yield* repo.enable(userId, 100, [hash(1), hash(2), hash(3)], at(2))).toBe(true)
        const enabled = Option.getOrThrow(yield* repo.find(userId))
        expect(enabled).toMatchObject({ enabledAt: Option.some(at(2)), lastUsedStep: Option.some(100) })
        expect(enabled.recoveryCodesLeft).toBe(3)
        // Enabled: neither a new enrolment nor a second confirmation changes it.
        expect(yield* repo.begin(userId, SECRET, at(3))).toBe(false)
        expect(yield* repo.enable(userId, 200, [], at(3))).toBe(false)
        expect(Redacted.value(Option.getOrThrow(yield* repo.find(userId)).secret)).toBe(Redacted.value(OTHER_SECRET))
      })
    )

    it.effect("accepts each time step once, only newer than the last one used", () =>
      Effect.gen(function* () {
        const repo = yield* TwoFactorRepository
        const userId = yield* aStoredUser
        yield* repo.begin(userId, SECRET, at(0))
        yield* repo.enable(userId, 100, [], at(0))
        expect(yield* repo.useStep(userId, 100)).toBe(false)
        expect(yield* repo.useStep(userId, 99)).toBe(false)
        expect(yield* repo.useStep(userId, 101)).toBe(true)
        expect(yield* repo.useStep(userId, 101)).toBe(false)
        expect(Option.getOrThrow(yield* repo.find(userId)).lastUsedStep).toEqual(Option.some(101))
        const results = yield* Effect.all(
          Array.from({ length: 8 }, () => repo.useStep(userId, 102)),
          { concurrency: "unbounded" }
        )
        expect(results.filter((ok) => ok)).toHaveLength(1)
      })
    )

    it.effect("uses each recovery code once, and only those of the account", () =>
      Effect.gen(function* () {
        const repo = yield* TwoFactorRepository
        const userId = yield* aStoredUser
        const someoneElse = yield* aStoredUser
        yield* repo.begin(userId, SECRET, at(0))
        yield* repo.enable(userId, 1, [hash(10), hash(11)], at(0))
        yield* repo.begin(someoneElse, SECRET, at(0))
        yield* repo.enable(someoneElse, 1, [hash(12)], at(0))

        expect(yield* repo.useRecoveryCode(userId, hash(12), at(1))).toBe(false)
        expect(yield* repo.useRecoveryCode(userId, hash(99), at(1))).toBe(false)
        const results = yield* Effect.all(
          Array.from({ length: 6 }, () => repo.useRecoveryCode(userId, hash(10), at(1))),
          { concurrency: "unbounded" }
        )
        expect(results.filter((ok) => ok)).toHaveLength(1)
        expect(Option.getOrThrow(yield* repo.find(userId)).recoveryCodesLeft).toBe(1)
        expect(Option.getOrThrow(yield* repo.find(someoneElse)).recoveryCodesLeft).toBe(1)
      })
    )

    it.effect("a new confirmation replaces the recovery codes; removal forgets everything", () =>
      Effect.gen(function* () {
        const repo = yield* TwoFactorRepository
        const userId = yield* aStoredUser
        yield* repo.begin(userId, SECRET, at(0))
        yield* repo.enable(userId, 1, [hash(20)], at(0))
        expect(yield* repo.remove(userId)).toBe(true)
        expect(yield* repo.find(userId)).toEqual(Option.none())
        expect(yield* repo.remove(userId)).toBe(false)
        expect(yield* repo.useRecoveryCode(userId, hash(20), at(1))).toBe(false)

        yield* repo.begin(userId, SECRET, at(2))
        yield* repo.enable(userId, 5, [hash(21), hash(22)], at(2))
        expect(yield* repo.useRecoveryCode(userId, hash(20), at(3))).toBe(false)
        expect(yield* repo.useRecoveryCode(userId, hash(21), at(3))).toBe(true)
        expect(Option.getOrThrow(yield* repo.find(userId)).recoveryCodesLeft).toBe(1)
      })
    )
  })

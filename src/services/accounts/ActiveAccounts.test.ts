import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Option } from "effect"
import { Actor } from "../../domain/accounts/Actor.ts"
import { type Email, User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { ActiveAccounts } from "./ActiveAccounts.ts"

const user = new User({
  id: crypto.randomUUID() as UserId,
  email: "ada@example.com" as Email,
  name: "Ada",
  accountType: "customer",
  isAdmin: false,
  createdAt: new Date(0)
})
const actor = new Actor({ userId: user.id, accountType: "customer", isAdmin: false })

/** A user store whose first lookup fails (the database was unreachable for a moment); lookups are counted. */
const flakyUsers = (lookups: { n: number }) =>
  Layer.succeed(
    UserRepository,
    UserRepository.of({
      findById: () =>
        Effect.suspend(() => {
          lookups.n++
          return lookups.n === 1 ? Effect.die(new Error("connection refused")) : Effect.succeed(Option.some(user))
        })
    } as unknown as typeof UserRepository.Service)
  )

describe("ActiveAccounts", () => {
  it.effect("a lookup that failed is not remembered: the next request asks again, an answer is remembered", () =>
    Effect.gen(function* () {
      const lookups = { n: 0 }
      yield* Effect.gen(function* () {
        const accounts = yield* ActiveAccounts
        expect(Exit.isFailure(yield* Effect.exit(accounts.ensure(actor)))).toBe(true)
        expect(yield* accounts.ensure(actor)).toBe(actor)
        expect(yield* accounts.ensure(actor)).toBe(actor)
      }).pipe(Effect.provide(ActiveAccounts.layer.pipe(Layer.provide(flakyUsers(lookups)))))
      expect(lookups.n).toBe(2)
    })
  )
})

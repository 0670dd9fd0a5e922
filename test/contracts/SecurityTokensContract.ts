import { expect, it } from "@effect/vitest"
import { Effect, type Layer, Redacted, Result } from "effect"
import { type SecurityTokenPurpose, SecurityTokens } from "../../src/domain/accounts/SecurityTokens.ts"
import type { SecurityTokenRejection } from "../../src/domain/accounts/securityErrors.ts"
import type { Email } from "../../src/domain/accounts/User.ts"
import type { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { aStoredUser, at, times } from "./RefreshTokensContract.ts"

/** What using (or inspecting) a token gives: its user, or the reason it was refused. */
const outcomeOf = <A extends { readonly userId: string }, R>(
  effect: Effect.Effect<A, { readonly reason: SecurityTokenRejection }, R>
) =>
  effect.pipe(
    Effect.map((claims) => claims.userId as string),
    Effect.catch((e) => Effect.succeed<SecurityTokenRejection>(e.reason))
  )

const use = (purpose: SecurityTokenPurpose, token: Redacted.Redacted<string>, hours: number) =>
  outcomeOf(Effect.flatMap(SecurityTokens, (tokens) => tokens.consume(purpose, token, at(hours))))

/** One contract, every adapter: what any SecurityTokens must do. */
export const securityTokensContract = (name: string, layer: Layer.Layer<SecurityTokens | UserRepository>) =>
  it.layer(layer, { timeout: "60 seconds" })(`SecurityTokens contract: ${name}`, (it) => {
    it.effect("issues opaque, recognisable tokens that carry their claims", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const userId = yield* aStoredUser
        const newEmail = "new-home@example.com" as Email
        const reset = yield* tokens.issue("password_reset", userId, times())
        const change = yield* tokens.issue("email_change", userId, times(), newEmail)
        expect(Redacted.value(reset.token)).toMatch(/^gts_[A-Za-z0-9_-]{43}$/)
        expect(Redacted.value(reset.token)).not.toBe(Redacted.value(change.token))
        expect(String(reset.token)).not.toContain("gts_")
        expect(yield* tokens.inspect("email_change", change.token, at(1))).toEqual({
          purpose: "email_change",
          userId,
          newEmail,
          expiresAt: at(24)
        })
        expect(yield* tokens.consume("password_reset", reset.token, at(1))).toMatchObject({ userId, newEmail: null })
      })
    )

    it.effect("a token works once; inspecting it uses nothing", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue("password_reset", userId, times())
        expect(yield* outcomeOf(tokens.inspect("password_reset", issued.token, at(1)))).toBe(userId)
        expect(yield* outcomeOf(tokens.inspect("password_reset", issued.token, at(1)))).toBe(userId)
        expect(yield* use("password_reset", issued.token, 1)).toBe(userId)
        expect(yield* use("password_reset", issued.token, 2)).toBe("used")
        expect(yield* outcomeOf(tokens.inspect("password_reset", issued.token, at(2)))).toBe("used")
        // Still "used" once it would have expired: the message says what happened.
        expect(yield* use("password_reset", issued.token, 30)).toBe("used")
      })
    )

    it.effect("refuses unknown, malformed, expired tokens and tokens of another purpose", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const userId = yield* aStoredUser
        expect(yield* use("password_reset", Redacted.make(`gts_${"A".repeat(43)}`), 0)).toBe("invalid")
        expect(yield* use("password_reset", Redacted.make("gtr_not-ours"), 0)).toBe("invalid")
        expect(yield* use("password_reset", Redacted.make(""), 0)).toBe("invalid")
        const challenge = yield* tokens.issue("login_challenge", userId, { now: at(0), expiresAt: at(0.1) })
        expect(yield* use("password_reset", challenge.token, 0)).toBe("invalid")
        expect(yield* use("login_challenge", challenge.token, 0.1)).toBe("expired")
        // An expired token is not used by the refusal.
        expect(yield* use("login_challenge", challenge.token, 0.2)).toBe("expired")
        const fresh = yield* tokens.issue("login_challenge", userId, { now: at(0), expiresAt: at(0.1) })
        expect(yield* use("login_challenge", fresh.token, 0.09)).toBe(userId)
      })
    )

    it.effect("revokes a user's live tokens of one purpose only", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const userId = yield* aStoredUser
        const someoneElse = yield* aStoredUser
        const first = yield* tokens.issue("password_reset", userId, times())
        const second = yield* tokens.issue("password_reset", userId, times())
        const used = yield* tokens.issue("password_reset", userId, times())
        yield* tokens.consume("password_reset", used.token, at(1))
        const change = yield* tokens.issue("email_change", userId, times(), "x@example.com" as Email)
        const theirs = yield* tokens.issue("password_reset", someoneElse, times())

        expect(yield* tokens.revokeAllOfUser(userId, "password_reset", at(2))).toBe(2)
        expect(yield* use("password_reset", first.token, 3)).toBe("invalid")
        expect(yield* use("password_reset", second.token, 3)).toBe("invalid")
        expect(yield* use("password_reset", used.token, 3)).toBe("used")
        expect(yield* use("email_change", change.token, 3)).toBe(userId)
        expect(yield* use("password_reset", theirs.token, 3)).toBe(someoneElse)
      })
    )

    it.effect("forgets every token of one account, live, used or revoked, and nobody else's", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const userId = yield* aStoredUser
        const someoneElse = yield* aStoredUser
        const live = yield* tokens.issue("password_reset", userId, times())
        const used = yield* tokens.issue("password_reset", userId, times())
        yield* tokens.consume("password_reset", used.token, at(1))
        const change = yield* tokens.issue("email_change", userId, times(), "gone@example.com" as Email)
        const challenge = yield* tokens.issue("login_challenge", userId, times())
        const theirs = yield* tokens.issue("password_reset", someoneElse, times())

        expect(yield* tokens.forgetUser(userId)).toBe(4)
        expect(yield* use("password_reset", live.token, 2)).toBe("invalid")
        expect(yield* use("password_reset", used.token, 2)).toBe("invalid")
        expect(yield* use("email_change", change.token, 2)).toBe("invalid")
        expect(yield* use("login_challenge", challenge.token, 2)).toBe("invalid")
        expect(yield* use("password_reset", theirs.token, 2)).toBe(someoneElse)
        expect(yield* tokens.forgetUser(userId)).toBe(0)
      })
    )

    it.effect("purges what can never work again, and nothing that still works", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const userId = yield* aStoredUser
        const expiring = yield* tokens.issue("password_reset", userId, { now: at(0), expiresAt: at(1) })
        const used = yield* tokens.issue("password_reset", userId, times())
        yield* tokens.consume("password_reset", used.token, at(1))
        const live = yield* tokens.issue("password_reset", userId, times())

        expect(yield* tokens.purge(at(3))).toBeGreaterThanOrEqual(2)
        expect(yield* use("password_reset", expiring.token, 3)).toBe("invalid")
        expect(yield* use("password_reset", used.token, 3)).toBe("invalid")
        expect(yield* use("password_reset", live.token, 3)).toBe(userId)
      })
    )

    it.effect("of ten concurrent uses of one token exactly one succeeds; the others are told it was used", () =>
      Effect.gen(function* () {
        const tokens = yield* SecurityTokens
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue("password_reset", userId, times())
        const results = yield* Effect.all(
          Array.from({ length: 10 }, () => Effect.result(tokens.consume("password_reset", issued.token, at(1)))),
          { concurrency: "unbounded" }
        )
        expect(results.filter(Result.isSuccess)).toHaveLength(1)
        expect(results.filter(Result.isFailure).map((r) => r.failure.reason)).toEqual(Array(9).fill("used"))
      })
    )
  })

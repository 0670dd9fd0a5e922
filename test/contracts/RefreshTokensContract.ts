import { expect, it } from "@effect/vitest"
import { Effect, type Layer, Redacted, Result } from "effect"
import type { RefreshTokenRejection } from "../../src/domain/accounts/errors.ts"
import { type IssuedRefreshToken, RefreshTokens } from "../../src/domain/accounts/RefreshTokens.ts"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { aUser } from "./UserRepositoryContract.ts"

/* Times are the caller's: both adapters run on the same fixed instants. */
export const T0 = new Date("2027-03-01T12:00:00.000Z")
const HOUR = 3_600_000
export const at = (hours: number) => new Date(T0.getTime() + hours * HOUR)
/** Issued (or rotated) at `hours`, good for a day. */
export const times = (hours = 0) => ({ now: at(hours), expiresAt: at(hours + 24) })

export const aStoredUser = Effect.gen(function* () {
  const user = aUser()
  yield* (yield* UserRepository).insert(user, "hash")
  return user.id
})

/** The reason a rotation was refused, or "rotated". */
export const rotationOutcome = (token: Redacted.Redacted<string>, hours: number) =>
  Effect.flatMap(RefreshTokens, (tokens) => tokens.rotate(token, times(hours))).pipe(
    Effect.as<RefreshTokenRejection | "rotated">("rotated"),
    Effect.catchTag("RefreshTokenRejected", (e) => Effect.succeed(e.reason))
  )

/** One contract, every adapter: what any RefreshTokens must do. */
export const refreshTokensContract = (name: string, layer: Layer.Layer<RefreshTokens | UserRepository>) =>
  it.layer(layer, { timeout: "60 seconds" })(`RefreshTokens contract: ${name}`, (it) => {
    it.effect("issues opaque, recognisable tokens, a new family per login", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const userId = yield* aStoredUser
        const first = yield* tokens.issue(userId, times())
        const second = yield* tokens.issue(userId, times())
        expect(Redacted.value(first.token)).toMatch(/^gtr_[A-Za-z0-9_-]{43}$/)
        expect(Redacted.value(first.token)).not.toBe(Redacted.value(second.token))
        expect(first.familyId).not.toBe(second.familyId)
        expect(first).toMatchObject({ userId, expiresAt: at(24) })
        // Redacted: the token never shows in logs or error reports.
        expect(String(first.token)).not.toContain("gtr_")
      })
    )

    it.effect("rotates a token into a successor of the same user and family, which rotates in turn", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue(userId, times())
        const next = yield* tokens.rotate(issued.token, times(1))
        expect(next).toMatchObject({ userId, familyId: issued.familyId, expiresAt: at(25) })
        expect(Redacted.value(next.token)).not.toBe(Redacted.value(issued.token))
        const third = yield* tokens.rotate(next.token, times(2))
        expect(third.familyId).toBe(issued.familyId)
      })
    )

    it.effect("takes a used token presented again for a stolen one: the whole family is revoked", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue(userId, times())
        const next = yield* tokens.rotate(issued.token, times(1))
        const elsewhere = yield* tokens.issue(userId, times())

        expect(yield* rotationOutcome(issued.token, 2)).toBe("reused")
        // The newest token of that family is dead too; the user's other login is not touched.
        expect(yield* rotationOutcome(next.token, 2)).toBe("revoked")
        expect(yield* rotationOutcome(issued.token, 3)).toBe("revoked")
        expect(yield* rotationOutcome(elsewhere.token, 2)).toBe("rotated")
      })
    )

    it.effect("refuses unknown, malformed and expired tokens", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const userId = yield* aStoredUser
        expect(yield* rotationOutcome(Redacted.make(`gtr_${"A".repeat(43)}`), 0)).toBe("unknown")
        expect(yield* rotationOutcome(Redacted.make("not-a-token"), 0)).toBe("unknown")
        expect(yield* rotationOutcome(Redacted.make(""), 0)).toBe("unknown")

        const issued = yield* tokens.issue(userId, times())
        expect(yield* rotationOutcome(issued.token, 24)).toBe("expired")
        // An expired token is not consumed: it stays expired, not "reused".
        expect(yield* rotationOutcome(issued.token, 25)).toBe("expired")
        const fresh = yield* tokens.issue(userId, times())
        expect(yield* rotationOutcome(fresh.token, 23.99)).toBe("rotated")
      })
    )

    it.effect("logout revokes the token's family, is idempotent, and answers false for an unknown token", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue(userId, times())
        const next = yield* tokens.rotate(issued.token, times(1))
        const other = yield* tokens.issue(userId, times())

        expect(yield* tokens.revokeFamily(next.token, at(2))).toBe(true)
        expect(yield* rotationOutcome(next.token, 3)).toBe("revoked")
        expect(yield* tokens.revokeFamily(next.token, at(3))).toBe(true)
        // A used token of the family logs it out as well.
        expect(yield* tokens.revokeFamily(issued.token, at(3))).toBe(true)
        expect(yield* tokens.revokeFamily(Redacted.make(`gtr_${"B".repeat(43)}`), at(3))).toBe(false)
        expect(yield* tokens.revokeFamily(Redacted.make("garbage"), at(3))).toBe(false)
        expect(yield* rotationOutcome(other.token, 3)).toBe("rotated")
      })
    )

    it.effect("revokes every token of one user, and of that user only", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const userId = yield* aStoredUser
        const someoneElse = yield* aStoredUser
        const first = yield* tokens.issue(userId, times())
        const second = yield* tokens.issue(userId, times())
        const theirs = yield* tokens.issue(someoneElse, times())

        expect(yield* tokens.revokeAllOfUser(userId, at(1))).toBe(2)
        expect(yield* rotationOutcome(first.token, 2)).toBe("revoked")
        expect(yield* rotationOutcome(second.token, 2)).toBe("revoked")
        expect(yield* tokens.revokeAllOfUser(userId, at(2))).toBe(0)
        expect(yield* rotationOutcome(theirs.token, 2)).toBe("rotated")
      })
    )

    it.effect("purges what expired or was revoked before a time, and nothing that still works", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const userId = yield* aStoredUser
        const expiring = yield* tokens.issue(userId, { now: at(0), expiresAt: at(1) })
        const revoked = yield* tokens.issue(userId, times())
        yield* tokens.revokeFamily(revoked.token, at(2))
        const live = yield* tokens.issue(userId, times())

        // (Other tests share the store: counts are at least ours.)
        yield* tokens.purge(at(0.5))
        expect(yield* rotationOutcome(revoked.token, 2.5)).toBe("revoked")
        expect(yield* tokens.purge(at(3))).toBeGreaterThanOrEqual(2)
        expect(yield* rotationOutcome(expiring.token, 3)).toBe("unknown")
        expect(yield* rotationOutcome(revoked.token, 3)).toBe("unknown")
        expect(yield* rotationOutcome(live.token, 3)).toBe("rotated")
      })
    )

    it.effect("of ten concurrent rotations of one token exactly one succeeds; the others revoke the family", () =>
      Effect.gen(function* () {
        const tokens = yield* RefreshTokens
        const userId = yield* aStoredUser
        const issued = yield* tokens.issue(userId, times())
        const results = yield* Effect.all(
          Array.from({ length: 10 }, () => Effect.result(tokens.rotate(issued.token, times(1)))),
          { concurrency: "unbounded" }
        )
        const successors = results.filter(Result.isSuccess).map((result) => result.success)
        expect(successors).toHaveLength(1)
        // The first loser finds the token used and revokes the family; later ones may find it revoked already.
        const refused = results.filter(Result.isFailure).map((result) => result.failure.reason)
        expect(refused).toContain("reused")
        expect(refused.every((reason) => reason === "reused" || reason === "revoked")).toBe(true)
        // So the winner's successor is revoked with the rest of the family: a client must never refresh twice.
        expect(yield* rotationOutcome((successors[0] as IssuedRefreshToken).token, 2)).toBe("revoked")
      })
    )
  })

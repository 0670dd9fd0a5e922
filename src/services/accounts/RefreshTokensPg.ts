import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { RefreshTokenRejected, type RefreshTokenRejection } from "../../domain/accounts/errors.ts"
import { type IssuedRefreshToken, RefreshTokens, type RefreshTokenTimes } from "../../domain/accounts/RefreshTokens.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { newRefreshToken, refreshTokenHash } from "./RefreshTokensFormat.ts"

interface TokenStateRow {
  readonly familyId: string
  readonly usedAt: Date | null
  readonly revokedAt: Date | null
}

type Rotation =
  | { readonly _tag: "Rotated"; readonly issued: IssuedRefreshToken }
  | { readonly _tag: "Refused"; readonly reason: RefreshTokenRejection }
const rotated = (issued: IssuedRefreshToken): Rotation => ({ _tag: "Rotated", issued })
const refused = (reason: RefreshTokenRejection): Rotation => ({ _tag: "Refused", reason })

/** Refresh tokens in the `refresh_tokens` table (migrations/0008_refresh_tokens.sql). */
export const RefreshTokensPg = Layer.effect(
  RefreshTokens,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const insert = (userId: UserId, familyId: string, times: RefreshTokenTimes) =>
      Effect.suspend(() => {
        const token = newRefreshToken()
        return sql`INSERT INTO refresh_tokens ${sql.insert({
          id: crypto.randomUUID(),
          userId,
          familyId,
          tokenHash: refreshTokenHash(token) as string,
          issuedAt: times.now,
          expiresAt: times.expiresAt
        })}`.pipe(Effect.as<IssuedRefreshToken>({ token, userId, familyId, expiresAt: times.expiresAt }))
      })

    const revokeFamilyOf = (familyId: string, now: Date) =>
      sql`UPDATE refresh_tokens SET revoked_at = ${now} WHERE family_id = ${familyId} AND revoked_at IS NULL`

    // One transaction: the token is consumed and its successor exists, or neither. Concurrent rotations of one
    // token queue on its row lock; once the first commits, the others no longer match `used_at IS NULL`.
    const rotation = (hash: string, times: RefreshTokenTimes) =>
      sql.withTransaction(
        Effect.gen(function* () {
          const consumed = yield* sql<{ readonly userId: string; readonly familyId: string }>`
            UPDATE refresh_tokens SET used_at = ${times.now}
            WHERE token_hash = ${hash} AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ${times.now}
            RETURNING user_id, family_id`
          const token = consumed[0]
          if (token !== undefined) return rotated(yield* insert(token.userId as UserId, token.familyId, times))
          const [state] = yield* sql<TokenStateRow>`
            SELECT family_id, used_at, revoked_at FROM refresh_tokens WHERE token_hash = ${hash}`
          if (state === undefined) return refused("unknown")
          if (state.revokedAt !== null) return refused("revoked")
          if (state.usedAt !== null) {
            yield* revokeFamilyOf(state.familyId, times.now)
            return refused("reused")
          }
          return refused("expired")
        })
      )

    return RefreshTokens.of({
      issue: (userId, times) =>
        Effect.suspend(() => insert(userId, crypto.randomUUID(), times)).pipe(
          Effect.orDie,
          Effect.withSpan("RefreshTokens.issue")
        ),
      rotate: (token, times) => {
        const hash = refreshTokenHash(token)
        if (hash === undefined) return Effect.fail(RefreshTokenRejected.because("unknown"))
        return rotation(hash, times).pipe(
          Effect.orDie,
          // Failing only after the commit: the revocation of a reused token's family must stand.
          Effect.flatMap((outcome) =>
            outcome._tag === "Rotated"
              ? Effect.succeed(outcome.issued)
              : Effect.fail(RefreshTokenRejected.because(outcome.reason))
          ),
          Effect.withSpan("RefreshTokens.rotate")
        )
      },
      revokeFamily: (token, now) => {
        const hash = refreshTokenHash(token)
        if (hash === undefined) return Effect.succeed(false)
        return sql<{ readonly familyId: string }>`SELECT family_id FROM refresh_tokens WHERE token_hash = ${hash}`.pipe(
          Effect.flatMap(([row]) =>
            row === undefined ? Effect.succeed(false) : Effect.as(revokeFamilyOf(row.familyId, now), true)
          ),
          Effect.orDie,
          Effect.withSpan("RefreshTokens.revokeFamily")
        )
      },
      revokeAllOfUser: (userId, now) =>
        sql`UPDATE refresh_tokens SET revoked_at = ${now} WHERE user_id = ${userId} AND revoked_at IS NULL RETURNING id`.pipe(
          Effect.map((rows) => rows.length),
          Effect.orDie,
          Effect.withSpan("RefreshTokens.revokeAllOfUser")
        ),
      purge: (before) =>
        sql`DELETE FROM refresh_tokens WHERE expires_at < ${before} OR revoked_at < ${before} RETURNING id`.pipe(
          Effect.map((rows) => rows.length),
          Effect.orDie,
          Effect.withSpan("RefreshTokens.purge")
        )
    })
  })
)

import { Effect, Layer, Result } from "effect"
import { SqlClient } from "effect/sql"
import { usability } from "../../domain/accounts/SecurityTokenRules.ts"
import {
  type IssuedSecurityToken,
  type SecurityTokenClaims,
  type SecurityTokenPurpose,
  SecurityTokens
} from "../../domain/accounts/SecurityTokens.ts"
import { SecurityTokenRejected } from "../../domain/accounts/securityErrors.ts"
import type { Email } from "../../domain/accounts/User.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { newSecurityToken, securityTokenHash } from "./SecurityTokensFormat.ts"

interface TokenRow {
  readonly purpose: SecurityTokenPurpose
  readonly userId: string
  readonly newEmail: string | null
  readonly expiresAt: Date
  readonly usedAt: Date | null
  readonly revokedAt: Date | null
}

const claimsOf = (row: TokenRow): SecurityTokenClaims => ({
  purpose: row.purpose,
  userId: row.userId as UserId,
  newEmail: row.newEmail as Email | null,
  expiresAt: row.expiresAt
})

/** One-time account tokens in `account_tokens` (migrations/0017_account_security.sql). */
export const SecurityTokensPg = Layer.effect(
  SecurityTokens,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const find = (purpose: SecurityTokenPurpose, hash: string) =>
      sql<TokenRow>`SELECT purpose, user_id, new_email, expires_at, used_at, revoked_at
        FROM account_tokens WHERE token_hash = ${hash} AND purpose = ${purpose}`.pipe(Effect.map((rows) => rows[0]))

    /** The claims of a usable row, else why not (SecurityTokenRules.usability). */
    const judge = (purpose: SecurityTokenPurpose, row: TokenRow | undefined, now: Date) => {
      if (row === undefined) return Effect.fail(SecurityTokenRejected.because(purpose, "invalid"))
      const usable = usability(row, now)
      return Result.isFailure(usable)
        ? Effect.fail(SecurityTokenRejected.because(purpose, usable.failure))
        : Effect.succeed(claimsOf(row))
    }

    return SecurityTokens.of({
      issue: (purpose, userId, times, newEmail) =>
        Effect.suspend(() => {
          const token = newSecurityToken()
          return sql`INSERT INTO account_tokens ${sql.insert({
            tokenHash: securityTokenHash(token) as string,
            purpose,
            userId,
            newEmail: newEmail ?? null,
            issuedAt: times.now,
            expiresAt: times.expiresAt
          })}`.pipe(Effect.as<IssuedSecurityToken>({ token, purpose, userId, expiresAt: times.expiresAt }))
        }).pipe(Effect.orDie, Effect.withSpan("SecurityTokens.issue")),
      inspect: (purpose, token, now) => {
        const hash = securityTokenHash(token)
        if (hash === undefined) return Effect.fail(SecurityTokenRejected.because(purpose, "invalid"))
        return find(purpose, hash).pipe(
          Effect.orDie,
          Effect.flatMap((row) => judge(purpose, row, now)),
          Effect.withSpan("SecurityTokens.inspect")
        )
      },
      consume: (purpose, token, now) => {
        const hash = securityTokenHash(token)
        if (hash === undefined) return Effect.fail(SecurityTokenRejected.because(purpose, "invalid"))
        // The guarded UPDATE uses the token: of concurrent uses, one matches `used_at IS NULL`. The others read the
        // row to learn why they lost (used now, or expired, or never there).
        return Effect.gen(function* () {
          const [used] = yield* sql<TokenRow>`UPDATE account_tokens SET used_at = ${now}
              WHERE token_hash = ${hash} AND purpose = ${purpose}
                AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ${now}
              RETURNING purpose, user_id, new_email, expires_at, used_at, revoked_at`.pipe(Effect.orDie)
          if (used !== undefined) return claimsOf(used)
          yield* judge(purpose, yield* Effect.orDie(find(purpose, hash)), now)
          // Usable when read, yet not used by the UPDATE: another use won between the two statements.
          return yield* SecurityTokenRejected.because(purpose, "used")
        }).pipe(Effect.withSpan("SecurityTokens.consume"))
      },
      revokeAllOfUser: (userId, purpose, now) =>
        sql`UPDATE account_tokens SET revoked_at = ${now}
            WHERE user_id = ${userId} AND purpose = ${purpose} AND revoked_at IS NULL AND used_at IS NULL
            RETURNING token_hash`.pipe(
          Effect.map((rows) => rows.length),
          Effect.orDie,
          Effect.withSpan("SecurityTokens.revokeAllOfUser")
        ),
      forgetUser: (userId) =>
        sql`DELETE FROM account_tokens WHERE user_id = ${userId} RETURNING token_hash`.pipe(
          Effect.map((rows) => rows.length),
          Effect.orDie,
          Effect.withSpan("SecurityTokens.forgetUser")
        ),
      purge: (before) =>
        sql`DELETE FROM account_tokens
            WHERE expires_at < ${before} OR used_at < ${before} OR revoked_at < ${before} RETURNING token_hash`.pipe(
          Effect.map((rows) => rows.length),
          Effect.orDie,
          Effect.withSpan("SecurityTokens.purge")
        )
    })
  })
)

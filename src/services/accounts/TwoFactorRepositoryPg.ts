import { Effect, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { TwoFactorRepository, type TwoFactorSettings } from "../../domain/accounts/TwoFactorRepository.ts"
import type { UserId } from "../../domain/shared/Ids.ts"

interface SettingsRow {
  readonly userId: string
  readonly secret: string
  readonly createdAt: Date
  readonly enabledAt: Date | null
  readonly lastUsedStep: number | null
  readonly recoveryCodesLeft: number
}

const settingsOf = (row: SettingsRow): TwoFactorSettings => ({
  userId: row.userId as UserId,
  secret: Redacted.make(row.secret),
  createdAt: row.createdAt,
  enabledAt: Option.fromNullishOr(row.enabledAt),
  lastUsedStep: Option.fromNullishOr(row.lastUsedStep),
  recoveryCodesLeft: row.recoveryCodesLeft
})

/** Two-factor settings in `two_factor` and `two_factor_recovery_codes` (migrations/0017_account_security.sql). */
export const TwoFactorRepositoryPg = Layer.effect(
  TwoFactorRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return TwoFactorRepository.of({
      find: (userId) =>
        sql<SettingsRow>`SELECT t.user_id, t.secret, t.created_at, t.enabled_at, t.last_used_step,
              (SELECT count(*)::int FROM two_factor_recovery_codes c
                WHERE c.user_id = t.user_id AND c.used_at IS NULL) AS recovery_codes_left
            FROM two_factor t WHERE t.user_id = ${userId}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), settingsOf)),
          Effect.orDie,
          Effect.withSpan("TwoFactorRepository.find")
        ),
      begin: (userId, secret, now) =>
        sql`INSERT INTO two_factor (user_id, secret, created_at) VALUES (${userId}, ${Redacted.value(secret)}, ${now})
            ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at,
              last_used_step = NULL
            WHERE two_factor.enabled_at IS NULL
            RETURNING user_id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("TwoFactorRepository.begin")
        ),
      enable: (userId, step, hashes, now) =>
        sql
          .withTransaction(
            Effect.gen(function* () {
              const enabled = yield* sql`UPDATE two_factor SET enabled_at = ${now}, last_used_step = ${step}
                WHERE user_id = ${userId} AND enabled_at IS NULL RETURNING user_id`
              if (enabled.length === 0) return false
              yield* sql`DELETE FROM two_factor_recovery_codes WHERE user_id = ${userId}`
              const rows = hashes.map((codeHash) => ({ userId, codeHash }))
              if (rows.length > 0)
                yield* sql`INSERT INTO two_factor_recovery_codes ${sql.insert(
                  rows as unknown as readonly [Record<string, unknown>, ...Array<Record<string, unknown>>]
                )}`
              return true
            })
          )
          .pipe(Effect.orDie, Effect.withSpan("TwoFactorRepository.enable")),
      // The same rule as isNewerStep, in the guard of one UPDATE: concurrent uses of one step, one wins.
      useStep: (userId, step) =>
        sql`UPDATE two_factor SET last_used_step = ${step}
            WHERE user_id = ${userId} AND enabled_at IS NOT NULL
              AND (last_used_step IS NULL OR last_used_step < ${step})
            RETURNING user_id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("TwoFactorRepository.useStep")
        ),
      useRecoveryCode: (userId, codeHash, now) =>
        sql`UPDATE two_factor_recovery_codes c SET used_at = ${now}
            FROM two_factor t
            WHERE c.user_id = ${userId} AND c.code_hash = ${codeHash} AND c.used_at IS NULL
              AND t.user_id = c.user_id AND t.enabled_at IS NOT NULL
            RETURNING c.user_id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("TwoFactorRepository.useRecoveryCode")
        ),
      remove: (userId) =>
        sql`DELETE FROM two_factor WHERE user_id = ${userId} RETURNING user_id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("TwoFactorRepository.remove")
        )
    })
  })
)

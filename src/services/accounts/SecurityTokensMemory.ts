import { Effect, Layer, Ref, Result } from "effect"
import { purgeable, usability } from "../../domain/accounts/SecurityTokenRules.ts"
import {
  type IssuedSecurityToken,
  type SecurityTokenClaims,
  type SecurityTokenPurpose,
  SecurityTokens
} from "../../domain/accounts/SecurityTokens.ts"
import { SecurityTokenRejected, type SecurityTokenRejection } from "../../domain/accounts/securityErrors.ts"
import type { Email } from "../../domain/accounts/User.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { newSecurityToken, securityTokenHash } from "./SecurityTokensFormat.ts"

interface TokenRow {
  readonly purpose: SecurityTokenPurpose
  readonly userId: UserId
  readonly newEmail: Email | null
  readonly expiresAt: Date
  readonly usedAt: Date | null
  readonly revokedAt: Date | null
}

/** Token hash → row. */
type Rows = ReadonlyMap<string, TokenRow>

const claimsOf = (row: TokenRow): SecurityTokenClaims => ({
  purpose: row.purpose,
  userId: row.userId,
  newEmail: row.newEmail,
  expiresAt: row.expiresAt
})

/** The row of a token of this purpose, judged by the domain's rule. */
const judge = (
  rows: Rows,
  purpose: SecurityTokenPurpose,
  hash: string | undefined,
  now: Date
): Result.Result<readonly [string, TokenRow], SecurityTokenRejection> => {
  const row = hash === undefined ? undefined : rows.get(hash)
  if (hash === undefined || row === undefined || row.purpose !== purpose) return Result.fail("invalid")
  return Result.map(usability(row, now), () => [hash, row] as const)
}

/** The in-memory twin of SecurityTokensPg: same contract, one Ref updated atomically instead of a table. */
export const SecurityTokensMemory = Layer.effect(
  SecurityTokens,
  Effect.gen(function* () {
    const store = yield* Ref.make<Rows>(new Map())
    const refusedOr = (purpose: SecurityTokenPurpose, outcome: Result.Result<TokenRow, SecurityTokenRejection>) =>
      Result.isSuccess(outcome)
        ? Effect.succeed(claimsOf(outcome.success))
        : Effect.fail(SecurityTokenRejected.because(purpose, outcome.failure))

    return SecurityTokens.of({
      issue: (purpose, userId, times, newEmail) =>
        Effect.suspend(() => {
          const token = newSecurityToken()
          const row: TokenRow = {
            purpose,
            userId,
            newEmail: newEmail ?? null,
            expiresAt: times.expiresAt,
            usedAt: null,
            revokedAt: null
          }
          return Ref.update(store, (rows) => new Map(rows).set(securityTokenHash(token) as string, row)).pipe(
            Effect.as<IssuedSecurityToken>({ token, purpose, userId, expiresAt: times.expiresAt })
          )
        }),
      inspect: (purpose, token, now) =>
        Effect.flatMap(Ref.get(store), (rows) =>
          refusedOr(
            purpose,
            Result.map(judge(rows, purpose, securityTokenHash(token), now), ([, row]) => row)
          )
        ),
      consume: (purpose, token, now) =>
        Ref.modify(store, (rows): [Result.Result<TokenRow, SecurityTokenRejection>, Rows] => {
          const judged = judge(rows, purpose, securityTokenHash(token), now)
          if (Result.isFailure(judged)) return [Result.fail(judged.failure), rows]
          const [hash, row] = judged.success
          return [Result.succeed(row), new Map(rows).set(hash, { ...row, usedAt: now })]
        }).pipe(Effect.flatMap((outcome) => refusedOr(purpose, outcome))),
      revokeAllOfUser: (userId, purpose, now) =>
        Ref.modify(store, (rows): [number, Rows] => {
          let count = 0
          const next = new Map(rows)
          for (const [hash, row] of rows)
            if (row.userId === userId && row.purpose === purpose && row.revokedAt === null && row.usedAt === null) {
              next.set(hash, { ...row, revokedAt: now })
              count++
            }
          return [count, next]
        }),
      forgetUser: (userId) =>
        Ref.modify(store, (rows): [number, Rows] => {
          const kept = new Map([...rows].filter(([, row]) => row.userId !== userId))
          return [rows.size - kept.size, kept]
        }),
      purge: (before) =>
        Ref.modify(store, (rows): [number, Rows] => {
          const kept = new Map([...rows].filter(([, row]) => !purgeable(row, before)))
          return [rows.size - kept.size, kept]
        })
    })
  })
)

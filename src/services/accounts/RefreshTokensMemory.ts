import { Effect, Layer, Ref } from "effect"
import { RefreshTokenRejected, type RefreshTokenRejection } from "../../domain/accounts/errors.ts"
import { type IssuedRefreshToken, RefreshTokens, type RefreshTokenTimes } from "../../domain/accounts/RefreshTokens.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { newRefreshToken, refreshTokenHash } from "./RefreshTokensFormat.ts"

interface TokenRow {
  readonly userId: UserId
  readonly familyId: string
  readonly expiresAt: Date
  readonly usedAt: Date | null
  readonly revokedAt: Date | null
}

/** Token hash → row. */
type Rows = ReadonlyMap<string, TokenRow>

const revokeWhere = (rows: Rows, matches: (row: TokenRow) => boolean, now: Date): [number, Rows] => {
  let count = 0
  const next = new Map(rows)
  for (const [hash, row] of rows)
    if (row.revokedAt === null && matches(row)) {
      next.set(hash, { ...row, revokedAt: now })
      count++
    }
  return [count, next]
}

const newRow = (userId: UserId, familyId: string, times: RefreshTokenTimes): TokenRow => ({
  userId,
  familyId,
  expiresAt: times.expiresAt,
  usedAt: null,
  revokedAt: null
})

/** The in-memory twin of RefreshTokensPg: same contract, one Ref updated atomically instead of a table. */
export const RefreshTokensMemory = Layer.effect(
  RefreshTokens,
  Effect.gen(function* () {
    const store = yield* Ref.make<Rows>(new Map())

    const rotate = (hash: string, times: RefreshTokenTimes) =>
      Effect.suspend(() => {
        const token = newRefreshToken()
        return Ref.modify(store, (rows): [IssuedRefreshToken | RefreshTokenRejection, Rows] => {
          const row = rows.get(hash)
          if (row === undefined) return ["unknown", rows]
          if (row.revokedAt !== null) return ["revoked", rows]
          if (row.usedAt !== null)
            return ["reused", revokeWhere(rows, (r) => r.familyId === row.familyId, times.now)[1]]
          if (row.expiresAt.getTime() <= times.now.getTime()) return ["expired", rows]
          const next = new Map(rows)
            .set(hash, { ...row, usedAt: times.now })
            .set(refreshTokenHash(token) as string, newRow(row.userId, row.familyId, times))
          return [{ token, userId: row.userId, familyId: row.familyId, expiresAt: times.expiresAt }, next]
        }).pipe(
          Effect.flatMap((outcome) =>
            typeof outcome === "string" ? Effect.fail(RefreshTokenRejected.because(outcome)) : Effect.succeed(outcome)
          )
        )
      })

    return RefreshTokens.of({
      issue: (userId, times) =>
        Effect.suspend(() => {
          const token = newRefreshToken()
          const familyId = crypto.randomUUID()
          return Ref.update(store, (rows) =>
            new Map(rows).set(refreshTokenHash(token) as string, newRow(userId, familyId, times))
          ).pipe(Effect.as<IssuedRefreshToken>({ token, userId, familyId, expiresAt: times.expiresAt }))
        }),
      rotate: (token, times) => {
        const hash = refreshTokenHash(token)
        return hash === undefined ? Effect.fail(RefreshTokenRejected.because("unknown")) : rotate(hash, times)
      },
      revokeFamily: (token, now) =>
        Ref.modify(store, (rows): [boolean, Rows] => {
          const hash = refreshTokenHash(token)
          const row = hash === undefined ? undefined : rows.get(hash)
          if (row === undefined) return [false, rows]
          return [true, revokeWhere(rows, (r) => r.familyId === row.familyId, now)[1]]
        }),
      revokeAllOfUser: (userId, now) => Ref.modify(store, (rows) => revokeWhere(rows, (r) => r.userId === userId, now)),
      purge: (before) =>
        Ref.modify(store, (rows): [number, Rows] => {
          const gone = (r: TokenRow) => r.expiresAt < before || (r.revokedAt !== null && r.revokedAt < before)
          const kept = new Map([...rows].filter(([, row]) => !gone(row)))
          return [rows.size - kept.size, kept]
        })
    })
  })
)

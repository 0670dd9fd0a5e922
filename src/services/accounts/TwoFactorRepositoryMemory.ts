import { Effect, Layer, Option, Ref } from "effect"
import { TwoFactorRepository, type TwoFactorSettings } from "../../domain/accounts/TwoFactorRepository.ts"
import { isNewerStep } from "../../domain/accounts/TwoFactorRules.ts"

interface Stored {
  readonly settings: Omit<TwoFactorSettings, "recoveryCodesLeft">
  /** Recovery code hash → when used (null: unused). */
  readonly codes: ReadonlyMap<string, Date | null>
}

type Rows = ReadonlyMap<string, Stored>

const unusedCodes = (stored: Stored) => [...stored.codes.values()].filter((usedAt) => usedAt === null).length

/** The in-memory twin of TwoFactorRepositoryPg: same contract, one Ref updated atomically instead of two tables. */
export const TwoFactorRepositoryMemory = Layer.effect(
  TwoFactorRepository,
  Effect.gen(function* () {
    const store = yield* Ref.make<Rows>(new Map())
    const update = (userId: string, change: (stored: Stored) => Stored | undefined) =>
      Ref.modify(store, (rows): [boolean, Rows] => {
        const stored = rows.get(userId)
        const next = stored === undefined ? undefined : change(stored)
        return next === undefined ? [false, rows] : [true, new Map(rows).set(userId, next)]
      })
    const enabled = (stored: Stored) => Option.isSome(stored.settings.enabledAt)

    return TwoFactorRepository.of({
      find: (userId) =>
        Effect.map(Ref.get(store), (rows) =>
          Option.map(Option.fromNullishOr(rows.get(userId)), (stored) => ({
            ...stored.settings,
            recoveryCodesLeft: unusedCodes(stored)
          }))
        ),
      begin: (userId, secret, now) =>
        Ref.modify(store, (rows): [boolean, Rows] => {
          const stored = rows.get(userId)
          if (stored !== undefined && enabled(stored)) return [false, rows]
          const settings = { userId, secret, createdAt: now, enabledAt: Option.none(), lastUsedStep: Option.none() }
          return [true, new Map(rows).set(userId, { settings, codes: stored?.codes ?? new Map() })]
        }),
      enable: (userId, step, hashes, now) =>
        update(userId, (stored) =>
          enabled(stored)
            ? undefined
            : {
                settings: { ...stored.settings, enabledAt: Option.some(now), lastUsedStep: Option.some(step) },
                codes: new Map(hashes.map((hash) => [hash, null]))
              }
        ),
      useStep: (userId, step) =>
        update(userId, (stored) =>
          enabled(stored) && isNewerStep(Option.getOrNull(stored.settings.lastUsedStep), step)
            ? { ...stored, settings: { ...stored.settings, lastUsedStep: Option.some(step) } }
            : undefined
        ),
      useRecoveryCode: (userId, codeHash, now) =>
        update(userId, (stored) =>
          enabled(stored) && stored.codes.get(codeHash) === null
            ? { ...stored, codes: new Map(stored.codes).set(codeHash, now) }
            : undefined
        ),
      remove: (userId) =>
        Ref.modify(store, (rows): [boolean, Rows] => {
          if (!rows.has(userId)) return [false, rows]
          const next = new Map(rows)
          next.delete(userId)
          return [true, next]
        })
    })
  })
)

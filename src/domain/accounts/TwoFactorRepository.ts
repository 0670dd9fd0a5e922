import { Context, type Effect, type Option, type Redacted } from "effect"
import type { UserId } from "../shared/Ids.ts"

/** An account's two-factor set-up: pending (enrolled, not confirmed yet) or enabled. */
export interface TwoFactorSettings {
  readonly userId: UserId
  /** The TOTP shared secret, base32. Needed to check codes, so it cannot be hashed. */
  readonly secret: Redacted.Redacted<string>
  readonly createdAt: Date
  /** When the enrolment was confirmed with a code; none: pending. */
  readonly enabledAt: Option.Option<Date>
  /** The time step of the last code accepted (codes are single use); none before the first. */
  readonly lastUsedStep: Option.Option<number>
  readonly recoveryCodesLeft: number
}

/**
 * Port: two-factor settings and recovery codes (stored as SHA-256 hashes). Every change that guards against a
 * replay is atomic: of concurrent uses of one code, or one time step, exactly one succeeds.
 */
export interface TwoFactorRepositoryShape {
  readonly find: (userId: UserId) => Effect.Effect<Option.Option<TwoFactorSettings>>
  /** Stores a pending enrolment with this secret (replacing a pending one); false when two-factor is enabled. */
  readonly begin: (userId: UserId, secret: Redacted.Redacted<string>, now: Date) => Effect.Effect<boolean>
  /**
   * Turns a pending enrolment on, its first code's step recorded as used and these recovery codes (hashes) its
   * only ones; false when nothing is pending.
   */
  readonly enable: (
    userId: UserId,
    step: number,
    recoveryCodeHashes: ReadonlyArray<string>,
    now: Date
  ) => Effect.Effect<boolean>
  /** Records a code's time step as used if it is newer than the last one used (isNewerStep); false otherwise. */
  readonly useStep: (userId: UserId, step: number) => Effect.Effect<boolean>
  /** Uses an unused recovery code of the enabled account (single use); false when there is no such code. */
  readonly useRecoveryCode: (userId: UserId, codeHash: string, now: Date) => Effect.Effect<boolean>
  /** Forgets the set-up and its recovery codes (turned off); false when there was none. */
  readonly remove: (userId: UserId) => Effect.Effect<boolean>
}

export class TwoFactorRepository extends Context.Service<TwoFactorRepository, TwoFactorRepositoryShape>()(
  "goticket/TwoFactorRepository"
) {}

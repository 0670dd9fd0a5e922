import { Context, type Effect, type Redacted } from "effect"
import type { UserId } from "../shared/Ids.ts"
import type { RefreshTokenRejected } from "./errors.ts"

/** A refresh token just issued. The token itself is shown to its holder once; only its hash is kept. */
export interface IssuedRefreshToken {
  readonly token: Redacted.Redacted<string>
  readonly userId: UserId
  /** The login this token descends from: every token of one login shares it. */
  readonly familyId: string
  readonly expiresAt: Date
}

/** When a token is issued and when it stops working. Given by the caller, so that every adapter agrees on time. */
export interface RefreshTokenTimes {
  readonly now: Date
  readonly expiresAt: Date
}

/**
 * Port: long-lived, opaque, single-use refresh tokens, stored only as a hash.
 *
 * A login starts a family with `issue`. `rotate` consumes a token and issues its successor in the same family, in
 * one atomic step: of any number of concurrent rotations of one token, exactly one succeeds. A token presented
 * again after it was used is taken for a stolen one: the whole family is revoked, so that neither the thief nor
 * the legitimate holder can go on (the latter logs in again). Clients must therefore never refresh the same token
 * twice, e.g. from two tabs at once.
 */
export interface RefreshTokensShape {
  /** Starts a new family for the user. */
  readonly issue: (userId: UserId, times: RefreshTokenTimes) => Effect.Effect<IssuedRefreshToken>
  /**
   * Consumes the token and issues its successor. Fails when the token is unknown, revoked, expired, or already
   * used (which also revokes its family, and that revocation stands).
   */
  readonly rotate: (
    token: Redacted.Redacted<string>,
    times: RefreshTokenTimes
  ) => Effect.Effect<IssuedRefreshToken, RefreshTokenRejected>
  /** Revokes the family of the token (logout). False when the token is unknown; idempotent. */
  readonly revokeFamily: (token: Redacted.Redacted<string>, now: Date) => Effect.Effect<boolean>
  /** Revokes every token of the user (account erasure, "log out everywhere"); answers how many it revoked. */
  readonly revokeAllOfUser: (userId: UserId, now: Date) => Effect.Effect<number>
  /**
   * Forgets tokens that expired, or were revoked, before `before` (they can never work again; keeping them only
   * grows the table). Answers how many went.
   */
  readonly purge: (before: Date) => Effect.Effect<number>
}

export class RefreshTokens extends Context.Service<RefreshTokens, RefreshTokensShape>()("goticket/RefreshTokens") {}

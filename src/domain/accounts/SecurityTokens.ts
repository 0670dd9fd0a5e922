import { Context, type Effect, type Redacted, Schema } from "effect"
import type { UserId } from "../shared/Ids.ts"
import type { SecurityTokenRejected } from "./securityErrors.ts"
import type { Email } from "./User.ts"

/**
 * What a one-time account token is for: resetting a forgotten password (mailed), confirming a new email address
 * (mailed to that address), or the second step of a login with two-factor authentication (handed to the client that
 * gave the right password). A token made for one purpose is never accepted for another.
 */
export const SecurityTokenPurpose = Schema.Literals(["password_reset", "email_change", "login_challenge"])
export type SecurityTokenPurpose = typeof SecurityTokenPurpose.Type

/** A token just issued: shown to its holder once (in a mail or an answer); only its hash is kept. */
export interface IssuedSecurityToken {
  readonly token: Redacted.Redacted<string>
  readonly purpose: SecurityTokenPurpose
  readonly userId: UserId
  readonly expiresAt: Date
}

/** What a usable token stands for. */
export interface SecurityTokenClaims {
  readonly purpose: SecurityTokenPurpose
  readonly userId: UserId
  /** The address an `email_change` token moves the account to; null for the other purposes. */
  readonly newEmail: Email | null
  readonly expiresAt: Date
}

/** When a token is issued and when it stops working: the caller's clock, so that every adapter agrees on time. */
export interface SecurityTokenTimes {
  readonly now: Date
  readonly expiresAt: Date
}

/**
 * Port: short-lived, single-use account tokens, stored only as a hash. `consume` is atomic: of any number of
 * concurrent uses of one token exactly one succeeds. Whether a stored token is usable is the domain's rule
 * (SecurityTokenRules.usability), which every adapter applies.
 */
export interface SecurityTokensShape {
  readonly issue: (
    purpose: SecurityTokenPurpose,
    userId: UserId,
    times: SecurityTokenTimes,
    newEmail?: Email
  ) => Effect.Effect<IssuedSecurityToken>
  /** The claims of a usable token of this purpose, without using it; else why not. */
  readonly inspect: (
    purpose: SecurityTokenPurpose,
    token: Redacted.Redacted<string>,
    now: Date
  ) => Effect.Effect<SecurityTokenClaims, SecurityTokenRejected>
  /** Uses the token (it never works again) and answers its claims; else why not. */
  readonly consume: (
    purpose: SecurityTokenPurpose,
    token: Redacted.Redacted<string>,
    now: Date
  ) => Effect.Effect<SecurityTokenClaims, SecurityTokenRejected>
  /** Revokes the user's live tokens of this purpose (a reset done, a newer email change asked); answers how many. */
  readonly revokeAllOfUser: (userId: UserId, purpose: SecurityTokenPurpose, now: Date) => Effect.Effect<number>
  /** Forgets every token of the account, whatever its state (the account's erasure); answers how many went. */
  readonly forgetUser: (userId: UserId) => Effect.Effect<number>
  /** Forgets tokens that expired, were used or were revoked before `before`; answers how many went. */
  readonly purge: (before: Date) => Effect.Effect<number>
}

export class SecurityTokens extends Context.Service<SecurityTokens, SecurityTokensShape>()("goticket/SecurityTokens") {}

import { Context, type Effect } from "effect"
import type { Actor } from "./Actor.ts"
import type { Unauthenticated } from "./errors.ts"

export interface IssuedToken {
  readonly accessToken: string
  readonly expiresIn: number
}

/**
 * Port: signs and checks short-lived access tokens that carry an Actor. Each token names the key that signed it, so
 * that the signing key can be rotated while tokens signed with the previous one run out.
 */
export interface AccessTokensShape {
  readonly issue: (actor: Actor) => Effect.Effect<IssuedToken>
  readonly verify: (token: string) => Effect.Effect<Actor, Unauthenticated>
}

export class AccessTokens extends Context.Service<AccessTokens, AccessTokensShape>()("goticket/AccessTokens") {}

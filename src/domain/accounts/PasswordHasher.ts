import { Context, type Effect, type Redacted } from "effect"

/** Port: a memory-hard password KDF. `verify` runs in constant time for a given hash. */
export interface PasswordHasherShape {
  readonly hash: (password: Redacted.Redacted<string>) => Effect.Effect<string>
  readonly verify: (password: Redacted.Redacted<string>, hash: string) => Effect.Effect<boolean>
}

export class PasswordHasher extends Context.Service<PasswordHasher, PasswordHasherShape>()("goticket/PasswordHasher") {}

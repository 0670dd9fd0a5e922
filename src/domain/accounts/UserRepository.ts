import { Context, type Effect, type Option } from "effect"
import type { UserId } from "../shared/Ids.ts"
import type { EmailAlreadyRegistered } from "./errors.ts"
import type { Email, User, UserWithCredential } from "./User.ts"

/** Port: where accounts live. Infrastructure failures are defects; only domain outcomes are typed. */
export interface UserRepositoryShape {
  readonly insert: (user: User, passwordHash: string) => Effect.Effect<void, EmailAlreadyRegistered>
  readonly findById: (id: UserId) => Effect.Effect<Option.Option<User>>
  readonly findByEmail: (email: Email) => Effect.Effect<Option.Option<UserWithCredential>>
  /** Grants the admin flag; returns false when no account has that email. */
  readonly grantAdmin: (email: Email) => Effect.Effect<boolean>
}

export class UserRepository extends Context.Tag("goticket/UserRepository")<UserRepository, UserRepositoryShape>() {}

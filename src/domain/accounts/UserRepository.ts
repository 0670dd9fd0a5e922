import { Context, type Effect, type Option } from "effect"
import type { UserId } from "../shared/Ids.ts"
import type { EmailAlreadyRegistered } from "./errors.ts"
import type { AccountType, Email, User, UserWithCredential } from "./User.ts"

/** Port: where accounts live. Infrastructure failures are defects; only domain outcomes are typed. */
export interface UserRepositoryShape {
  readonly insert: (user: User, passwordHash: string) => Effect.Effect<void, EmailAlreadyRegistered>
  readonly findById: (id: UserId) => Effect.Effect<Option.Option<User>>
  readonly findByEmail: (email: Email) => Effect.Effect<Option.Option<UserWithCredential>>
  /** Grants the admin flag; returns false when no account has that email. */
  readonly grantAdmin: (email: Email) => Effect.Effect<boolean>
  /** Records that the account's address is verified, as of `at` (an earlier time is kept); false: no such account. */
  readonly markEmailVerified: (id: UserId, at: Date) => Effect.Effect<boolean>
  /**
   * Whoever registers an address that was never verified takes its account over: the earlier registrant never proved
   * the address was theirs (it may have been someone squatting it), so password, name and account type are replaced.
   * None: no account has this address, or it is verified (then it is left alone).
   */
  readonly takeOverUnverified: (
    email: Email,
    passwordHash: string,
    details: { readonly name: string; readonly accountType: AccountType }
  ) => Effect.Effect<Option.Option<User>>
  /** Replaces the account's password hash; false: no such account. */
  readonly setPasswordHash: (id: UserId, passwordHash: string) => Effect.Effect<boolean>
  /**
   * Moves the account to a new address, verified as of `verifiedAt` (its owner followed the link mailed there);
   * false: no such account. Fails when another account has the address.
   */
  readonly changeEmail: (id: UserId, email: Email, verifiedAt: Date) => Effect.Effect<boolean, EmailAlreadyRegistered>
}

export class UserRepository extends Context.Service<UserRepository, UserRepositoryShape>()("goticket/UserRepository") {}

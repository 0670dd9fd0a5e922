import { Effect, Layer, Option } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { EmailAlreadyRegistered } from "../../domain/accounts/errors.ts"
import type { Email } from "../../domain/accounts/User.ts"
import { User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { isUniqueViolation } from "../sql/errors.ts"

interface UserRow {
  readonly id: string
  readonly email: string
  readonly name: string
  readonly passwordHash: string
  readonly accountType: "customer" | "organizer"
  readonly isAdmin: boolean
  readonly createdAt: Date
  readonly emailVerifiedAt: Date | null
}

/** A user from its row. */
export const userFromRow = (row: Omit<UserRow, "passwordHash">): User =>
  new User(
    {
      id: row.id as UserId,
      email: row.email as Email,
      name: row.name,
      accountType: row.accountType,
      isAdmin: row.isAdmin,
      createdAt: row.createdAt,
      emailVerifiedAt: Option.fromNullishOr(row.emailVerifiedAt)
    },
    { disableChecks: true }
  )

export const UserRepositoryPg = Layer.effect(
  UserRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return {
      insert: (user, passwordHash) =>
        sql`INSERT INTO users ${sql.insert({
          id: user.id,
          email: user.email,
          name: user.name,
          passwordHash,
          accountType: user.accountType,
          isAdmin: user.isAdmin,
          createdAt: user.createdAt,
          emailVerifiedAt: Option.getOrNull(user.emailVerifiedAt)
        })}`.pipe(
          Effect.asVoid,
          Effect.catchIf(
            (e: SqlError.SqlError) => isUniqueViolation(e, "users_email_key"),
            () => Effect.fail(new EmailAlreadyRegistered({}))
          ),
          Effect.catchTag("SqlError", Effect.die),
          Effect.withSpan("UserRepository.insert")
        ),
      findById: (id) =>
        sql<UserRow>`SELECT * FROM users WHERE id = ${id}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), userFromRow)),
          Effect.orDie,
          Effect.withSpan("UserRepository.findById")
        ),
      findByEmail: (email) =>
        sql<UserRow>`SELECT * FROM users WHERE email = ${email}`.pipe(
          Effect.map((rows) =>
            Option.map(Option.fromNullishOr(rows[0]), (row) => ({
              user: userFromRow(row),
              passwordHash: row.passwordHash
            }))
          ),
          Effect.orDie,
          Effect.withSpan("UserRepository.findByEmail")
        ),
      grantAdmin: (email) =>
        sql`UPDATE users SET is_admin = true WHERE email = ${email} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("UserRepository.grantAdmin")
        ),
      markEmailVerified: (id, at) =>
        sql`UPDATE users SET email_verified_at = LEAST(coalesce(email_verified_at, ${at}), ${at})
            WHERE id = ${id} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("UserRepository.markEmailVerified")
        ),
      takeOverUnverified: (email, passwordHash, details) =>
        // One statement: the takeover and its AccountRegistered event (migrations/0022) commit together.
        sql<UserRow>`WITH taken AS (
              UPDATE users
              SET password_hash = ${passwordHash}, name = ${details.name}, account_type = ${details.accountType}
              WHERE email = ${email} AND email_verified_at IS NULL AND NOT is_admin
              RETURNING *)
            SELECT taken.*, account_registered(taken.id)::text AS announced FROM taken`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), userFromRow)),
          Effect.orDie,
          Effect.withSpan("UserRepository.takeOverUnverified")
        ),
      setPasswordHash: (id, passwordHash) =>
        sql`UPDATE users SET password_hash = ${passwordHash} WHERE id = ${id} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("UserRepository.setPasswordHash")
        ),
      changeEmail: (id, email, verifiedAt) =>
        sql`UPDATE users SET email = ${email}, email_verified_at = ${verifiedAt} WHERE id = ${id} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.catchIf(
            (e: SqlError.SqlError) => isUniqueViolation(e, "users_email_key"),
            () => Effect.fail(new EmailAlreadyRegistered({}))
          ),
          Effect.catchTag("SqlError", Effect.die),
          Effect.withSpan("UserRepository.changeEmail")
        )
    }
  })
)

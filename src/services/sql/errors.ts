import type { SqlError } from "effect/sql"

/** The fields PostgreSQL reported with an error (SQLSTATE `code`, `constraint`, `message`, `detail`, …). */
export interface PgErrorFields {
  readonly code?: string
  readonly constraint?: string
  readonly message?: string
  readonly detail?: string
}

/**
 * What PostgreSQL said about a failed statement. `@effect/sql` 4 classifies the failure in `error.reason`
 * (`UniqueViolation`, `DeadlockError`, …) and the server's own fields are on `error.reason.cause`: `error.cause`
 * is the reason now, no longer the driver's error.
 */
export const pgErrorOf = (error: SqlError.SqlError): PgErrorFields => {
  const cause: unknown = error.reason.cause
  return typeof cause === "object" && cause !== null ? (cause as PgErrorFields) : {}
}

/** True when PostgreSQL refused a write with unique_violation (23505), optionally on a named constraint. */
export const isUniqueViolation = (error: SqlError.SqlError, constraint?: string): boolean => {
  const cause = pgErrorOf(error)
  return cause.code === "23505" && (constraint === undefined || cause.constraint === constraint)
}

import type { SqlError } from "@effect/sql"

interface PgErrorLike {
  readonly code?: string
  readonly constraint?: string
}

const pgCause = (error: SqlError.SqlError): PgErrorLike =>
  typeof error.cause === "object" && error.cause !== null ? (error.cause as PgErrorLike) : {}

/** True when PostgreSQL refused a write with unique_violation (23505), optionally on a named constraint. */
export const isUniqueViolation = (error: SqlError.SqlError, constraint?: string): boolean => {
  const cause = pgCause(error)
  return cause.code === "23505" && (constraint === undefined || cause.constraint === constraint)
}

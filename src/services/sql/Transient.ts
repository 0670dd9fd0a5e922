import { Effect, Schedule } from "effect"
import { SqlError } from "effect/sql"
import { pgErrorOf } from "./errors.ts"

/*
 * The one list of SQLSTATEs worth running again unchanged, in two parts:
 * - a conflict: the transaction lost a race (deadlock 40P01, serialization failure 40001), its statement was
 *   cancelled (57014: a timeout, or a cancel the driver sent for an interrupted fiber, late, to a connection by then
 *   running someone else's statement), or it was refused because one of those came first (25P02). Running the
 *   whole transaction again at once can only help;
 * - an outage: the server going away or not taking connections yet (57P01 admin shutdown, 57P02 crash shutdown,
 *   57P03 cannot connect now, 53300 too many connections; class 08 connection exceptions are reported as
 *   ConnectionError), or a lock not granted in time. Worth waiting out.
 */
const CONFLICT_CODES = new Set(["40P01", "40001", "57014", "25P02"])
const OUTAGE_CODES = new Set(["57P01", "57P02", "57P03", "53300"])

/** True when a failed statement lost a race or was cancelled: its transaction may run again at once. */
export const isConflict = (error: unknown): boolean => {
  if (!SqlError.isSqlError(error)) return false
  switch (error.reason._tag) {
    case "DeadlockError":
    case "SerializationError":
    case "StatementTimeoutError":
      return true
    default:
      return CONFLICT_CODES.has(pgErrorOf(error).code ?? "")
  }
}

/** True when a failed statement may succeed if run again: the database, not the request, was the problem. */
export const isTransient = (error: unknown): boolean => {
  if (isConflict(error)) return true
  if (!SqlError.isSqlError(error)) return false
  switch (error.reason._tag) {
    case "ConnectionError":
    case "LockTimeoutError":
      return true
    default:
      return OUTAGE_CODES.has(pgErrorOf(error).code ?? "")
  }
}

/**
 * Runs a statement (or a transaction) again, up to 3 more times, while it fails with a conflict: for statements
 * that are one idempotent transaction each, which can simply run again.
 */
export const retryConflicts = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.retry(effect, { schedule: Schedule.recurs(3), while: isConflict })

import { SqlError } from "effect/sql"
import { pgErrorOf } from "./errors.ts"

/**
 * SQLSTATEs worth trying again unchanged: a lost race (deadlock 40P01, serialization 40001), a statement cancelled
 * by a timeout (57014), a transaction aborted underneath (25P02), and the server going away or not taking
 * connections yet (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 53300 too many
 * connections; class 08 connection exceptions are reported as ConnectionError).
 */
const TRANSIENT_CODES = new Set(["40P01", "40001", "57014", "25P02", "57P01", "57P02", "57P03", "53300"])

/** True when a failed statement may succeed if run again: the database, not the request, was the problem. */
export const isTransient = (error: unknown): boolean => {
  if (!SqlError.isSqlError(error)) return false
  switch (error.reason._tag) {
    case "ConnectionError":
    case "DeadlockError":
    case "SerializationError":
    case "LockTimeoutError":
    case "StatementTimeoutError":
      return true
    default:
      return TRANSIENT_CODES.has(pgErrorOf(error).code ?? "")
  }
}

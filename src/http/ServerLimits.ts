import { Config } from "effect"
import { bounded } from "../services/config/bounded.ts"

/**
 * How long a client may take, so that slow or stalled clients (slowloris) cannot hold connections: the headers
 * within HTTP_HEADERS_TIMEOUT_MS, the whole request within HTTP_REQUEST_TIMEOUT_MS (both answered 408 and closed),
 * an idle kept-alive connection HTTP_KEEP_ALIVE_TIMEOUT_MS. Node checks them every HTTP_TIMEOUT_CHECK_MS.
 */
export const ServerLimits = Config.all({
  headersTimeoutMs: bounded("HTTP_HEADERS_TIMEOUT_MS", 10_000, 500, 120_000, "milliseconds"),
  requestTimeoutMs: bounded("HTTP_REQUEST_TIMEOUT_MS", 30_000, 1_000, 600_000, "milliseconds"),
  keepAliveTimeoutMs: bounded("HTTP_KEEP_ALIVE_TIMEOUT_MS", 5_000, 100, 600_000, "milliseconds"),
  checkIntervalMs: bounded("HTTP_TIMEOUT_CHECK_MS", 1_000, 100, 30_000, "milliseconds")
})

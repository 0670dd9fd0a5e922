import { Config } from "effect"
import { bounded } from "../config/bounded.ts"

/**
 * The rate limits, per minute. RATE_LIMITS=off turns them all off (a load test from one address, say); each class
 * can be tuned on its own. README.md explains the classes.
 */
export const TrafficConfig = Config.all({
  enabled: Config.Literals(["on", "off"], "RATE_LIMITS").pipe(
    Config.withDefault("on"),
    Config.map((v) => v === "on")
  ),
  /** GET requests per client address. */
  readsPerIp: bounded("RATE_LIMIT_READS_PER_MINUTE", 1_200, 1, 1_000_000, "requests per minute"),
  /** Other state-changing requests per client address. */
  writesPerIp: bounded("RATE_LIMIT_WRITES_PER_MINUTE", 300, 1, 1_000_000, "requests per minute"),
  /** Register, login, refresh and logout per client address. */
  authPerIp: bounded("RATE_LIMIT_AUTH_PER_MINUTE", 20, 1, 1_000_000, "requests per minute"),
  /** Holds, releases and checkouts per customer, all events together. */
  holdsPerUser: bounded("RATE_LIMIT_HOLDS_PER_MINUTE", 30, 1, 1_000_000, "requests per minute"),
  /** Holds per customer on one event. */
  holdsPerUserPerEvent: bounded("RATE_LIMIT_HOLDS_PER_EVENT_PER_MINUTE", 10, 1, 1_000_000, "requests per minute"),
  /** Failed logins one account may take before it is slowed down to one attempt per window / failures. */
  loginFailures: bounded("LOGIN_MAX_FAILURES", 5, 1, 1_000, "failed logins"),
  loginLockoutMinutes: bounded("LOGIN_LOCKOUT_MINUTES", 15, 1, 24 * 60, "minutes"),
  /**
   * How many proxies in front of the service append to X-Forwarded-For. 0 (the default): the client is the socket's
   * peer and the header is ignored, since anyone can send it.
   */
  trustedProxies: bounded("TRUST_PROXY_HOPS", 0, 0, 10, "hops")
})

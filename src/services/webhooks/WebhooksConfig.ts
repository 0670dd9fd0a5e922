import { Config, Duration, Option } from "effect"
import type { RetryPolicy } from "../../domain/webhooks/WebhookRules.ts"
import { bounded } from "../config/bounded.ts"

/**
 * WEBHOOKS_ALLOW_HTTP_LOOPBACK: accept plain http endpoint URLs on loopback hosts (localhost, 127.0.0.0/8, ::1).
 * Default: true, unless NODE_ENV=production.
 */
export const AllowHttpLoopback = Config.all([
  Config.Boolean("WEBHOOKS_ALLOW_HTTP_LOOPBACK").pipe(Config.option),
  Config.String("NODE_ENV").pipe(Config.withDefault(""))
]).pipe(Config.map(([flag, env]) => Option.getOrElse(flag, () => env !== "production")))

/**
 * WEBHOOKS_ALLOW_PRIVATE_NETWORKS: deliver to private, link-local and other non-public addresses too (an on-premises
 * installation whose organizers' endpoints live on its own network). Default false: such URLs are refused, and so
 * is a delivery whose host resolves to one.
 */
export const AllowPrivateNetworks = Config.Boolean("WEBHOOKS_ALLOW_PRIVATE_NETWORKS").pipe(Config.withDefault(false))

/** Knobs of the delivery worker; README.md lists them. */
export const WebhookWorkerConfig = Config.all({
  /** How often the worker looks for due deliveries when it has found none. */
  pollInterval: bounded("WEBHOOKS_POLL_INTERVAL_MS", 250, 10, 60_000, "milliseconds").pipe(Config.map(Duration.millis)),
  /** How long one POST may take before it counts as a failed attempt. */
  timeout: bounded("WEBHOOKS_TIMEOUT_MS", 5_000, 100, 60_000, "milliseconds").pipe(Config.map(Duration.millis)),
  /** Deliveries in flight at once, per process. */
  concurrency: bounded("WEBHOOKS_CONCURRENCY", 16, 1, 256, "deliveries"),
  retry: Config.all({
    baseDelayMs: bounded("WEBHOOKS_RETRY_BASE_MS", 1_000, 10, 3_600_000, "milliseconds"),
    maxDelayMs: bounded("WEBHOOKS_RETRY_MAX_MS", 3_600_000, 10, 86_400_000, "milliseconds"),
    maxAttempts: bounded("WEBHOOKS_MAX_ATTEMPTS", 15, 1, 100, "attempts")
  }) satisfies Config.Config<RetryPolicy>
})
export type WebhookWorkerConfig = Config.Success<typeof WebhookWorkerConfig>

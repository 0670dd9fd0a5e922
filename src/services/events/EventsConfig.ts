import { Config, Duration } from "effect"
import { bounded } from "../config/bounded.ts"

/** Knobs of the outbox relay and the consumers; README.md lists them. */
export const EventsConfig = Config.all({
  /** How often an idle relay looks for new events (the floor of publishing latency). */
  relayPollInterval: bounded("OUTBOX_POLL_INTERVAL_MS", 100, 5, 60_000, "milliseconds").pipe(
    Config.map(Duration.millis)
  ),
  relayBatchSize: bounded("OUTBOX_BATCH_SIZE", 200, 1, 5_000, "events"),
  /** Sent events are kept this long (for inspection and replays), then purged. */
  outboxRetention: bounded("OUTBOX_RETENTION_HOURS", 72, 1, 8_760, "hours").pipe(Config.map(Duration.hours)),
  /** Failed deliveries before an event goes to the consumer's dead letters. */
  consumerMaxAttempts: bounded("CONSUMER_MAX_ATTEMPTS", 5, 1, 100, "attempts"),
  /** First retry delay; each further retry waits five times longer. */
  consumerRetryBase: bounded("CONSUMER_RETRY_BASE_MS", 1_000, 1, 3_600_000, "milliseconds").pipe(
    Config.map(Duration.millis)
  ),
  consumerConcurrency: bounded("CONSUMER_CONCURRENCY", 4, 1, 256, "deliveries")
})
export type EventsConfig = Config.Success<typeof EventsConfig>

import { Effect, Metric } from "effect"
import { Outbox } from "../../domain/events/Outbox.ts"

export const outboxLagSeconds = Metric.gauge("goticket_outbox_lag_seconds", {
  description: "Age of the oldest domain event not yet confirmed by the broker (0 when the outbox is empty)"
})
export const outboxPending = Metric.gauge("goticket_outbox_pending", {
  description: "Domain events written but not yet confirmed by the broker"
})
/**
 * Reads the outbox lag into the gauges: run when /metrics is scraped, so any process serving the API reports it
 * (an API-only process included), and nothing polls the outbox in between. Never fails the scrape.
 */
export const refreshOutboxGauges = Effect.flatMap(Outbox, (outbox) => outbox.lag).pipe(
  Effect.tap(({ pending, oldestAgeMs }) =>
    Effect.all([Metric.update(outboxPending, pending), Metric.update(outboxLagSeconds, oldestAgeMs / 1000)])
  ),
  Effect.timeout("2 seconds"),
  Effect.catchCause(() => Effect.void)
)

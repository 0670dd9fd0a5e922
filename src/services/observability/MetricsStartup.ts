import { Effect, Layer } from "effect"
import { checkoutDuration, checkoutsEnded } from "../../domain/orders/CheckoutSaga.ts"
import { CancelReason } from "../../domain/orders/Order.ts"
import { eventsDuplicate, eventsFailed, eventsHandled } from "../events/EventConsumers.ts"
import { outboxLagSeconds, outboxPending } from "../events/OutboxMetrics.ts"
import { eventsPublished } from "../events/OutboxRelay.ts"
import { expiryLagSeconds, holdsExpired } from "../reservations/ExpiryWorker.ts"
import { fallbacks } from "../security/GuardedRateLimiter.ts"
import { refusals } from "../security/TrafficControl.ts"
import { webhookAttempts } from "../webhooks/WebhookDeliveryWorker.ts"
import { startProcessCollectors, zeroMetric } from "./Metrics.ts"
import { CONSUMERS, zeroScrapeGauges } from "./ScrapeGauges.ts"

const outcomes = ["confirmed", ...CancelReason.literals].map((outcome) => ({ outcome }))
const consumers = CONSUMERS.map((consumer) => ({ consumer }))

/**
 * At start-up: the process collectors, and every labelled series the service reports at zero, so that rates and
 * alerts see a series from the first scrape rather than from the first event (absent is not zero to Prometheus).
 */
export const MetricsStartupLive = Layer.effectDiscard(
  Effect.suspend(() => {
    startProcessCollectors()
    return Effect.all(
      [
        zeroMetric(checkoutsEnded, outcomes),
        zeroMetric(checkoutDuration, outcomes),
        zeroMetric(eventsHandled, consumers),
        zeroMetric(eventsFailed, consumers),
        zeroMetric(eventsDuplicate, consumers),
        zeroMetric(eventsPublished),
        zeroMetric(outboxLagSeconds),
        zeroMetric(outboxPending),
        zeroMetric(holdsExpired),
        zeroMetric(expiryLagSeconds),
        zeroMetric(
          webhookAttempts,
          ["delivered", "retry", "failed"].map((outcome) => ({ outcome }))
        ),
        zeroMetric(
          refusals,
          ["auth", "holds", "writes", "reads"].map((trafficClass) => ({ class: trafficClass }))
        ),
        zeroMetric(
          fallbacks,
          ["open", "local"].map((fallback) => ({ fallback }))
        ),
        zeroScrapeGauges
      ],
      { discard: true }
    )
  })
)

import { Duration, Effect, Layer, Metric, Ref, Schedule } from "effect"
import { EventBus } from "../../domain/events/EventBus.ts"
import { Outbox } from "../../domain/events/Outbox.ts"
import { EventsConfig } from "./EventsConfig.ts"
import { linksToWriters } from "./TraceLink.ts"

export const eventsPublished = Metric.counter("goticket_events_published_total", {
  description: "Domain events confirmed by the broker",
  incremental: true
})

/**
 * Moves committed domain events from the outbox to the bus. While there is a backlog it sends batch after batch;
 * idle, it looks again every OUTBOX_POLL_INTERVAL_MS. When the broker is unavailable nothing is marked sent: the
 * outbox keeps filling and the relay retries with exponential backoff (up to 5 s), logging the outage once and the
 * recovery once. Several relays (one per process) share the work through the outbox's slot locks.
 */
export const OutboxRelayLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const outbox = yield* Outbox
    const bus = yield* EventBus
    const config = yield* EventsConfig
    const failures = yield* Ref.make(0)

    const backoff = (n: number) => Duration.millis(Math.min(5_000, 100 * 2 ** Math.min(n, 6)))

    // The publish span links to each request that wrote an event of the batch (their traces continue in the
    // consumers, which take the event's traceparent as their parent).
    const publish: typeof bus.publish = (events) =>
      bus.publish(events).pipe(
        Effect.withSpan("OutboxRelay.publish", {
          kind: "producer",
          links: linksToWriters(events),
          attributes: {
            "messaging.operation.type": "send",
            "messaging.batch.message_count": events.length,
            "goticket.event_ids": events.map((event) => event.id)
          }
        })
      )
    const batch = outbox.relay(config.relayBatchSize, publish).pipe(
      Effect.tap((sent) => Metric.update(eventsPublished, sent)),
      Effect.tap(() =>
        Ref.getAndSet(failures, 0).pipe(
          Effect.tap((n) => (n > 0 ? Effect.logInfo("broker is back; publishing the outbox") : Effect.void))
        )
      ),
      Effect.map((sent) => (sent >= config.relayBatchSize ? Duration.zero : config.relayPollInterval)),
      Effect.catchCause((cause) =>
        Ref.getAndUpdate(failures, (n) => n + 1).pipe(
          Effect.tap((n) =>
            n === 0
              ? Effect.logWarning("cannot publish domain events; they wait in the outbox, retrying", cause)
              : Effect.void
          ),
          Effect.map((n) => backoff(n))
        )
      )
    )
    yield* batch.pipe(
      Effect.flatMap((pause) => (Duration.isZero(pause) ? Effect.void : Effect.sleep(pause))),
      Effect.forever,
      Effect.forkScoped
    )

    const purge = Effect.suspend(() =>
      outbox.purgeSent(new Date(Date.now() - Duration.toMillis(config.outboxRetention)))
    ).pipe(
      Effect.tap((n) =>
        n > 0 ? Effect.logInfo("purged sent domain events").pipe(Effect.annotateLogs({ n })) : Effect.void
      ),
      Effect.catchCause((cause) => Effect.logWarning("cannot purge the outbox", cause))
    )
    yield* purge.pipe(Effect.repeat(Schedule.spaced("10 minutes")), Effect.forkScoped)
  })
)

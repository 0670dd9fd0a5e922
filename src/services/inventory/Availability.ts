import { Clock, Context, Duration, Effect, Layer, Option, PubSub, RcMap, Stream } from "effect"
import type { EventStatus } from "../../domain/catalog/Event.ts"
import { type AvailabilityFigures, availabilityOf, sameFigures } from "../../domain/reservations/Availability.ts"
import type { EventId } from "../../domain/shared/Ids.ts"
import { Catalog } from "../catalog/Catalog.ts"
import { bounded } from "../config/bounded.ts"

/** How often an event's availability is read for its stream's subscribers: at most one message per this. */
export const AvailabilityInterval = bounded("RPC_AVAILABILITY_INTERVAL_MS", 1_000, 50, 60_000, "milliseconds")

/** An event's figures at a moment; `version` grows with every change this process has seen of the event. */
export interface AvailabilitySnapshot extends AvailabilityFigures {
  readonly status: EventStatus
  readonly version: number
  readonly at: Date
}

/** Events whose last reading is kept (for versions); past it the memory starts again (versions restart at 1). */
const MAX_TRACKED = 10_000

/**
 * What is left to sell of a published event, once or as a stream. The stream is coalesced: however many holds a
 * flash sale places, each event is read once per RPC_AVAILABILITY_INTERVAL_MS for all its subscribers together, and
 * a subscriber gets a snapshot only when something changed. A slow subscriber is never sent a backlog: its buffer
 * holds one snapshot, the newest (older ones are dropped). Reads go through Catalog, as GET /v1/events/{id} does.
 */
export class Availability extends Context.Service<Availability>()("goticket/Availability", {
  make: Effect.gen(function* () {
    const catalog = yield* Catalog
    const interval = Duration.millis(yield* AvailabilityInterval)
    const last = new Map<EventId, { readonly figures: AvailabilityFigures; readonly version: number }>()

    const snapshot = Effect.fn("Availability.snapshot")(function* (eventId: EventId) {
      const details = yield* catalog.details(Option.none(), eventId)
      const seating = details.ticketTypes.some((t) => t.seated)
        ? yield* catalog.seatMap(Option.none(), eventId)
        : { sections: [], seats: [] }
      const figures = availabilityOf(eventId, details.status, details.ticketTypes, seating)
      const before = last.get(eventId)
      const version =
        before === undefined ? 1 : sameFigures(before.figures, figures) ? before.version : before.version + 1
      if (last.size >= MAX_TRACKED && before === undefined) last.clear()
      last.set(eventId, { figures, version })
      return { ...figures, version, at: new Date(yield* Clock.currentTimeMillis) } satisfies AvailabilitySnapshot
    })

    /** One poller per event with subscribers, shared by all of them, stopped 5 s after the last one leaves. */
    const feeds = yield* RcMap.make({
      lookup: (eventId: EventId) =>
        Effect.gen(function* () {
          let latest = yield* snapshot(eventId)
          const pubsub = yield* PubSub.sliding<AvailabilitySnapshot>(1)
          yield* Effect.addFinalizer(() => PubSub.shutdown(pubsub))
          const poll = Effect.gen(function* () {
            yield* Effect.sleep(interval)
            const next = yield* snapshot(eventId)
            if (next.version === latest.version) return
            latest = next
            yield* PubSub.publish(pubsub, next)
          }).pipe(
            // The event went out of sight (back to draft cannot happen; a database hiccup can): try again later.
            Effect.catchCause((cause) => Effect.logWarning("availability read failed", cause))
          )
          yield* Effect.forkScoped(Effect.forever(poll))
          return { pubsub, latest: () => latest }
        }),
      idleTimeToLive: Duration.seconds(5)
    })

    /** The event's availability now, then each changed one; EventNotFound for an event that is not published. */
    const changes = (eventId: EventId) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const feed = yield* RcMap.get(feeds, eventId)
          const subscription = yield* PubSub.subscribe(feed.pubsub)
          const first = feed.latest()
          return Stream.concat(
            Stream.make(first),
            Stream.filter(Stream.fromSubscription(subscription), (s) => s.version > first.version)
          )
        })
      )

    return { snapshot, changes } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

import { expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Deferred, Effect, Layer, Option, type Tracer } from "effect"
import { anEnvelope } from "../../../test/support/Envelopes.ts"
import { EventBus } from "../../domain/events/EventBus.ts"
import { EventEnvelope } from "../../domain/events/EventEnvelope.ts"
import { EventBusInProcess } from "./EventBusInProcess.ts"
import { consumerLayer } from "./EventConsumers.ts"
import { InboxMemory } from "./InboxMemory.ts"

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
const SPAN = "00f067aa0ba902b7"

it.live("a consumer handles an event once, inside the trace of the request that caused it, linked to it", () =>
  Effect.gen(function* () {
    const seen = yield* Deferred.make<Tracer.Span>()
    const runs = { n: 0 }
    const consumer = consumerLayer({
      name: "probe",
      eventTypes: ["TicketCheckedIn"],
      handle: (event) =>
        Effect.gen(function* () {
          runs.n++
          expect(event._tag).toBe("TicketCheckedIn")
          const span = yield* Effect.currentSpan
          yield* Deferred.succeed(seen, span)
        })
    })
    const event = new EventEnvelope({ ...anEnvelope(), traceparent: `00-${TRACE}-${SPAN}-01` })
    yield* Effect.gen(function* () {
      const bus = yield* EventBus
      yield* Effect.sleep("20 millis") // the consumer subscribes in the background
      yield* bus.publish([event, event]) // the second is a redelivery: the inbox drops it
      const span = yield* Deferred.await(seen)
      expect(span.traceId).toBe(TRACE)
      expect(span.name).toBe("probe process TicketCheckedIn")
      expect(span.links.map((l) => l.span.spanId)).toEqual([SPAN])
      expect(Option.map(span.parent, (p) => p.traceId)).toEqual(Option.some(TRACE))
      yield* Effect.sleep("100 millis")
      expect(runs.n).toBe(1)
    }).pipe(
      Effect.provide(
        consumer.pipe(
          Layer.provideMerge(Layer.mergeAll(EventBusInProcess.layer(), InboxMemory)),
          Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({})))
        )
      ),
      Effect.scoped
    )
  })
)

class Seen extends Context.Service<Seen, { readonly ids: Array<string> }>()("test/Seen") {}

it.live(
  "a handler uses the services its consumer's layer was given; an event its envelope turns down is not even read",
  () =>
    Effect.gen(function* () {
      const seen = { ids: [] as Array<string> }
      const consumer = consumerLayer({
        name: "probe",
        eventTypes: ["TicketCheckedIn", "TicketIssued"],
        wantedEnvelope: (envelope) => Effect.succeed(envelope.type === "TicketCheckedIn"),
        handle: (_event, envelope) => Effect.flatMap(Seen, (s) => Effect.sync(() => s.ids.push(envelope.id)))
      }).pipe(Layer.provide(Layer.succeed(Seen, seen)))
      const wanted = anEnvelope()
      // Unreadable as a TicketIssued: decoding it would fail the delivery, and with one attempt dead-letter it.
      const passedBy = new EventEnvelope({ ...anEnvelope(), type: "TicketIssued", payload: { not: "a ticket" } })
      yield* Effect.gen(function* () {
        const bus = yield* EventBus
        yield* Effect.sleep("20 millis") // the consumer subscribes in the background
        yield* bus.publish([passedBy, wanted])
        yield* Effect.sleep("200 millis")
        expect(seen.ids).toEqual([wanted.id])
        expect(yield* bus.deadLetters("probe")).toEqual([])
      }).pipe(
        Effect.provide(
          consumer.pipe(
            Layer.provideMerge(Layer.mergeAll(EventBusInProcess.layer(), InboxMemory)),
            Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ CONSUMER_MAX_ATTEMPTS: "1" })))
          )
        ),
        Effect.scoped
      )
    })
)

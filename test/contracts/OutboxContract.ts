import { describe, expect, layer } from "@effect/vitest"
import { Effect, type Layer, Ref } from "effect"
import type { EventEnvelope } from "../../src/domain/events/EventEnvelope.ts"
import { Outbox } from "../../src/domain/events/Outbox.ts"
import { anEnvelope } from "../support/Envelopes.ts"

/** Collects what a relay publishes, in order. */
const recorder = Effect.map(Ref.make<ReadonlyArray<EventEnvelope>>([]), (published) => ({
  published,
  publish: (events: ReadonlyArray<EventEnvelope>) => Ref.update(published, (all) => [...all, ...events])
}))

/** The Outbox port's contract: what every adapter must do. `make` gives a fresh, empty outbox per suite. */
export const outboxContract = (name: string, make: Layer.Layer<Outbox>) =>
  describe(`Outbox contract: ${name}`, () => {
    layer(make, { excludeTestServices: true })((it) => {
      it.effect("relays appended events in order, marks them sent, and never sends them again", () =>
        Effect.gen(function* () {
          const outbox = yield* Outbox
          yield* drain(outbox)
          const aggregate = crypto.randomUUID()
          const events = [anEnvelope(aggregate), anEnvelope(aggregate), anEnvelope()]
          yield* outbox.append(events)
          const { published, publish } = yield* recorder
          expect(yield* outbox.relay(100, publish)).toBe(3)
          expect((yield* Ref.get(published)).map((e) => e.id)).toEqual(events.map((e) => e.id))
          expect((yield* Ref.get(published))[0]).toEqual(events[0])
          expect(yield* outbox.relay(100, publish)).toBe(0)
          expect((yield* outbox.lag).pending).toBe(0)
        })
      )

      it.effect("a failed publish marks nothing: the same events go out on the next attempt", () =>
        Effect.gen(function* () {
          const outbox = yield* Outbox
          yield* drain(outbox)
          const events = [anEnvelope(), anEnvelope()]
          yield* outbox.append(events)
          const failed = yield* outbox.relay(100, () => Effect.fail("broker down" as const)).pipe(Effect.flip)
          expect(failed).toBe("broker down")
          expect((yield* outbox.lag).pending).toBe(2)
          const { published, publish } = yield* recorder
          expect(yield* outbox.relay(100, publish)).toBe(2)
          expect((yield* Ref.get(published)).map((e) => e.id)).toEqual(events.map((e) => e.id))
        })
      )

      it.effect("reports the backlog and the age of its oldest event", () =>
        Effect.gen(function* () {
          const outbox = yield* Outbox
          yield* drain(outbox)
          expect(yield* outbox.lag).toEqual({ pending: 0, oldestAgeMs: 0 })
          yield* outbox.append([anEnvelope(undefined, new Date(Date.now() - 5_000)), anEnvelope()])
          const lag = yield* outbox.lag
          expect(lag.pending).toBe(2)
          expect(lag.oldestAgeMs).toBeGreaterThanOrEqual(4_900)
          expect(lag.oldestAgeMs).toBeLessThan(60_000)
        })
      )

      it.effect("a batch takes at most `limit` events, oldest first", () =>
        Effect.gen(function* () {
          const outbox = yield* Outbox
          yield* drain(outbox)
          const aggregate = crypto.randomUUID()
          const events = Array.from({ length: 5 }, () => anEnvelope(aggregate))
          yield* outbox.append(events)
          const { published, publish } = yield* recorder
          expect(yield* outbox.relay(2, publish)).toBe(2)
          expect(yield* outbox.relay(2, publish)).toBe(2)
          expect(yield* outbox.relay(2, publish)).toBe(1)
          expect((yield* Ref.get(published)).map((e) => e.id)).toEqual(events.map((e) => e.id))
        })
      )

      it.effect("relays running at once send every event exactly once, each aggregate's in order", () =>
        Effect.gen(function* () {
          const outbox = yield* Outbox
          yield* drain(outbox)
          const aggregates = Array.from({ length: 12 }, () => crypto.randomUUID())
          const events = Array.from({ length: 240 }, (_, i) => anEnvelope(aggregates[i % aggregates.length]))
          yield* outbox.append(events)
          const { published, publish } = yield* recorder
          const slowPublish = (batch: ReadonlyArray<EventEnvelope>) =>
            Effect.andThen(Effect.sleep("2 millis"), publish(batch))
          const relayUntilEmpty = Effect.gen(function* () {
            let sent = 1
            while (sent > 0) sent = yield* outbox.relay(7, slowPublish)
          })
          yield* Effect.all([relayUntilEmpty, relayUntilEmpty, relayUntilEmpty, relayUntilEmpty], {
            concurrency: "unbounded"
          })
          // A relay that found nothing may stop while another still holds a batch: finish what is left.
          yield* drainWith(outbox, publish)
          const seen = yield* Ref.get(published)
          expect(seen.length).toBe(240)
          expect(new Set(seen.map((e) => e.id)).size).toBe(240)
          for (const aggregate of aggregates) {
            const order = (list: ReadonlyArray<EventEnvelope>) =>
              list.filter((e) => e.aggregateId === aggregate).map((e) => e.id)
            expect(order(seen)).toEqual(order(events))
          }
        })
      )

      it.effect("events sent since a moment can be sent again, in their order", () =>
        Effect.gen(function* () {
          const outbox = yield* Outbox
          yield* drain(outbox)
          const aggregate = crypto.randomUUID()
          const events = [anEnvelope(aggregate), anEnvelope(aggregate)]
          const since = new Date(Date.now() - 1_000)
          yield* outbox.append(events)
          yield* drain(outbox)
          expect(yield* outbox.resendSince(since)).toBeGreaterThanOrEqual(2)
          const { published, publish } = yield* recorder
          yield* drainWith(outbox, publish)
          const again = (yield* Ref.get(published)).filter((e) => e.aggregateId === aggregate).map((e) => e.id)
          expect(again).toEqual(events.map((e) => e.id))
          expect(yield* outbox.resendSince(new Date(Date.now() + 60_000))).toBe(0)
        })
      )

      it.effect("purging forgets sent events only", () =>
        Effect.gen(function* () {
          const outbox = yield* Outbox
          yield* drain(outbox)
          yield* outbox.append([anEnvelope()])
          yield* drain(outbox)
          yield* outbox.append([anEnvelope()])
          expect(yield* outbox.purgeSent(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1)
          expect((yield* outbox.lag).pending).toBe(1)
        })
      )
    })
  })

const drainWith = (
  outbox: Outbox["Service"],
  publish: (events: ReadonlyArray<EventEnvelope>) => Effect.Effect<void>
): Effect.Effect<void> =>
  Effect.flatMap(outbox.relay(500, publish), (n) => (n > 0 ? drainWith(outbox, publish) : Effect.void))

/** Sends whatever earlier tests (or triggers) left, so each test starts from an empty outbox. */
const drain = (outbox: Outbox["Service"]) => drainWith(outbox, () => Effect.void)

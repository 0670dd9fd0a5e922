import { describe, expect, layer } from "@effect/vitest"
import { Effect, type Layer, Option, Ref } from "effect"
import { Inbox } from "../../src/domain/events/Inbox.ts"

/** The Inbox port's contract: an event has one effect per consumer, however often it is delivered. */
export const inboxContract = (name: string, make: Layer.Layer<Inbox>) =>
  describe(`Inbox contract: ${name}`, () => {
    layer(make, { excludeTestServices: true })((it) => {
      it.effect("runs a handler once per consumer and event; a redelivery is dropped", () =>
        Effect.gen(function* () {
          const inbox = yield* Inbox
          const runs = yield* Ref.make(0)
          const event = crypto.randomUUID()
          const handler = Ref.updateAndGet(runs, (n) => n + 1)
          expect(yield* inbox.once("stats", event, handler)).toEqual(Option.some(1))
          expect(yield* inbox.once("stats", event, handler)).toEqual(Option.none())
          expect(yield* inbox.once("mail", event, handler)).toEqual(Option.some(2))
          expect(yield* Ref.get(runs)).toBe(2)
        })
      )

      it.effect("a failed handler records nothing, so the retry runs it", () =>
        Effect.gen(function* () {
          const inbox = yield* Inbox
          const event = crypto.randomUUID()
          const failure = yield* inbox.once("stats", event, Effect.fail("boom" as const)).pipe(Effect.flip)
          expect(failure).toBe("boom")
          expect(yield* inbox.once("stats", event, Effect.succeed("ran"))).toEqual(Option.some("ran"))
        })
      )

      it.effect("an effect outside the database runs once per consumer and event, and is recorded after it", () =>
        Effect.gen(function* () {
          const inbox = yield* Inbox
          const runs = yield* Ref.make(0)
          const event = crypto.randomUUID()
          const handler = Ref.updateAndGet(runs, (n) => n + 1)
          expect(yield* inbox.onceAfter("mail", event, handler)).toEqual(Option.some(1))
          expect(yield* inbox.onceAfter("mail", event, handler)).toEqual(Option.none())
          // The same inbox: a handler recorded one way is not run again the other way.
          expect(yield* inbox.once("mail", event, handler)).toEqual(Option.none())
          const failed = crypto.randomUUID()
          expect(yield* inbox.onceAfter("mail", failed, Effect.fail("smtp down" as const)).pipe(Effect.flip)).toBe(
            "smtp down"
          )
          expect(yield* inbox.onceAfter("mail", failed, handler)).toEqual(Option.some(2))
          expect(yield* Ref.get(runs)).toBe(2)
        })
      )

      it.effect("concurrent deliveries of one event to an effect outside the database: one runs", () =>
        Effect.gen(function* () {
          const inbox = yield* Inbox
          const runs = yield* Ref.make(0)
          const event = crypto.randomUUID()
          const handler = Effect.andThen(
            Effect.sleep("20 millis"),
            Ref.updateAndGet(runs, (n) => n + 1)
          )
          const results = yield* Effect.all(
            Array.from({ length: 8 }, () => inbox.onceAfter("mail", event, handler)),
            { concurrency: "unbounded" }
          )
          expect(results.filter(Option.isSome).length).toBe(1)
          expect(yield* Ref.get(runs)).toBe(1)
        })
      )

      it.effect("concurrent deliveries of one event: exactly one handler runs", () =>
        Effect.gen(function* () {
          const inbox = yield* Inbox
          const runs = yield* Ref.make(0)
          const event = crypto.randomUUID()
          const handler = Effect.andThen(
            Effect.sleep("20 millis"),
            Ref.update(runs, (n) => n + 1)
          )
          const results = yield* Effect.all(
            Array.from({ length: 8 }, () => inbox.once("stats", event, handler)),
            { concurrency: "unbounded" }
          )
          expect(results.filter(Option.isSome).length).toBe(1)
          expect(yield* Ref.get(runs)).toBe(1)
        })
      )
    })
  })

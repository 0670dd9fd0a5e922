import { Effect, Layer, Option, Ref, Semaphore } from "effect"
import { Inbox } from "../../domain/events/Inbox.ts"
import { inFlightOnce } from "./InFlight.ts"

/** The inbox in memory: handlers of one consumer run one at a time, as a transaction would serialise them. */
export const InboxMemory = Layer.effect(
  Inbox,
  Effect.gen(function* () {
    const handled = yield* Ref.make(new Set<string>())
    const lock = yield* Semaphore.make(1)
    const inFlight = inFlightOnce()
    return Inbox.of({
      onceAfter: (consumer, eventId, effect) =>
        inFlight(
          `${consumer}/${eventId}`,
          Effect.gen(function* () {
            const key = `${consumer}/${eventId}`
            if ((yield* Ref.get(handled)).has(key)) return Option.none()
            const result = yield* effect
            yield* Ref.update(handled, (set) => new Set(set).add(key))
            return Option.some(result)
          })
        ),
      once: (consumer, eventId, effect) =>
        lock.withPermits(1)(
          Effect.gen(function* () {
            const key = `${consumer}/${eventId}`
            if ((yield* Ref.get(handled)).has(key)) return Option.none()
            const result = yield* effect
            yield* Ref.update(handled, (set) => new Set(set).add(key))
            return Option.some(result)
          })
        )
    })
  })
)

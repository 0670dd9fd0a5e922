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
    /** Runs `effect` unless `key` was handled, then records it: none when it had been handled already. */
    const unlessHandled = <A, E, R>(key: string, effect: Effect.Effect<A, E, R>) =>
      Effect.gen(function* () {
        if ((yield* Ref.get(handled)).has(key)) return Option.none<A>()
        const result = yield* effect
        yield* Ref.update(handled, (set) => new Set(set).add(key))
        return Option.some(result)
      })
    return Inbox.of({
      onceAfter: (consumer, eventId, effect) =>
        inFlight(`${consumer}/${eventId}`, unlessHandled(`${consumer}/${eventId}`, effect)),
      once: (consumer, eventId, effect) => lock.withPermits(1)(unlessHandled(`${consumer}/${eventId}`, effect))
    })
  })
)

import { Effect, Layer, Ref, Semaphore } from "effect"
import type { EventEnvelope } from "../../domain/events/EventEnvelope.ts"
import { Outbox } from "../../domain/events/Outbox.ts"

interface Entry {
  readonly envelope: EventEnvelope
  readonly sentAt: Date | null
}

/** The outbox in memory: one relay at a time, events in the order they were appended. */
export const OutboxMemory = Layer.effect(
  Outbox,
  Effect.gen(function* () {
    const entries = yield* Ref.make<ReadonlyArray<Entry>>([])
    const relayLock = yield* Semaphore.make(1)
    return Outbox.of({
      append: (events) =>
        Ref.update(entries, (current) => [...current, ...events.map((envelope) => ({ envelope, sentAt: null }))]),
      relay: (limit, publish) =>
        relayLock.withPermits(1)(
          Effect.gen(function* () {
            const batch = (yield* Ref.get(entries)).filter((e) => e.sentAt === null).slice(0, limit)
            if (batch.length === 0) return 0
            yield* publish(batch.map((e) => e.envelope))
            const sent = new Set(batch.map((e) => e.envelope.id))
            const at = new Date()
            yield* Ref.update(entries, (current) =>
              current.map((e) => (sent.has(e.envelope.id) ? { ...e, sentAt: at } : e))
            )
            return batch.length
          })
        ),
      lag: Effect.map(Ref.get(entries), (current) => {
        const pending = current.filter((e) => e.sentAt === null)
        const oldest = pending[0]?.envelope.occurredAt.getTime()
        return { pending: pending.length, oldestAgeMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest) }
      }),
      resendSince: (since) =>
        Ref.modify(entries, (current) => {
          const again = current.filter((e) => e.sentAt !== null && e.sentAt >= since).length
          return [again, current.map((e) => (e.sentAt !== null && e.sentAt >= since ? { ...e, sentAt: null } : e))]
        }),
      purgeSent: (olderThan) =>
        Ref.modify(entries, (current) => {
          const kept = current.filter((e) => e.sentAt === null || e.sentAt >= olderThan)
          return [current.length - kept.length, kept]
        })
    })
  })
)

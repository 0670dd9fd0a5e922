import { Cache, Context, Duration, Effect, Exit, Layer, Option } from "effect"
import type { Event } from "../../domain/catalog/Event.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import type { TicketType } from "../../domain/catalog/TicketType.ts"
import type { EventId } from "../../domain/shared/Ids.ts"

export interface CatalogSnapshot {
  readonly event: Event
  readonly ticketTypes: ReadonlyArray<TicketType>
}

/**
 * What the hold path reads about an event (status, sales window, ticket types, prices, limits), kept in process for a
 * second: a flash sale reads it thousands of times per second and it almost never changes. PostgreSQL re-checks
 * what matters (on sale, capacity) inside the hold itself, and a refusal is re-planned on a fresh snapshot, so a
 * stale snapshot can delay a sale by at most that second, never oversell. A failed read is not kept.
 */
export class CatalogSnapshots extends Context.Service<CatalogSnapshots>()("goticket/CatalogSnapshots", {
  make: Effect.gen(function* () {
    const events = yield* EventRepository
    const load = Effect.fnUntraced(function* (eventId: EventId) {
      const event = yield* events.findById(eventId)
      if (Option.isNone(event)) return Option.none<CatalogSnapshot>()
      return Option.some<CatalogSnapshot>({ event: event.value, ticketTypes: yield* events.listTicketTypes(eventId) })
    })
    const cache = yield* Cache.makeWith(load, {
      capacity: 10_000,
      timeToLive: (exit) => (Exit.isSuccess(exit) ? Duration.seconds(1) : Duration.zero)
    })
    return {
      get: (eventId: EventId) => Cache.get(cache, eventId),
      fresh: (eventId: EventId) => Effect.andThen(Cache.invalidate(cache, eventId), Cache.get(cache, eventId)),
      /** The event's ticket types as they are now, read past the memo (which stays as it is). */
      ticketTypesNow: (eventId: EventId) => events.listTicketTypes(eventId)
    } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

import { Context, type Effect, type Option } from "effect"

/** The public views of an event that may be served from the cache. */
export type CachedView = "detail" | "seats"

/**
 * Port: a fast, possibly stale view of inventory in front of PostgreSQL (Redis in production).
 * It may only ever cost speed: a missing or stale entry sends the caller to the database, never to a wrong answer
 * that sticks. Failures of the store are swallowed by the adapter (reads miss, writes are skipped).
 */
export interface InventoryCacheShape {
  /** The first of these ticket types that is flagged sold out, if any. */
  readonly soldOut: (ticketTypeIds: ReadonlyArray<string>) => Effect.Effect<Option.Option<string>>
  /** Flags a ticket type sold out for a short while (the flag expires by itself, so a missed clear heals). */
  readonly markSoldOut: (ticketTypeId: string) => Effect.Effect<void>
  readonly clearSoldOut: (ticketTypeIds: ReadonlyArray<string>) => Effect.Effect<void>
  /**
   * Marks an Idempotency-Key as used by this customer, before its hold is placed, so that a retry of it is never
   * refused by the sold-out flag. Reading answers `unknown` when the store cannot say (it is down).
   */
  readonly markKey: (customerId: string, key: string, ttlMs: number) => Effect.Effect<void>
  readonly keyMarked: (customerId: string, key: string) => Effect.Effect<"marked" | "absent" | "unknown">
  /** A cached, serialised public view of an event. */
  readonly getView: (eventId: string, view: CachedView) => Effect.Effect<Option.Option<string>>
  readonly putView: (eventId: string, view: CachedView, json: string) => Effect.Effect<void>
  /** Forgets every cached view of the event: called after any change to its inventory or details. */
  readonly invalidate: (eventId: string) => Effect.Effect<void>
}

export class InventoryCache extends Context.Service<InventoryCache, InventoryCacheShape>()("goticket/InventoryCache") {}

/** How long entries live: a sold-out flag briefly (it is re-set by the next refusal), views a little longer. */
export interface InventoryCacheTtl {
  readonly soldOutMs: number
  readonly viewMs: number
}

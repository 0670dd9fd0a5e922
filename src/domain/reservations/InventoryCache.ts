import { Context, Effect, Layer, type Option } from "effect"
import { type LiveKey, ReservationRepository } from "./ReservationRepository.ts"

/** The public views of an event that may be served from the cache. */
export type CachedView = "detail" | "seats"

/** What `keyMarked` says of a key: marked, known absent, or not known (the database decides). */
export type KeyMark = "marked" | "absent" | "unknown"

/**
 * The gate of a hold: `Open` (no ticket type asked for is flagged sold out; the key's mark was written, or not, as
 * `markKey` answers), or `SoldOut` (the first flagged type, with what `keyMarked` says of the key; nothing written).
 */
export type HoldGate =
  | { readonly _tag: "Open"; readonly marked: boolean }
  | { readonly _tag: "SoldOut"; readonly ticketTypeId: string; readonly key: KeyMark }

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
   * refused by the sold-out flag. Answers whether the mark was written: when it was not (the store is down or slow),
   * the caller must call `distrustMarks` once the hold was placed or refused, whatever the outcome (once for each
   * `false`).
   */
  readonly markKey: (customerId: string, key: string, ttlMs: number) => Effect.Effect<boolean>
  /**
   * `absent` only while the marks are known complete: the store kept every mark since they were last rebuilt from
   * the database, and no mark write failed since. Otherwise `unknown` (the store is down, restarted, flushed, or a
   * mark could not be written), so that the database decides; the adapter then rebuilds the marks from
   * `KeyMarkSource` (one rebuild across processes) and answers `absent` again once it is done.
   */
  readonly keyMarked: (customerId: string, key: string) => Effect.Effect<KeyMark>
  /**
   * `soldOut`, then `markKey` or `keyMarked`, as one step (one round trip to the store): a ticket type flagged sold
   * out answers `SoldOut` with what `keyMarked` says of the key, and marks nothing; otherwise the key is marked as
   * `markKey` marks it (a `marked: false` obliges the caller to `distrustMarks` after the hold, as `markKey` does).
   */
  readonly gateHold: (
    ticketTypeIds: ReadonlyArray<string>,
    customerId: string,
    key: string,
    ttlMs: number
  ) => Effect.Effect<HoldGate>
  /**
   * After a hold whose mark could not be written was placed (or refused): its key may be in the database without a
   * mark, so the marks are not trusted (for every process) until they are rebuilt from the database. Called after
   * the hold's transaction, never before, so that the rebuild it triggers sees the key.
   */
  readonly distrustMarks: Effect.Effect<void>
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

/**
 * Port: where an InventoryCache rebuilds its key marks from when it lost them: the database's live hold keys, `limit`
 * at a time after `after` (in `ReservationRepository.liveKeys` order).
 */
export class KeyMarkSource extends Context.Service<
  KeyMarkSource,
  { readonly liveKeys: (after: LiveKey | undefined, limit: number) => Effect.Effect<ReadonlyArray<LiveKey>> }
>()("goticket/KeyMarkSource") {
  /** The live keys as the ReservationRepository has them. */
  static readonly fromRepository = Layer.effect(
    this,
    Effect.map(ReservationRepository, (repository) => ({ liveKeys: repository.liveKeys }))
  )
}

import { Context, type Effect, type Option } from "effect"
import type { EventId, ReservationId, UserId } from "../shared/Ids.ts"
import type { SeatCandidate } from "./BestAvailable.ts"
import type { HoldRefused } from "./errors.ts"
import type { Reservation } from "./Reservation.ts"

export interface PlaceHold {
  readonly reservationId: ReservationId
  readonly customerId: UserId
  readonly eventId: EventId
  /** General admission quantities, or… */
  readonly items?: ReadonlyArray<{ readonly ticketTypeId: string; readonly quantity: number }> | undefined
  /** …the exact seats, all or nothing. */
  readonly seatIds?: ReadonlyArray<string> | undefined
  /** The ticket types of `seatIds` (in any order, repeats allowed), when known: the rows a hold of seats ends on. */
  readonly seatTypeIds?: ReadonlyArray<string> | undefined
  readonly expiresAt: Date
  /** Tickets one customer may hold or own for this event, checked atomically with the hold. */
  readonly customerLimit: number
  readonly idempotency?: { readonly key: string; readonly requestHash: string; readonly expiresAt: Date } | undefined
}

export type PlaceOutcome =
  | { readonly _tag: "Held"; readonly reservation: Reservation }
  | { readonly _tag: "Replayed"; readonly reservation: Reservation }
  | { readonly _tag: "KeyReused" }
  | { readonly _tag: "Refused"; readonly reason: HoldRefused }

/** A live Idempotency-Key of a hold, as the source of truth records it: what a cache's key mark stands for. */
export interface LiveKey {
  readonly customerId: string
  readonly key: string
  readonly expiresAt: Date
}

/** A hold that just ended, with what a cache must forget. */
export interface EndedHold {
  readonly id: ReservationId
  readonly eventId: EventId
  readonly ticketTypeIds: ReadonlyArray<string>
}

/**
 * Port: the inventory's source of truth. `place` is atomic: every unit and seat of a hold is taken, the
 * per-customer count raised and the idempotency key recorded together, or nothing is. Ending a hold is
 * idempotent: only active holds end, and they give back exactly what they took.
 */
export interface ReservationRepositoryShape {
  readonly place: (hold: PlaceHold) => Effect.Effect<PlaceOutcome>
  readonly findById: (id: ReservationId) => Effect.Effect<Option.Option<Reservation>>
  /**
   * Takes a discount (a voucher's) off an active hold's total, never below zero: the hold as it is now; none when it
   * is not active (ended, or no such hold), and then nothing changes.
   */
  readonly discount: (id: ReservationId, amountMinor: number) => Effect.Effect<Option.Option<Reservation>>
  /** Ends the given active holds (of `customerId` only, when given) as released or expired. */
  readonly end: (
    ids: ReadonlyArray<ReservationId>,
    status: "released" | "expired",
    customerId?: UserId
  ) => Effect.Effect<ReadonlyArray<EndedHold>>
  /** Expires up to `limit` active holds due at `now`, skipping any another worker is ending. */
  readonly expireDue: (
    now: Date,
    limit: number
  ) => Effect.Effect<{ readonly ended: ReadonlyArray<EndedHold>; readonly maxLagMs: number }>
  /** Whether this customer's Idempotency-Key is live (recorded and not expired): a retry must reach `place` to replay. */
  readonly hasLiveKey: (customerId: UserId, key: string) => Effect.Effect<boolean>
  /**
   * Up to `limit` live hold Idempotency-Keys (not expired), after `after` in a stable order (customer, then key):
   * paging from `undefined` until a short page lists every live key once.
   */
  readonly liveKeys: (after: LiveKey | undefined, limit: number) => Effect.Effect<ReadonlyArray<LiveKey>>
  /** Forgets up to `limit` Idempotency-Keys that expired by `now`; returns how many. */
  readonly purgeExpiredKeys: (now: Date, limit: number) => Effect.Effect<number>
  /** Available seats of a seated ticket type (optionally one section), in venue order; the first `limit` if given. */
  readonly availableSeats: (
    eventId: EventId,
    ticketTypeId: string,
    sectionId?: string,
    limit?: number
  ) => Effect.Effect<ReadonlyArray<SeatCandidate>>
  /** The ticket type of each of these seats of the event (unknown seats are left out). */
  readonly seatTypes: (
    eventId: EventId,
    seatIds: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<{ readonly seatId: string; readonly ticketTypeId: string }>>
}

export class ReservationRepository extends Context.Service<ReservationRepository, ReservationRepositoryShape>()(
  "goticket/ReservationRepository"
) {}

import { Context, type Effect, type Option } from "effect"
import type { EventId, ReservationId } from "../shared/Ids.ts"
import type { Voucher, VoucherId } from "./Voucher.ts"

/** Redemptions and discount given for one event. */
export interface VoucherTotals {
  readonly redemptions: number
  readonly discountMinor: number
}

/**
 * Port: vouchers and their redemptions. A redemption belongs to one hold (and the order opened for it); it is taken
 * atomically against `maxRedemptions` (never more, however many holds race for the last one), and given back when
 * the hold ends without an order or its order is cancelled before it is paid.
 */
export interface VoucherRepositoryShape {
  /** Stores new vouchers; false (nothing stored) when a code is taken already at this event. */
  readonly insertAll: (vouchers: ReadonlyArray<Voucher>) => Effect.Effect<boolean>
  /** The voucher of this event with this (normalised) code. */
  readonly findByCode: (eventId: EventId, code: string) => Effect.Effect<Option.Option<Voucher>>
  /** The event's vouchers with their redemption counts, oldest first. */
  readonly listForEvent: (eventId: EventId) => Effect.Effect<ReadonlyArray<Voucher>>
  /**
   * Takes one redemption of the voucher for this hold if one is left: true when taken (or the hold has it already),
   * false when the voucher is used up.
   */
  readonly redeem: (voucherId: VoucherId, reservationId: ReservationId, at: Date) => Effect.Effect<boolean>
  /** Records the discount the hold got with its redemption. */
  readonly recordDiscount: (reservationId: ReservationId, discountMinor: number) => Effect.Effect<void>
  /** Gives back the redemptions of these holds (those that have one); returns how many. Giving back again is harmless. */
  readonly giveBack: (reservationIds: ReadonlyArray<ReservationId>) => Effect.Effect<number>
  /** Redemptions held now, and the discount they give, for one event. */
  readonly totalsForEvent: (eventId: EventId) => Effect.Effect<VoucherTotals>
}

export class VoucherRepository extends Context.Service<VoucherRepository, VoucherRepositoryShape>()(
  "goticket/VoucherRepository"
) {}

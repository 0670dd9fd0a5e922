import { Context, type Effect } from "effect"
import type { PlaceHold, PlaceOutcome } from "../reservations/ReservationRepository.ts"
import type { VoucherId } from "./Voucher.ts"

/**
 * Port: holds placed with a voucher that withholds units (a reserved quota, a waiting-list offer). Atomic as any
 * hold: the units of the voucher's ticket type come out of the voucher's withheld pool (refused as sold out when the
 * pool has fewer, or when the voucher belongs to another account), the rest from the public sale; when the hold ends
 * without an order, or its order is cancelled unpaid, they go back to the pool, not to the public.
 */
export interface WithheldHoldsShape {
  readonly place: (hold: PlaceHold, voucherId: VoucherId) => Effect.Effect<PlaceOutcome>
}

export class WithheldHolds extends Context.Service<WithheldHolds, WithheldHoldsShape>()("goticket/WithheldHolds") {}

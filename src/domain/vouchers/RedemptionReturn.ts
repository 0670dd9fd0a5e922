import type { OrderStatus } from "../orders/Order.ts"
import type { ReservationStatus } from "../reservations/Reservation.ts"

/*
 * When a voucher redemption is given back (its voucher may be redeemed again): the rule the in-memory repositories
 * call, and that the triggers of migrations/0020_vouchers.sql state in SQL. A redemption belongs to one hold and the
 * order opened for it; it is given back when that purchase ends without being paid, and kept once it is paid.
 */

/** A hold that ends without an order (released by its customer, a cancelled checkout or an erasure; expired). */
export const holdEndGivesBack = (from: ReservationStatus, to: ReservationStatus): boolean =>
  from === "active" && (to === "released" || to === "expired")

/** An order cancelled before it was paid (its hold may have been converted already). A paid order keeps it. */
export const orderEndGivesBack = (from: OrderStatus, to: OrderStatus): boolean =>
  from === "pending_payment" && to === "cancelled"

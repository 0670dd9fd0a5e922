import type { Reservation, ReservationStatus } from "./Reservation.ts"

/*
 * Ending a hold (released by its customer or by a cancelled checkout, expired by the clock): the rule the in-memory
 * repositories call, and that end_holds states in SQL (migrations/0024_hold_time_from_caller.sql, the lock order of
 * 0011_lock_order.sql), both at the time their caller passes.
 */

/** Whether a hold is ended by a release or an expiry asked for it: only an active one, of the named customer if any. */
export const endsNow = (
  hold: { readonly status: ReservationStatus; readonly customerId: string },
  customerId?: string | undefined
): boolean => hold.status === "active" && (customerId === undefined || hold.customerId === customerId)

/**
 * Whether the expiry job ends a hold: active and past its expiry, checked again when it ends it (a checkout may just
 * have extended it).
 */
export const isDue = (hold: { readonly status: ReservationStatus; readonly expiresAt: Date }, now: Date): boolean =>
  hold.status === "active" && hold.expiresAt.getTime() <= now.getTime()

/**
 * What an ended hold gives back to sale: units per ticket type (its general admission items, one per seat), in ticket
 * type id order, its seats, and its tickets from the customer's count against the per-customer limit.
 */
export const givenBack = (
  hold: Pick<Reservation, "items" | "seats" | "tickets">
): {
  readonly units: ReadonlyArray<readonly [string, number]>
  readonly seatIds: ReadonlyArray<string>
  readonly tickets: number
} => {
  const units = new Map<string, number>()
  for (const item of hold.items) units.set(item.ticketTypeId, (units.get(item.ticketTypeId) ?? 0) + item.quantity)
  for (const seat of hold.seats) units.set(seat.ticketTypeId, (units.get(seat.ticketTypeId) ?? 0) + 1)
  return {
    units: [...units].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    seatIds: hold.seats.map((s) => s.seatId),
    tickets: hold.tickets
  }
}

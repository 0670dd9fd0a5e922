import { Schema } from "effect"
import { EventId, ReservationId, SeatId, TicketTypeId, UserId } from "../shared/Ids.ts"
import { Currency } from "../shared/Money.ts"

/**
 * A hold's life: active → released (by its customer) | expired (by the clock) | converted (paid, by checkout).
 * Only an active hold counts against inventory; every other state is final.
 */
export const ReservationStatus = Schema.Literals(["active", "released", "expired", "converted"])
export type ReservationStatus = typeof ReservationStatus.Type

export const ReservationItem = Schema.Struct({
  ticketTypeId: TicketTypeId,
  quantity: Schema.Int,
  unitPriceMinor: Schema.Int
})

export const ReservedSeat = Schema.Struct({
  seatId: SeatId,
  ticketTypeId: TicketTypeId,
  unitPriceMinor: Schema.Int,
  section: Schema.String,
  row: Schema.String,
  label: Schema.String
})

export class Reservation extends Schema.Class<Reservation>("Reservation")({
  id: ReservationId,
  customerId: UserId,
  eventId: EventId,
  status: ReservationStatus,
  tickets: Schema.Int,
  totalMinor: Schema.Int,
  currency: Currency,
  expiresAt: Schema.DateFromString,
  createdAt: Schema.DateFromString,
  endedAt: Schema.NullOr(Schema.DateFromString),
  items: Schema.Array(ReservationItem),
  seats: Schema.Array(ReservedSeat)
}) {}

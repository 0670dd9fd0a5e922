import { Schema } from "effect"
import { EventId, ReservationId, SeatId, TicketTypeId, UserId } from "../shared/Ids.ts"
import { Currency, MinorAmount, MinorUnits } from "../shared/Money.ts"
import { Timestamp } from "../shared/Text.ts"

/** How many tickets: a whole number, at least one. */
const TicketCount = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/**
 * A hold's life: active → released (by its customer) | expired (by the clock) | converted (paid, by checkout).
 * Only an active hold counts against inventory; every other state is final.
 */
export const ReservationStatus = Schema.Literals(["active", "released", "expired", "converted"])
export type ReservationStatus = typeof ReservationStatus.Type

export const ReservationItem = Schema.Struct({
  ticketTypeId: TicketTypeId,
  quantity: TicketCount,
  unitPriceMinor: MinorUnits
})

export const ReservedSeat = Schema.Struct({
  seatId: SeatId,
  ticketTypeId: TicketTypeId,
  unitPriceMinor: MinorUnits,
  section: Schema.String,
  row: Schema.String,
  label: Schema.String
})

export class Reservation extends Schema.Class<Reservation>("Reservation")({
  id: ReservationId,
  customerId: UserId,
  eventId: EventId,
  status: ReservationStatus,
  tickets: TicketCount,
  totalMinor: MinorAmount,
  currency: Currency,
  expiresAt: Timestamp,
  createdAt: Timestamp,
  endedAt: Schema.NullOr(Timestamp),
  items: Schema.Array(ReservationItem),
  seats: Schema.Array(ReservedSeat)
}) {}

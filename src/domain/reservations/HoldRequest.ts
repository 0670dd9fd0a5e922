import { Schema } from "effect"
import { EventId, SeatId, SectionId, TicketTypeId } from "../shared/Ids.ts"
import { VoucherCodeInput } from "../vouchers/Voucher.ts"

export const MAX_ITEMS_PER_HOLD = 20

const Quantity = Schema.Int.annotate({ description: "How many tickets, 1 to 100" }).check(
  Schema.isBetween({ minimum: 1, maximum: 100 }, { message: "must be a whole number from 1 to 100" })
)

/** A voucher code for a discount on the hold (optional). */
const voucherCode = Schema.optionalKey(VoucherCodeInput)

/** General admission: quantities of one or more ticket types. */
export const GeneralAdmissionHold = Schema.Struct({
  eventId: EventId,
  items: Schema.Array(Schema.Struct({ ticketTypeId: TicketTypeId, quantity: Quantity })).check(
    Schema.isMinLength(1),
    Schema.isMaxLength(MAX_ITEMS_PER_HOLD)
  ),
  voucherCode
})

/** Chosen seats, all or nothing. */
export const ChosenSeatsHold = Schema.Struct({
  eventId: EventId,
  seats: Schema.Array(SeatId).check(Schema.isMinLength(1), Schema.isMaxLength(100)),
  voucherCode
})

/** The best seats the venue has for a ticket type: adjacent in one row, or scattered only if allowed. */
export const BestAvailableHold = Schema.Struct({
  eventId: EventId,
  bestAvailable: Schema.Struct({
    ticketTypeId: TicketTypeId,
    quantity: Quantity,
    sectionId: Schema.optionalKey(SectionId),
    allowSeparated: Schema.optionalKey(
      Schema.Boolean.annotate({
        description: "If no block of adjacent seats is left, accept the best seats that are not together"
      })
    )
  }),
  voucherCode
})

export const HoldRequest = Schema.Union([GeneralAdmissionHold, ChosenSeatsHold, BestAvailableHold])
export type HoldRequest = typeof HoldRequest.Type

import { Schema } from "effect"
import { AttendeeNamesPolicy } from "../orders/AttendeeNames.ts"
import { withDefault } from "../shared/Defaults.ts"
import { EventId, TicketTypeId } from "../shared/Ids.ts"
import { Currency, MinorUnits } from "../shared/Money.ts"
import { BoundedText } from "../shared/Text.ts"

export const MAX_PER_ORDER_LIMIT = 100
export const DEFAULT_MAX_PER_ORDER = 10

export const Capacity = Schema.Int.annotate({
  description: "How many tickets of this type are for sale in all, 0 to 1000000 (a seated type: set by its seats)"
}).check(Schema.isBetween({ minimum: 0, maximum: 1_000_000 }, { message: "must be an integer between 0 and 1000000" }))
export const MaxPerOrder = Schema.Int.annotate({
  description: `The most tickets of this type one order may hold, 1 to ${MAX_PER_ORDER_LIMIT} (default ${DEFAULT_MAX_PER_ORDER})`
}).check(
  Schema.isBetween(
    { minimum: 1, maximum: MAX_PER_ORDER_LIMIT },
    { message: `must be an integer between 1 and ${MAX_PER_ORDER_LIMIT}` }
  )
)

/**
 * A price category. `held`, `sold` and `withheld` are counted in the same row as `capacity`, so that the database can
 * guard `held + sold <= capacity` on every change. A seated type's capacity is its number of seats.
 */
export class TicketType extends Schema.Class<TicketType>("TicketType")({
  id: TicketTypeId,
  eventId: EventId,
  name: BoundedText(120),
  priceMinor: MinorUnits,
  currency: Currency,
  capacity: Capacity,
  maxPerOrder: MaxPerOrder,
  seated: Schema.Boolean,
  held: Schema.Int,
  sold: Schema.Int,
  createdAt: Schema.DateFromString,
  /**
   * Units withheld from the public sale for vouchers (reserved quotas, waiting-list offers): unavailable to anyone
   * without the voucher (migrations/0027_withheld_units_waiting_list.sql).
   */
  withheld: withDefault(Schema.Int, () => 0),
  /** Whether checkout asks for one attendee name per ticket of this type (AttendeeNames). */
  attendeeNames: withDefault(AttendeeNamesPolicy, () => "off" as const)
}) {
  /** What the public can still take: withheld units are not available. */
  get available(): number {
    return Math.max(0, this.capacity - this.held - this.sold - this.withheld)
  }
}

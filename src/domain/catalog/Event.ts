import { Schema } from "effect"
import { withDefault } from "../shared/Defaults.ts"
import { EventId, UserId } from "../shared/Ids.ts"
import { BoundedText, Timestamp, TimeZoneName } from "../shared/Text.ts"

/**
 * draft → published → (cancelled | ended); draft → cancelled.
 * `ended` is not stored: a published event whose end has passed reads as ended (see EventRules.statusAt).
 */
export const EventStatus = Schema.Literals(["draft", "published", "cancelled", "ended"])
export type EventStatus = typeof EventStatus.Type

/** The event's refund policy: customers may refund until this many hours before it starts (0 to a year). */
export const RefundCutoffHours = Schema.Int.check(
  Schema.isBetween({ minimum: 0, maximum: 8760 }, { message: "must be a whole number of hours between 0 and 8760" })
).annotate({
  description:
    "Customers may refund their tickets until this many hours before the event starts (null: the platform default)"
})

export class Venue extends Schema.Class<Venue>("Venue")({
  name: BoundedText(200),
  address: Schema.NullOr(BoundedText(500)),
  timezone: TimeZoneName
}) {}

export class Event extends Schema.Class<Event>("Event")({
  id: EventId,
  organizerId: UserId,
  title: BoundedText(200),
  description: Schema.NullOr(Schema.String.check(Schema.isMaxLength(10_000))),
  venue: Venue,
  startsAt: Timestamp,
  endsAt: Schema.NullOr(Timestamp),
  salesStartAt: Schema.NullOr(Timestamp),
  salesEndAt: Schema.NullOr(Timestamp),
  status: EventStatus,
  /** 1 when created, one more at each change: the optimistic lock of an update. */
  version: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  publishedAt: Schema.NullOr(Timestamp),
  cancelledAt: Schema.NullOr(Timestamp),
  /**
   * The event's refund policy: customers may refund their own tickets until this many hours before it starts.
   * Null: the platform's default (CUSTOMER_REFUND_CUTOFF_HOURS). Organizers may refund at any time.
   */
  refundCutoffHours: withDefault(Schema.NullOr(RefundCutoffHours), () => null)
}) {}

/** The schedule fields an organizer sets; the rules check them together. */
export interface Schedule {
  readonly startsAt: Date
  readonly endsAt: Date | null
  readonly salesStartAt: Date | null
  readonly salesEndAt: Date | null
}

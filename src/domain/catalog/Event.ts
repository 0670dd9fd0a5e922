import { Schema } from "effect"
import { withDefault } from "../shared/Defaults.ts"
import { EventId, UserId } from "../shared/Ids.ts"
import { BoundedText, TimeZoneName } from "../shared/Text.ts"

/**
 * draft → published → (cancelled | ended); draft → cancelled.
 * `ended` is not stored: a published event whose end has passed reads as ended (see EventRules.statusAt).
 */
export const EventStatus = Schema.Literals(["draft", "published", "cancelled", "ended"])
export type EventStatus = typeof EventStatus.Type

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
  startsAt: Schema.DateFromString,
  endsAt: Schema.NullOr(Schema.DateFromString),
  salesStartAt: Schema.NullOr(Schema.DateFromString),
  salesEndAt: Schema.NullOr(Schema.DateFromString),
  status: EventStatus,
  version: Schema.Int,
  createdAt: Schema.DateFromString,
  updatedAt: Schema.DateFromString,
  publishedAt: Schema.NullOr(Schema.DateFromString),
  cancelledAt: Schema.NullOr(Schema.DateFromString),
  /**
   * The event's refund policy: customers may refund their own tickets until this many hours before it starts.
   * Null: the platform's default (CUSTOMER_REFUND_CUTOFF_HOURS). Organizers may refund at any time.
   */
  refundCutoffHours: withDefault(Schema.NullOr(Schema.Int), () => null)
}) {}

/** The schedule fields an organizer sets; the rules check them together. */
export interface Schedule {
  readonly startsAt: Date
  readonly endsAt: Date | null
  readonly salesStartAt: Date | null
  readonly salesEndAt: Date | null
}

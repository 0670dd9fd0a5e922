import { Schema } from "effect"

export class EventNotFound extends Schema.TaggedError<EventNotFound>()("EventNotFound", {
  message: Schema.String
}) {
  static readonly forId = (eventId: string) => new EventNotFound({ message: `No event with id ${eventId}` })
}

export class TicketTypeNotFound extends Schema.TaggedError<TicketTypeNotFound>()("TicketTypeNotFound", {
  message: Schema.String
}) {}

/** A domain rule said no: the `rule` names which one, the message says why in words. */
export class EventRuleViolation extends Schema.TaggedError<EventRuleViolation>()("EventRuleViolation", {
  rule: Schema.String,
  message: Schema.String
}) {}

/** Someone else changed the event between our read and our write; the client can retry. */
export class EventChangedConcurrently extends Schema.TaggedError<EventChangedConcurrently>()(
  "EventChangedConcurrently",
  { message: Schema.String }
) {}

export class CapacityBelowCommitted extends Schema.TaggedError<CapacityBelowCommitted>()("CapacityBelowCommitted", {
  message: Schema.String,
  committed: Schema.Int
}) {}

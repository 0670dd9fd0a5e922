import { Effect, Schema } from "effect"
import { Uuid } from "../shared/Ids.ts"
import { AggregateType, DomainEvent, EventType } from "./DomainEvents.ts"

/**
 * A domain event as it travels: written to the outbox with the state change, published to the bus, handled by
 * consumers. `version` is the payload's schema version; `traceparent` (W3C) is the request that caused it.
 */
export class EventEnvelope extends Schema.Class<EventEnvelope>("EventEnvelope")({
  /** Unique per event; redeliveries carry the same id, and consumers drop what they have seen by it. */
  id: Uuid,
  type: EventType,
  version: Schema.Int.check(Schema.isGreaterThan(0)),
  occurredAt: Schema.DateFromString,
  aggregateType: AggregateType,
  aggregateId: Uuid,
  payload: Schema.Unknown,
  traceparent: Schema.NullOr(Schema.String)
}) {}

/** The envelope's wire form (JSON): what the bus carries and what other services read. */
export const EnvelopeJson = Schema.fromJsonString(EventEnvelope)

/** Versions of each event type this code understands. */
export const CurrentVersion = 1

export class UnreadableEvent extends Schema.TaggedError<UnreadableEvent>()("UnreadableEvent", {
  eventId: Schema.String,
  message: Schema.String
}) {}

const decodeDomainEvent = Schema.decodeUnknownEffect(DomainEvent)

/** The envelope's payload as its domain event, checked against the schema of its type and version. */
export const payloadOf = (envelope: EventEnvelope): Effect.Effect<DomainEvent, UnreadableEvent> =>
  envelope.version !== CurrentVersion
    ? Effect.fail(
        new UnreadableEvent({ eventId: envelope.id, message: `${envelope.type} v${envelope.version} is not known` })
      )
    : decodeDomainEvent({ ...(envelope.payload as object), _tag: envelope.type }).pipe(
        Effect.mapError((error) => new UnreadableEvent({ eventId: envelope.id, message: error.message }))
      )

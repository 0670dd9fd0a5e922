import { Schema } from "effect"
import { EventType, PublicEventType } from "../events/DomainEvents.ts"
import { UserId, Uuid } from "../shared/Ids.ts"

export const WebhookId = Uuid.pipe(Schema.brand("WebhookId")).annotate({ description: "WebhookId (UUID)" })
export type WebhookId = typeof WebhookId.Type

export const DeliveryId = Uuid.pipe(Schema.brand("WebhookDeliveryId")).annotate({
  description: "WebhookDeliveryId (UUID)"
})
export type DeliveryId = typeof DeliveryId.Type

/** Every event type an endpoint can subscribe to, in the order the API lists them. */
export const EVENT_TYPES: ReadonlyArray<PublicEventType> = PublicEventType.literals

/** The longest URL an endpoint may have. */
export const MAX_URL_LENGTH = 2048

/**
 * An organizer's webhook endpoint: every domain event of one of the types it subscribes to, about one of the
 * organizer's events, is POSTed to `url`, signed with `secret`. A deleted endpoint stays (inactive) with its
 * delivery history and receives nothing more.
 */
export class WebhookEndpoint extends Schema.Class<WebhookEndpoint>("WebhookEndpoint")({
  id: WebhookId,
  organizerId: UserId,
  url: Schema.String,
  eventTypes: Schema.Array(PublicEventType),
  /** The HMAC key of the signatures (`whsec_…`): shown to the organizer once, at registration. */
  secret: Schema.RedactedFromValue(Schema.String),
  active: Schema.Boolean,
  createdAt: Schema.DateFromString,
  deactivatedAt: Schema.NullOr(Schema.DateFromString)
}) {}

/**
 * pending → delivered (a 2xx answer) | failed (attempts exhausted, or the endpoint was deleted).
 * A pending delivery is due at `nextAttemptAt`; a worker that claims it moves that instant ahead by its lease.
 */
export const DeliveryStatus = Schema.Literals(["pending", "delivered", "failed"])
export type DeliveryStatus = typeof DeliveryStatus.Type

/** One domain event on its way to one endpoint. */
export class WebhookDelivery extends Schema.Class<WebhookDelivery>("WebhookDelivery")({
  id: DeliveryId,
  endpointId: WebhookId,
  /** The domain event's envelope id: the same event reaches an endpoint at most once. */
  eventId: Uuid,
  eventType: EventType,
  /** The envelope in its JSON wire form (`EnvelopeJson`), as a JSON value: the body of every attempt. */
  payload: Schema.Unknown,
  status: DeliveryStatus,
  /** Attempts made so far (successful or not). */
  attempts: Schema.Int,
  /** When the next attempt is due; null once delivered or failed for good. */
  nextAttemptAt: Schema.NullOr(Schema.DateFromString),
  lastStatusCode: Schema.NullOr(Schema.Int),
  lastError: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromString,
  deliveredAt: Schema.NullOr(Schema.DateFromString)
}) {}

import { Schema } from "effect"
import { EventType } from "../events/DomainEvents.ts"
import { UserId } from "../shared/Ids.ts"

export const WebhookId = Schema.UUID.pipe(
  Schema.brand("WebhookId"),
  Schema.annotations({ description: "WebhookId (UUID)" })
)
export type WebhookId = typeof WebhookId.Type

export const DeliveryId = Schema.UUID.pipe(
  Schema.brand("WebhookDeliveryId"),
  Schema.annotations({ description: "WebhookDeliveryId (UUID)" })
)
export type DeliveryId = typeof DeliveryId.Type

/** Every event type an endpoint can subscribe to, in the order the API lists them. */
export const EVENT_TYPES: ReadonlyArray<EventType> = EventType.literals

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
  eventTypes: Schema.Array(EventType),
  /** The HMAC key of the signatures (`whsec_…`): shown to the organizer once, at registration. */
  secret: Schema.Redacted(Schema.String),
  active: Schema.Boolean,
  createdAt: Schema.Date,
  deactivatedAt: Schema.NullOr(Schema.Date)
}) {}

/**
 * pending → delivered (a 2xx answer) | failed (attempts exhausted, or the endpoint was deleted).
 * A pending delivery is due at `nextAttemptAt`; a worker that claims it moves that instant ahead by its lease.
 */
export const DeliveryStatus = Schema.Literal("pending", "delivered", "failed")
export type DeliveryStatus = typeof DeliveryStatus.Type

/** One domain event on its way to one endpoint. */
export class WebhookDelivery extends Schema.Class<WebhookDelivery>("WebhookDelivery")({
  id: DeliveryId,
  endpointId: WebhookId,
  /** The domain event's envelope id: the same event reaches an endpoint at most once. */
  eventId: Schema.UUID,
  eventType: EventType,
  /** The envelope in its JSON wire form (`EnvelopeJson`), as a JSON value: the body of every attempt. */
  payload: Schema.Unknown,
  status: DeliveryStatus,
  /** Attempts made so far (successful or not). */
  attempts: Schema.Int,
  /** When the next attempt is due; null once delivered or failed for good. */
  nextAttemptAt: Schema.NullOr(Schema.Date),
  lastStatusCode: Schema.NullOr(Schema.Int),
  lastError: Schema.NullOr(Schema.String),
  createdAt: Schema.Date,
  deliveredAt: Schema.NullOr(Schema.Date)
}) {}

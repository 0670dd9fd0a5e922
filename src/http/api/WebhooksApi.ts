import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { EventType, PublicEventType } from "../../domain/events/DomainEvents.ts"
import { PageLimit } from "../../domain/shared/Page.ts"
import { Timestamp } from "../../domain/shared/Text.ts"
import { InvalidWebhookUrl, UnknownEventType, WebhookNotFound } from "../../domain/webhooks/errors.ts"
import { DeliveryId, DeliveryStatus, EVENT_TYPES, MAX_URL_LENGTH, WebhookId } from "../../domain/webhooks/Webhook.ts"
import { Authentication } from "./Authentication.ts"
import { Forbidden403 } from "./errors.ts"
import { payload, statedAs } from "./payload.ts"

export const RegisterWebhookRequest = payload(
  Schema.Struct({
    url: Schema.String.check(
      Schema.isMaxCodePoints(MAX_URL_LENGTH, { message: `must be at most ${MAX_URL_LENGTH} characters` })
    ).annotate({
      description: "Where to POST the events: https (plain http only for loopback hosts, outside production)",
      examples: ["https://example.com/goticket/webhooks"]
    }),
    eventTypes: Schema.Array(Schema.String.check(statedAs({ enum: [...EVENT_TYPES] })))
      .check(
        Schema.isMinLength(1, { message: "subscribe to at least one event type" }),
        Schema.isMaxLength(EVENT_TYPES.length * 2)
      )
      .annotate({
        description:
          "The domain event types to receive (at least one). A name outside the list is refused with 422 UnknownEventType"
      })
  }),
  "RegisterWebhookRequest"
)

export const WebhookView = Schema.Struct({
  id: WebhookId,
  url: Schema.String,
  eventTypes: Schema.Array(PublicEventType),
  createdAt: Timestamp
}).annotate({ identifier: "Webhook" })

export const RegisteredWebhookView = Schema.Struct({
  ...WebhookView.fields,
  secret: Schema.String.annotate({
    description:
      "The signing secret (whsec_…). Shown only here: keep it to verify the GoTicket-Signature header of each delivery"
  })
}).annotate({ identifier: "RegisteredWebhook" })

export const WebhookDeliveryView = Schema.Struct({
  id: DeliveryId,
  eventId: Schema.String.check(Schema.isUUID()).annotate({ description: "The domain event's id (GoTicket-Event-Id)" }),
  eventType: EventType,
  status: DeliveryStatus,
  attempts: Schema.Int,
  lastStatusCode: Schema.NullOr(Schema.Int).annotate({
    description: "The HTTP status of the last attempt; null when it got no answer"
  }),
  lastError: Schema.NullOr(Schema.String),
  createdAt: Timestamp,
  deliveredAt: Schema.NullOr(Timestamp),
  nextAttemptAt: Schema.NullOr(Timestamp).annotate({
    description: "When the next attempt is due (pending only)"
  })
}).annotate({ identifier: "WebhookDelivery" })

export const WebhookDeliveryPage = Schema.Struct({
  items: Schema.Array(WebhookDeliveryView),
  nextCursor: Schema.NullOr(Schema.String)
}).annotate({ identifier: "WebhookDeliveryPage" })

const webhookIdParam = { webhookId: WebhookId }

const webhookErrors = [WebhookNotFound.pipe(HttpApiSchema.status(404)), Forbidden403] as const

const SIGNING = [
  "Each delivery is a POST of the event envelope as JSON (id, type, version, occurredAt, aggregateType, aggregateId, payload, traceparent) with the headers",
  '`GoTicket-Event-Id`, `GoTicket-Event-Type`, `GoTicket-Delivery-Id` and `GoTicket-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`.',
  "Answer 2xx in time (5 s by default) to acknowledge it; anything else (redirects included) is retried with exponential backoff (by default 1 s, 2 s, 4 s … at most 1 h apart, 15 attempts in all).",
  "Delivery is at least once: drop duplicates by event id."
].join(" ")

/** An organizer's webhook endpoints and their deliveries. Someone else's endpoint is not found. */
export class WebhooksApi extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("register", "/v1/organizer/webhooks", {
      payload: RegisterWebhookRequest,
      success: RegisteredWebhookView.pipe(HttpApiSchema.status(201)),
      error: [
        InvalidWebhookUrl.pipe(HttpApiSchema.status(422)),
        UnknownEventType.pipe(HttpApiSchema.status(422)),
        ...webhookErrors
      ]
    })
      .annotate(OpenApi.Summary, "Register a webhook endpoint")
      .annotate(
        OpenApi.Description,
        `Every domain event of the chosen types about one of the caller's events is delivered to the URL. The answer carries the signing secret, which is never shown again. ${SIGNING}`
      )
  )
  .add(
    HttpApiEndpoint.get("list", "/v1/organizer/webhooks", { success: Schema.Array(WebhookView), error: webhookErrors })
      .annotate(OpenApi.Summary, "The caller's webhook endpoints")
      .annotate(OpenApi.Description, "Active endpoints, oldest first, without their secrets.")
  )
  .add(
    HttpApiEndpoint.delete("remove", "/v1/organizer/webhooks/:webhookId", {
      params: webhookIdParam,
      success: HttpApiSchema.NoContent,
      error: webhookErrors
    })
      .annotate(OpenApi.Summary, "Delete a webhook endpoint")
      .annotate(
        OpenApi.Description,
        "The endpoint receives nothing more; deliveries still pending are abandoned (failed). Deleting it again is 404."
      )
  )
  .add(
    HttpApiEndpoint.get("deliveries", "/v1/organizer/webhooks/:webhookId/deliveries", {
      params: webhookIdParam,
      query: {
        cursor: Schema.optional(
          Schema.String.check(Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }))
        ).annotate({
          description: "nextCursor of the previous page"
        }),
        limit: Schema.optional(PageLimit).annotate({ description: "Page size, 1 to 100 (default 20)" })
      },
      success: WebhookDeliveryPage,
      error: webhookErrors
    })
      .annotate(OpenApi.Summary, "An endpoint's deliveries, newest first")
      .annotate(
        OpenApi.Description,
        "Each delivery with its status (pending, delivered, failed), attempts, the last answer's status code or error, and when the next attempt is due."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Organizer webhooks") {}

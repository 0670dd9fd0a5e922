import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import type { WebhookDelivery, WebhookEndpoint } from "../../domain/webhooks/Webhook.ts"
import { OrganizerWebhooks } from "../../services/webhooks/OrganizerWebhooks.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { DEFAULT_PAGE_SIZE } from "./EventsLive.ts"

const webhookView = (endpoint: WebhookEndpoint) => ({
  id: endpoint.id,
  url: endpoint.url,
  eventTypes: endpoint.eventTypes,
  createdAt: endpoint.createdAt
})

const deliveryView = (delivery: WebhookDelivery) => ({
  id: delivery.id,
  eventId: delivery.eventId,
  eventType: delivery.eventType,
  status: delivery.status,
  attempts: delivery.attempts,
  lastStatusCode: delivery.lastStatusCode,
  lastError: delivery.lastError,
  createdAt: delivery.createdAt,
  deliveredAt: delivery.deliveredAt,
  nextAttemptAt: delivery.nextAttemptAt
})

export const WebhooksLive = HttpApiBuilder.group(GoTicketApi, "webhooks", (handlers) =>
  Effect.gen(function* () {
    const webhooks = yield* OrganizerWebhooks
    return handlers
      .handle("register", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) => webhooks.register(actor, payload)).pipe(
          Effect.map(({ endpoint, secret }) => ({ ...webhookView(endpoint), secret }))
        )
      )
      .handle("list", () =>
        Effect.flatMap(CurrentActor, (actor) => webhooks.list(actor)).pipe(
          Effect.map((endpoints) => endpoints.map(webhookView))
        )
      )
      .handle("remove", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => webhooks.remove(actor, params.webhookId))
      )
      .handle("deliveries", ({ params, query }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          webhooks.deliveries(actor, params.webhookId, {
            cursor: query.cursor,
            limit: query.limit ?? DEFAULT_PAGE_SIZE
          })
        ).pipe(Effect.map((page) => ({ items: page.items.map(deliveryView), nextCursor: page.nextCursor })))
      )
  })
)

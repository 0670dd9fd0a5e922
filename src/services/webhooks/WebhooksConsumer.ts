import { Effect } from "effect"
import { PublicEventType } from "../../domain/events/DomainEvents.ts"
import type { Consumer } from "../events/EventConsumers.ts"
import { OrganizerWebhooks } from "./OrganizerWebhooks.ts"

/**
 * Queues a delivery of every domain event to each endpoint its organizer registered for it. The deliveries are
 * written in the consumer's inbox transaction, so an event is queued once per endpoint however often it arrives;
 * the delivery worker sends them. An event of a type no endpoint listens to (most of them: a sale's holds, tickets …)
 * is skipped from its envelope, before its payload is decoded; one whose organizer has no endpoint for it, before
 * any transaction; both on the endpoints' subscriptions read once for many events.
 */
export const organizerWebhooksConsumer: Consumer<OrganizerWebhooks> = {
  name: "organizer-webhooks",
  eventTypes: PublicEventType.literals,
  wantedEnvelope: (envelope) => Effect.flatMap(OrganizerWebhooks, (webhooks) => webhooks.mightQueueType(envelope)),
  wanted: (event, envelope) => Effect.flatMap(OrganizerWebhooks, (webhooks) => webhooks.mightQueue(envelope, event)),
  handle: (event, envelope) =>
    Effect.flatMap(OrganizerWebhooks, (webhooks) => webhooks.enqueueFor(envelope, event)).pipe(Effect.asVoid)
}

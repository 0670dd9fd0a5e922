import { Context, type Effect, type Option, type Redacted } from "effect"
import type { EventType } from "../events/DomainEvents.ts"
import type { EventEnvelope } from "../events/EventEnvelope.ts"
import type { UserId } from "../shared/Ids.ts"
import type { DeliveryId, WebhookDelivery, WebhookEndpoint, WebhookId } from "./Webhook.ts"

/** A delivery a worker has claimed, with where to send it and how to sign it. */
export interface ClaimedDelivery {
  readonly delivery: WebhookDelivery
  readonly url: string
  readonly secret: Redacted.Redacted<string>
}

/** What one attempt came to. `attempts` is the count the claim saw: a stale worker's record is ignored. */
export interface AttemptRecord {
  readonly deliveryId: DeliveryId
  readonly attempts: number
  readonly at: Date
  /** The HTTP status answered; null when there was no answer (timeout, connection refused …). */
  readonly statusCode: number | null
}

/** A keyset position in a newest-first list of deliveries. */
export interface DeliveryPosition {
  readonly createdAt: Date
  readonly id: string
}

/** Who listens to what: each organizer with an active endpoint, and the event types its endpoints subscribed to. */
export interface WebhookSubscriptions {
  /** The store's clock when it was read: every endpoint registered or deactivated before then is accounted for. */
  readonly asOf: Date
  readonly byOrganizer: ReadonlyMap<UserId, ReadonlySet<EventType>>
}

/**
 * Port: organizer webhook endpoints and the deliveries of domain events to them. Times are given by the caller,
 * so that every adapter (and every test) agrees on them.
 *
 * Deliveries are worked by any number of workers at once: `claimDue` hands each due delivery to one claimer only
 * and leases it (moves its `nextAttemptAt` to `leaseUntil`), in one short transaction; the worker then makes the
 * HTTP call outside any transaction and records the outcome. A worker that dies mid-call leaves the delivery to be
 * claimed again once its lease runs out (delivery is at least once; receivers drop duplicates by event id).
 */
export interface WebhookRepositoryShape {
  readonly register: (endpoint: WebhookEndpoint) => Effect.Effect<void>
  /** The organizer's active endpoints, oldest first. */
  readonly listByOrganizer: (organizerId: UserId) => Effect.Effect<ReadonlyArray<WebhookEndpoint>>
  /** Any endpoint, active or not. */
  readonly findById: (id: WebhookId) => Effect.Effect<Option.Option<WebhookEndpoint>>
  /**
   * Deactivates an endpoint: it gets no new deliveries, and its pending ones end as failed. False when it was
   * already inactive (or does not exist).
   */
  readonly deactivate: (id: WebhookId, at: Date) => Effect.Effect<boolean>
  /**
   * Queues the event for every active endpoint of the organizer subscribed to its type, due at once. Idempotent
   * per (endpoint, event): answers how many deliveries were new. Runs in the caller's transaction, if any.
   */
  readonly enqueue: (envelope: EventEnvelope, organizerId: UserId, at: Date) => Effect.Effect<number>
  /** The active endpoints' subscriptions, read at once (one statement): what a consumer may cache. */
  readonly subscriptions: Effect.Effect<WebhookSubscriptions>
  /**
   * Claims up to `limit` pending deliveries due at `now` (of active endpoints), oldest due first, that no other
   * claimer holds, and leases them until `leaseUntil`.
   */
  readonly claimDue: (input: {
    readonly now: Date
    readonly leaseUntil: Date
    readonly limit: number
  }) => Effect.Effect<ReadonlyArray<ClaimedDelivery>>
  /** The attempt succeeded: the delivery is delivered. False when the record was stale (ignored). */
  readonly recordSuccess: (attempt: AttemptRecord & { readonly statusCode: number }) => Effect.Effect<boolean>
  /**
   * The attempt failed: retried at `nextAttemptAt`, or failed for good when that is null. False when the record
   * was stale (ignored).
   */
  readonly recordFailure: (
    attempt: AttemptRecord & { readonly error: string; readonly nextAttemptAt: Date | null }
  ) => Effect.Effect<boolean>
  /** An endpoint's deliveries, newest first, after `before` when given. */
  readonly listDeliveries: (
    endpointId: WebhookId,
    page: { readonly limit: number; readonly before?: DeliveryPosition | undefined }
  ) => Effect.Effect<ReadonlyArray<WebhookDelivery>>
}

export class WebhookRepository extends Context.Service<WebhookRepository, WebhookRepositoryShape>()(
  "goticket/WebhookRepository"
) {}

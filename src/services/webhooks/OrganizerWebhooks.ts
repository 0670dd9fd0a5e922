import { randomBytes } from "node:crypto"
import { Context, Effect, Layer, Option, Redacted, Ref, Result, Semaphore } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import type { DomainEvent, EventType } from "../../domain/events/DomainEvents.ts"
import type { EventEnvelope } from "../../domain/events/EventEnvelope.ts"
import { decodeCursor } from "../../domain/shared/Cursor.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { type PageOf, pageOf } from "../../domain/shared/Page.ts"
import { WebhookNotFound } from "../../domain/webhooks/errors.ts"
import { type WebhookDelivery, WebhookEndpoint, type WebhookId } from "../../domain/webhooks/Webhook.ts"
import { WebhookRepository, type WebhookSubscriptions } from "../../domain/webhooks/WebhookRepository.ts"
import { checkEventTypes, checkWebhookUrl } from "../../domain/webhooks/WebhookRules.ts"
import { AllowHttpLoopback, AllowPrivateNetworks } from "./WebhooksConfig.ts"

const orFail = <A, E>(result: Result.Result<A, E>): Effect.Effect<A, E> =>
  Result.match(result, { onFailure: Effect.fail, onSuccess: Effect.succeed })

/** A fresh signing secret: 32 random bytes, `whsec_` + base64url. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString("base64url")}`

/** An endpoint just registered, with its secret in clear: the only time the organizer sees it. */
export interface RegisteredWebhook {
  readonly endpoint: WebhookEndpoint
  readonly secret: string
}

/**
 * Organizer webhooks: organizers register endpoints for the event types they want; every such domain event about
 * one of their events is queued for delivery (WebhookDeliveryWorker sends it).
 */
export class OrganizerWebhooks extends Context.Service<OrganizerWebhooks>()("goticket/OrganizerWebhooks", {
  make: Effect.gen(function* () {
    const webhooks = yield* WebhookRepository
    const events = yield* EventRepository
    const allowHttpLoopback = yield* AllowHttpLoopback
    const allowPrivateNetworks = yield* AllowPrivateNetworks

    const requireOrganizer = (actor: Actor) =>
      actor.isOrganizer
        ? Effect.void
        : Effect.fail(new Forbidden({ message: "only organizer accounts can manage webhooks" }))

    /** An active endpoint the actor owns (admins: any). Anyone else's is not found, so ids reveal nothing. */
    const owned = (actor: Actor, webhookId: WebhookId) =>
      Effect.andThen(
        requireOrganizer(actor),
        Effect.flatMap(webhooks.findById(webhookId), (found) =>
          Option.isSome(found) && found.value.active && (actor.isAdmin || found.value.organizerId === actor.userId)
            ? Effect.succeed(found.value)
            : Effect.fail(WebhookNotFound.forId(webhookId))
        )
      )

    const register = Effect.fn("OrganizerWebhooks.register")(function* (
      actor: Actor,
      input: { readonly url: string; readonly eventTypes: ReadonlyArray<string> }
    ) {
      yield* requireOrganizer(actor)
      const url = yield* orFail(checkWebhookUrl(input.url, { allowHttpLoopback, allowPrivateNetworks }))
      const eventTypes = yield* orFail(checkEventTypes(input.eventTypes))
      const secret = newWebhookSecret()
      const endpoint = new WebhookEndpoint({
        id: crypto.randomUUID() as WebhookId,
        organizerId: actor.userId,
        url,
        eventTypes,
        secret: Redacted.make(secret),
        active: true,
        createdAt: yield* now,
        deactivatedAt: null
      })
      yield* webhooks.register(endpoint)
      yield* Effect.annotateCurrentSpan({ "webhook.id": endpoint.id })
      return { endpoint, secret } satisfies RegisteredWebhook
    })

    const list = Effect.fn("OrganizerWebhooks.list")(function* (actor: Actor) {
      yield* requireOrganizer(actor)
      return yield* webhooks.listByOrganizer(actor.userId)
    })

    const remove = Effect.fn("OrganizerWebhooks.remove")(function* (actor: Actor, webhookId: WebhookId) {
      yield* owned(actor, webhookId)
      yield* webhooks.deactivate(webhookId, yield* now)
    })

    const deliveries = Effect.fn("OrganizerWebhooks.deliveries")(function* (
      actor: Actor,
      webhookId: WebhookId,
      page: { readonly cursor?: string | undefined; readonly limit: number }
    ) {
      yield* owned(actor, webhookId)
      // An unreadable cursor starts from the newest, as the other listings do.
      const before = Option.getOrUndefined(
        Option.map(Option.flatMap(Option.fromNullishOr(page.cursor), decodeCursor), (p) => ({
          createdAt: p.at,
          id: p.id
        }))
      )
      const items = yield* webhooks.listDeliveries(webhookId, { limit: page.limit + 1, before })
      return pageOf(items, page.limit, (d) => ({ at: d.createdAt, id: d.id })) satisfies PageOf<WebhookDelivery>
    })

    /** The organizer of the event the domain event is about, if it still exists. */
    const organizerOf = (event: DomainEvent): Effect.Effect<Option.Option<UserId>> =>
      event._tag === "AccountRegistered" || event._tag === "WaitingListOffered"
        ? Effect.succeedNone
        : "organizerId" in event
          ? Effect.succeedSome(event.organizerId)
          : Effect.map(
              events.findById(event.eventId),
              Option.map((e) => e.organizerId)
            )

    /**
     * Queues the event for the subscribed endpoints of the organizer of the event it concerns; answers how many
     * deliveries were queued. Idempotent per (endpoint, event), and runs in the caller's transaction if any (the
     * consumer calls it once per event, together with its inbox record).
     */
    const enqueueFor = Effect.fn("OrganizerWebhooks.enqueueFor")(function* (
      envelope: EventEnvelope,
      event: DomainEvent
    ) {
      yield* Effect.annotateCurrentSpan({ "event.id": envelope.id, "event.type": envelope.type })
      const organizer = yield* organizerOf(event)
      if (Option.isNone(organizer)) {
        yield* Effect.logWarning("webhooks: the event this domain event concerns does not exist; nothing queued").pipe(
          Effect.annotateLogs({
            eventId: envelope.id,
            type: envelope.type,
            about: "eventId" in event ? event.eventId : null
          })
        )
        return 0
      }
      return yield* webhooks.enqueue(envelope, organizer.value, yield* now)
    })

    /**
     * The subscriptions last read, with every event type some organizer listens to. Read again (once for every
     * caller waiting meanwhile) when a caller's event is not strictly older than the read, so that an endpoint
     * registered before an event occurred is never missed; a backlog of older events is answered from memory.
     */
    const known = yield* Ref.make<Option.Option<WebhookSubscriptions & { readonly types: ReadonlySet<EventType> }>>(
      Option.none()
    )
    const reading = yield* Semaphore.make(1)
    const fresh = (c: Option.Option<WebhookSubscriptions>, occurredAt: Date) =>
      Option.isSome(c) && c.value.asOf.getTime() > occurredAt.getTime()
    const subscriptionsAt = (occurredAt: Date) =>
      Effect.flatMap(Ref.get(known), (current) =>
        fresh(current, occurredAt) && Option.isSome(current)
          ? Effect.succeed(current.value)
          : Semaphore.withPermits(
              reading,
              1
            )(
              Effect.gen(function* () {
                const again = yield* Ref.get(known)
                if (fresh(again, occurredAt) && Option.isSome(again)) return again.value
                const read = yield* webhooks.subscriptions
                const types = new Set<EventType>()
                for (const subscribed of read.byOrganizer.values()) for (const type of subscribed) types.add(type)
                const next = { ...read, types }
                yield* Ref.set(known, Option.some(next))
                return next
              })
            )
      )

    /**
     * Whether `enqueueFor` could queue anything for the event: false when, as of a read after the event occurred,
     * no active endpoint (of its organizer, when the event names it) is subscribed to its type. Cheap: no
     * transaction, and most often no database work at all.
     */
    const mightQueue = (envelope: EventEnvelope, event: DomainEvent) =>
      Effect.map(subscriptionsAt(envelope.occurredAt), (subscriptions) =>
        event._tag === "AccountRegistered" || event._tag === "WaitingListOffered"
          ? false
          : "organizerId" in event
            ? (subscriptions.byOrganizer.get(event.organizerId)?.has(envelope.type) ?? false)
            : subscriptions.types.has(envelope.type)
      )

    /** `mightQueue` from the envelope alone: false when, as of a read after the event, no endpoint takes its type. */
    const mightQueueType = (envelope: EventEnvelope) =>
      Effect.map(subscriptionsAt(envelope.occurredAt), (subscriptions) => subscriptions.types.has(envelope.type))

    return { register, list, remove, deliveries, enqueueFor, mightQueue, mightQueueType } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

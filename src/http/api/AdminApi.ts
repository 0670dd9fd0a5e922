import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { EventType } from "../../domain/events/DomainEvents.ts"
import { EventBusUnavailable } from "../../domain/events/EventBus.ts"
import { Authentication, RouteTagger } from "./Authentication.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"

/** The service's consumers of domain events, each with its queue and dead letters. */
export const ConsumerName = Schema.Literal("notifications", "sales-stats", "organizer-webhooks")

const consumerParam = HttpApiSchema.param("consumer", ConsumerName)

export const DeadLetterView = Schema.Struct({
  eventId: Schema.String,
  type: EventType,
  aggregateId: Schema.String,
  occurredAt: Schema.Date,
  attempts: Schema.Int,
  lastError: Schema.String,
  deadAt: Schema.Date
}).annotations({ identifier: "DeadLetter" })

export const ReplayRequest = payload(
  Schema.Struct({
    eventIds: Schema.optional(Schema.Array(Schema.UUID).pipe(Schema.maxItems(1000))).annotations({
      description: "Only these dead letters (all of them when absent)"
    })
  }),
  "ReplayRequest"
)

/** Operations for admins: the events a consumer gave up on, and sending them back to it. */
export class AdminApi extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.get("deadLetters")`/v1/admin/dead-letters/${consumerParam}`
      .addSuccess(Schema.Array(DeadLetterView))
      .annotate(OpenApi.Summary, "A consumer's dead letters, oldest first")
      .annotate(
        OpenApi.Description,
        "Domain events the consumer failed on CONSUMER_MAX_ATTEMPTS times, with the last error. The same as `npm run dlq -- list`, and also for the in-process bus of the embedded default."
      )
  )
  .add(
    HttpApiEndpoint.post("replayDeadLetters")`/v1/admin/dead-letters/${consumerParam}/replay`
      .setPayload(ReplayRequest)
      .addSuccess(Schema.Struct({ replayed: Schema.Int }))
      .annotate(OpenApi.Summary, "Send dead letters back to their consumer, attempts reset")
  )
  .addError(Forbidden403)
  .addError(EventBusUnavailable, { status: 503 })
  .middleware(RouteTagger)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Administration") {}

import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { EventType } from "../../domain/events/DomainEvents.ts"
import { EventBusUnavailable } from "../../domain/events/EventBus.ts"
import { Timestamp } from "../../domain/shared/Text.ts"
import { Authentication } from "./Authentication.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"

/** The service's consumers of domain events, each with its queue and dead letters. */
export const ConsumerName = Schema.Literals(["notifications", "sales-stats", "organizer-webhooks"])

const consumerParam = { consumer: ConsumerName }

export const DeadLetterView = Schema.Struct({
  eventId: Schema.String,
  type: EventType,
  aggregateId: Schema.String,
  occurredAt: Timestamp,
  attempts: Schema.Int,
  lastError: Schema.String,
  deadAt: Timestamp
}).annotate({ identifier: "DeadLetter" })

export const ReplayRequest = payload(
  Schema.Struct({
    eventIds: Schema.optionalKey(
      Schema.Array(Schema.String.check(Schema.isUUID())).check(Schema.isMaxLength(1000))
    ).annotate({ description: "Only these dead letters (all of them when absent)" })
  }),
  "ReplayRequest"
)

const adminErrors = [Forbidden403, EventBusUnavailable.pipe(HttpApiSchema.status(503))] as const

/** Operations for admins: the events a consumer gave up on, and sending them back to it. */
export class AdminApi extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.get("deadLetters", "/v1/admin/dead-letters/:consumer", {
      params: consumerParam,
      success: Schema.Array(DeadLetterView),
      error: adminErrors
    })
      .annotate(OpenApi.Summary, "A consumer's dead letters, oldest first")
      .annotate(
        OpenApi.Description,
        "Domain events the consumer failed on CONSUMER_MAX_ATTEMPTS times, with the last error. The same as `npm run dlq -- list`, and also for the in-process bus of the embedded default."
      )
  )
  .add(
    HttpApiEndpoint.post("replayDeadLetters", "/v1/admin/dead-letters/:consumer/replay", {
      params: consumerParam,
      payload: ReplayRequest,
      success: Schema.Struct({ replayed: Schema.Int }),
      error: adminErrors
    }).annotate(OpenApi.Summary, "Send dead letters back to their consumer, attempts reset")
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Administration") {}

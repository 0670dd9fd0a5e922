import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { EventId } from "../../domain/shared/Ids.ts"
import { PageLimit } from "../../domain/shared/Page.ts"
import { Instant } from "../../domain/shared/Text.ts"
import { OptionalAuthentication } from "./Authentication.ts"
import { EventDetailView, EventPage, SeatMapView } from "./views.ts"

/** The `{eventId}` path parameter (routes spell it `:eventId`). */
export const eventIdParam = { eventId: EventId } as const

export const EventNotFound404 = EventNotFound.pipe(HttpApiSchema.status(404))

export const BrowseParams = Schema.Struct({
  q: Schema.optional(
    Schema.String.check(Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }))
  ).annotate({
    description: "Text to find in title, description or venue"
  }),
  from: Schema.optional(Instant).annotate({ description: "Events starting at or after (default: now)" }),
  to: Schema.optional(Instant).annotate({ description: "Events starting at or before" }),
  cursor: Schema.optional(
    Schema.String.check(Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }))
  ),
  limit: Schema.optional(PageLimit).annotate({ description: "Page size, 1 to 100 (default 20)" })
})

/** What anyone may read: published events, their ticket types with availability, and their seat maps. */
export class EventsApi extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("browse", "/v1/events", { query: BrowseParams, success: EventPage }).annotate(
      OpenApi.Summary,
      "Published events, soonest first, with text search and cursor pagination"
    )
  )
  .add(
    HttpApiEndpoint.get("get", "/v1/events/:eventId", {
      params: eventIdParam,
      success: EventDetailView,
      error: EventNotFound404
    })
      .middleware(OptionalAuthentication)
      .annotate(OpenApi.Summary, "One event with its ticket types and their available counts")
  )
  .add(
    HttpApiEndpoint.get("seats", "/v1/events/:eventId/seats", {
      params: eventIdParam,
      success: SeatMapView,
      error: EventNotFound404
    })
      .middleware(OptionalAuthentication)
      .annotate(OpenApi.Summary, "The seat map with each seat's status")
  )
  .annotate(OpenApi.Title, "Events") {}

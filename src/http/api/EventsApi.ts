import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { EventId } from "../../domain/shared/Ids.ts"
import { PageLimit } from "../../domain/shared/Page.ts"
import { Instant } from "../../domain/shared/Text.ts"
import { OptionalAuthentication, RouteTagger } from "./Authentication.ts"
import { EventDetailView, EventPage, SeatMapView } from "./views.ts"

export const eventIdParam = HttpApiSchema.param("eventId", EventId)

export const BrowseParams = Schema.Struct({
  q: Schema.optional(Schema.String.pipe(Schema.maxLength(200))).annotations({
    description: "Text to find in title, description or venue"
  }),
  from: Schema.optional(Instant).annotations({ description: "Events starting at or after (default: now)" }),
  to: Schema.optional(Instant).annotations({ description: "Events starting at or before" }),
  cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  limit: Schema.optional(PageLimit).annotations({ description: "Page size, 1 to 100 (default 20)" })
})

/** What anyone may read: published events, their ticket types with availability, and their seat maps. */
export class EventsApi extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("browse", "/v1/events")
      .setUrlParams(BrowseParams)
      .addSuccess(EventPage)
      .annotate(OpenApi.Summary, "Published events, soonest first, with text search and cursor pagination")
  )
  .add(
    HttpApiEndpoint.get("get")`/v1/events/${eventIdParam}`
      .addSuccess(EventDetailView)
      .addError(EventNotFound, { status: 404 })
      .middleware(OptionalAuthentication)
      .annotate(OpenApi.Summary, "One event with its ticket types and their available counts")
  )
  .add(
    HttpApiEndpoint.get("seats")`/v1/events/${eventIdParam}/seats`
      .addSuccess(SeatMapView)
      .addError(EventNotFound, { status: 404 })
      .middleware(OptionalAuthentication)
      .annotate(OpenApi.Summary, "The seat map with each seat's status")
  )
  .middleware(RouteTagger)
  .annotate(OpenApi.Title, "Events") {}

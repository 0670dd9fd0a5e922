import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { UserNotFound } from "../../domain/accounts/errors.ts"
import { Email } from "../../domain/accounts/User.ts"
import { RefundCutoffHours } from "../../domain/catalog/Event.ts"
import {
  CapacityBelowCommitted,
  EventChangedConcurrently,
  EventRuleViolation,
  TicketTypeNotFound
} from "../../domain/catalog/errors.ts"
import { SeatingPlan } from "../../domain/catalog/Seating.ts"
import { Capacity, MaxPerOrder } from "../../domain/catalog/TicketType.ts"
import { AttendeeNamesPolicy } from "../../domain/orders/AttendeeNames.ts"
import { TicketTypeId } from "../../domain/shared/Ids.ts"
import { Currency, MinorUnits } from "../../domain/shared/Money.ts"
import { PageLimit } from "../../domain/shared/Page.ts"
import { BoundedText, Instant, TimeZoneName } from "../../domain/shared/Text.ts"
import { OrganizerAuthentication } from "./Authentication.ts"
import { EventNotFound404, eventIdParam } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"
import { EventPage, EventSalesView, EventView, StaffView, TicketTypeView } from "./views.ts"

const Description = Schema.String.check(
  Schema.isMaxCodePoints(10_000, { message: "must be at most 10_000 characters" })
)

export const VenueInput = Schema.Struct({
  name: BoundedText(200),
  address: Schema.optionalKey(BoundedText(500)),
  timezone: TimeZoneName
})

export const CreateEventRequest = payload(
  Schema.Struct({
    title: BoundedText(200),
    description: Schema.optionalKey(Description),
    venue: VenueInput,
    startsAt: Instant,
    endsAt: Schema.optionalKey(Instant),
    salesStartAt: Schema.optionalKey(Instant),
    salesEndAt: Schema.optionalKey(Instant),
    refundCutoffHours: Schema.optionalKey(Schema.NullOr(RefundCutoffHours))
  }),
  "CreateEventRequest"
)

/** Absent fields stay as they are; `null` clears an optional field. */
export const UpdateEventRequest = payload(
  Schema.Struct({
    title: Schema.optionalKey(BoundedText(200)),
    description: Schema.optionalKey(Schema.NullOr(Description)),
    venue: Schema.optionalKey(VenueInput),
    startsAt: Schema.optionalKey(Instant),
    endsAt: Schema.optionalKey(Schema.NullOr(Instant)),
    salesStartAt: Schema.optionalKey(Schema.NullOr(Instant)),
    salesEndAt: Schema.optionalKey(Schema.NullOr(Instant)),
    refundCutoffHours: Schema.optionalKey(Schema.NullOr(RefundCutoffHours))
  }),
  "UpdateEventRequest"
)

export const CreateTicketTypeRequest = payload(
  Schema.Struct({
    name: BoundedText(120),
    priceMinor: MinorUnits,
    currency: Currency,
    capacity: Capacity,
    maxPerOrder: Schema.optionalKey(MaxPerOrder),
    attendeeNames: Schema.optionalKey(AttendeeNamesPolicy)
  }),
  "CreateTicketTypeRequest"
)

export const UpdateTicketTypeRequest = payload(
  Schema.Struct({
    name: Schema.optionalKey(BoundedText(120)),
    priceMinor: Schema.optionalKey(MinorUnits),
    capacity: Schema.optionalKey(Capacity),
    maxPerOrder: Schema.optionalKey(MaxPerOrder),
    attendeeNames: Schema.optionalKey(AttendeeNamesPolicy)
  }),
  "UpdateTicketTypeRequest"
)

export const SeatingRequest = payload(SeatingPlan, "SeatingRequest")

export const GrantStaffRequest = payload(Schema.Struct({ email: Email }), "GrantStaffRequest")

export const SeatingResult = Schema.Struct({
  sections: Schema.Int,
  seats: Schema.Int,
  ticketTypes: Schema.Array(TicketTypeView)
}).annotate({ identifier: "SeatingResult" })

/** What every endpoint of the group may answer besides its own errors. */
const organizerErrors = [EventNotFound404, EventRuleViolation.pipe(HttpApiSchema.status(422)), Forbidden403] as const
const EventChanged409 = EventChangedConcurrently.pipe(HttpApiSchema.status(409))

/** An organizer's own events: create, fill, publish, cancel, staff. Someone else's event is 403 (or 404 for drafts). */
export class OrganizerApi extends HttpApiGroup.make("organizer")
  .add(
    HttpApiEndpoint.post("createEvent", "/v1/events", {
      payload: CreateEventRequest,
      success: EventView.pipe(HttpApiSchema.status(201)),
      error: organizerErrors
    }).annotate(OpenApi.Summary, "Create a draft event")
  )
  .add(
    HttpApiEndpoint.patch("updateEvent", "/v1/events/:eventId", {
      params: eventIdParam,
      payload: UpdateEventRequest,
      success: EventView,
      error: [...organizerErrors, EventChanged409]
    }).annotate(OpenApi.Summary, "Change an event's details or schedule")
  )
  .add(
    HttpApiEndpoint.post("addTicketType", "/v1/events/:eventId/ticket-types", {
      params: eventIdParam,
      payload: CreateTicketTypeRequest,
      success: TicketTypeView.pipe(HttpApiSchema.status(201)),
      error: organizerErrors
    }).annotate(OpenApi.Summary, "Add a ticket type (price category)")
  )
  .add(
    HttpApiEndpoint.patch("updateTicketType", "/v1/events/:eventId/ticket-types/:ticketTypeId", {
      params: { ...eventIdParam, ticketTypeId: TicketTypeId },
      payload: UpdateTicketTypeRequest,
      success: TicketTypeView,
      error: [
        ...organizerErrors,
        TicketTypeNotFound.pipe(HttpApiSchema.status(404)),
        CapacityBelowCommitted.pipe(HttpApiSchema.status(409))
      ]
    }).annotate(OpenApi.Summary, "Rename, reprice or resize a ticket type (never below what is held or sold)")
  )
  .add(
    HttpApiEndpoint.post("setSeating", "/v1/events/:eventId/seating", {
      params: eventIdParam,
      payload: SeatingRequest,
      success: SeatingResult,
      error: organizerErrors
    }).annotate(
      OpenApi.Summary,
      "Replace the seat map (draft only): sections → rows → seats, each seat priced by a ticket type"
    )
  )
  .add(
    HttpApiEndpoint.post("publish", "/v1/events/:eventId/publish", {
      params: eventIdParam,
      success: EventView,
      error: [...organizerErrors, EventChanged409]
    }).annotate(OpenApi.Summary, "Put a draft on sale")
  )
  .add(
    HttpApiEndpoint.post("cancel", "/v1/events/:eventId/cancel", {
      params: eventIdParam,
      success: EventView,
      error: [...organizerErrors, EventChanged409]
    }).annotate(OpenApi.Summary, "Cancel a draft or published event")
  )
  .add(
    HttpApiEndpoint.post("grantStaff", "/v1/events/:eventId/staff", {
      params: eventIdParam,
      payload: GrantStaffRequest,
      success: StaffView.pipe(HttpApiSchema.status(201)),
      error: [...organizerErrors, UserNotFound.pipe(HttpApiSchema.status(404))]
    }).annotate(OpenApi.Summary, "Let an existing account check tickets in at this event")
  )
  .add(
    HttpApiEndpoint.get("listStaff", "/v1/events/:eventId/staff", {
      params: eventIdParam,
      success: Schema.Array(StaffView),
      error: organizerErrors
    }).annotate(OpenApi.Summary, "The event's staff")
  )
  .add(
    HttpApiEndpoint.get("salesStats", "/v1/events/:eventId/stats", {
      params: eventIdParam,
      success: EventSalesView,
      error: organizerErrors
    })
      .annotate(OpenApi.Summary, "Sales so far: sold, refunded, checked in and revenue per ticket type")
      .annotate(
        OpenApi.Description,
        "A projection kept up to date from the domain events (usually within a second of a purchase, refund or check-in)."
      )
  )
  .add(
    HttpApiEndpoint.get("myEvents", "/v1/organizer/events", {
      query: {
        cursor: Schema.optional(
          Schema.String.check(Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" }))
        ),
        limit: Schema.optional(PageLimit)
      },
      success: EventPage,
      error: organizerErrors
    })
      .annotate(OpenApi.Summary, "The caller's events, drafts included")
      .annotate(
        OpenApi.Description,
        "Newest first, by pages. Called with an API key that names events, only those are listed (a page may then hold fewer than `limit` events; follow `nextCursor` until it is null)."
      )
  )
  .middleware(OrganizerAuthentication)
  .annotate(OpenApi.Title, "Organizer") {}

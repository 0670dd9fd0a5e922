import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { UserNotFound } from "../../domain/accounts/errors.ts"
import { Email } from "../../domain/accounts/User.ts"
import {
  CapacityBelowCommitted,
  EventChangedConcurrently,
  EventNotFound,
  EventRuleViolation,
  TicketTypeNotFound
} from "../../domain/catalog/errors.ts"
import { SeatingPlan } from "../../domain/catalog/Seating.ts"
import { Capacity, MaxPerOrder } from "../../domain/catalog/TicketType.ts"
import { TicketTypeId } from "../../domain/shared/Ids.ts"
import { Currency, MinorUnits } from "../../domain/shared/Money.ts"
import { PageLimit } from "../../domain/shared/Page.ts"
import { BoundedText, Instant, TimeZoneName } from "../../domain/shared/Text.ts"
import { Authentication, RouteTagger } from "./Authentication.ts"
import { eventIdParam } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"
import { EventPage, EventSalesView, EventView, StaffView, TicketTypeView } from "./views.ts"

const Description = Schema.String.pipe(Schema.maxLength(10_000))

export const VenueInput = Schema.Struct({
  name: BoundedText(200),
  address: Schema.optional(BoundedText(500)),
  timezone: TimeZoneName
})

/** The event's refund policy. */
const RefundCutoffHours = Schema.Int.pipe(
  Schema.between(0, 8760, { message: () => "must be a whole number of hours between 0 and 8760" }),
  Schema.annotations({
    description:
      "Customers may refund their tickets until this many hours before the event starts (null: the platform default)"
  })
)

export const CreateEventRequest = payload(
  Schema.Struct({
    title: BoundedText(200),
    description: Schema.optional(Description),
    venue: VenueInput,
    startsAt: Instant,
    endsAt: Schema.optional(Instant),
    salesStartAt: Schema.optional(Instant),
    salesEndAt: Schema.optional(Instant),
    refundCutoffHours: Schema.optional(Schema.NullOr(RefundCutoffHours))
  }),
  "CreateEventRequest"
)

/** Absent fields stay as they are; `null` clears an optional field. */
export const UpdateEventRequest = payload(
  Schema.Struct({
    title: Schema.optional(BoundedText(200)),
    description: Schema.optional(Schema.NullOr(Description)),
    venue: Schema.optional(VenueInput),
    startsAt: Schema.optional(Instant),
    endsAt: Schema.optional(Schema.NullOr(Instant)),
    salesStartAt: Schema.optional(Schema.NullOr(Instant)),
    salesEndAt: Schema.optional(Schema.NullOr(Instant)),
    refundCutoffHours: Schema.optional(Schema.NullOr(RefundCutoffHours))
  }),
  "UpdateEventRequest"
)

export const CreateTicketTypeRequest = payload(
  Schema.Struct({
    name: BoundedText(120),
    priceMinor: MinorUnits,
    currency: Currency,
    capacity: Capacity,
    maxPerOrder: Schema.optional(MaxPerOrder)
  }),
  "CreateTicketTypeRequest"
)

export const UpdateTicketTypeRequest = payload(
  Schema.Struct({
    name: Schema.optional(BoundedText(120)),
    priceMinor: Schema.optional(MinorUnits),
    capacity: Schema.optional(Capacity),
    maxPerOrder: Schema.optional(MaxPerOrder)
  }),
  "UpdateTicketTypeRequest"
)

export const SeatingRequest = payload(SeatingPlan, "SeatingRequest")

export const GrantStaffRequest = payload(Schema.Struct({ email: Email }), "GrantStaffRequest")

export const SeatingResult = Schema.Struct({
  sections: Schema.Int,
  seats: Schema.Int,
  ticketTypes: Schema.Array(TicketTypeView)
}).annotations({ identifier: "SeatingResult" })

const ticketTypeIdParam = HttpApiSchema.param("ticketTypeId", TicketTypeId)

/** An organizer's own events: create, fill, publish, cancel, staff. Someone else's event is 403 (or 404 for drafts). */
export class OrganizerApi extends HttpApiGroup.make("organizer")
  .add(
    HttpApiEndpoint.post("createEvent", "/v1/events")
      .setPayload(CreateEventRequest)
      .addSuccess(EventView, { status: 201 })
      .annotate(OpenApi.Summary, "Create a draft event")
  )
  .add(
    HttpApiEndpoint.patch("updateEvent")`/v1/events/${eventIdParam}`
      .setPayload(UpdateEventRequest)
      .addSuccess(EventView)
      .addError(EventChangedConcurrently, { status: 409 })
      .annotate(OpenApi.Summary, "Change an event's details or schedule")
  )
  .add(
    HttpApiEndpoint.post("addTicketType")`/v1/events/${eventIdParam}/ticket-types`
      .setPayload(CreateTicketTypeRequest)
      .addSuccess(TicketTypeView, { status: 201 })
      .annotate(OpenApi.Summary, "Add a ticket type (price category)")
  )
  .add(
    HttpApiEndpoint.patch("updateTicketType")`/v1/events/${eventIdParam}/ticket-types/${ticketTypeIdParam}`
      .setPayload(UpdateTicketTypeRequest)
      .addSuccess(TicketTypeView)
      .addError(TicketTypeNotFound, { status: 404 })
      .addError(CapacityBelowCommitted, { status: 409 })
      .annotate(OpenApi.Summary, "Rename, reprice or resize a ticket type (never below what is held or sold)")
  )
  .add(
    HttpApiEndpoint.post("setSeating")`/v1/events/${eventIdParam}/seating`
      .setPayload(SeatingRequest)
      .addSuccess(SeatingResult)
      .annotate(
        OpenApi.Summary,
        "Replace the seat map (draft only): sections → rows → seats, each seat priced by a ticket type"
      )
  )
  .add(
    HttpApiEndpoint.post("publish")`/v1/events/${eventIdParam}/publish`
      .addSuccess(EventView)
      .addError(EventChangedConcurrently, { status: 409 })
      .annotate(OpenApi.Summary, "Put a draft on sale")
  )
  .add(
    HttpApiEndpoint.post("cancel")`/v1/events/${eventIdParam}/cancel`
      .addSuccess(EventView)
      .addError(EventChangedConcurrently, { status: 409 })
      .annotate(OpenApi.Summary, "Cancel a draft or published event")
  )
  .add(
    HttpApiEndpoint.post("grantStaff")`/v1/events/${eventIdParam}/staff`
      .setPayload(GrantStaffRequest)
      .addSuccess(StaffView, { status: 201 })
      .addError(UserNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "Let an existing account check tickets in at this event")
  )
  .add(
    HttpApiEndpoint.get("listStaff")`/v1/events/${eventIdParam}/staff`
      .addSuccess(Schema.Array(StaffView))
      .annotate(OpenApi.Summary, "The event's staff")
  )
  .add(
    HttpApiEndpoint.get("salesStats")`/v1/events/${eventIdParam}/stats`
      .addSuccess(EventSalesView)
      .annotate(OpenApi.Summary, "Sales so far: sold, refunded, checked in and revenue per ticket type")
      .annotate(
        OpenApi.Description,
        "A projection kept up to date from the domain events (usually within a second of a purchase, refund or check-in)."
      )
  )
  .add(
    HttpApiEndpoint.get("myEvents", "/v1/organizer/events")
      .setUrlParams(
        Schema.Struct({
          cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
          limit: Schema.optional(PageLimit)
        })
      )
      .addSuccess(EventPage)
      .annotate(OpenApi.Summary, "The caller's events, drafts included")
  )
  .addError(EventNotFound, { status: 404 })
  .addError(EventRuleViolation, { status: 422 })
  .addError(Forbidden403)
  .middleware(RouteTagger)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Organizer") {}

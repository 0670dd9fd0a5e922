import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Venue } from "../../domain/catalog/Event.ts"
import type { EventPatch } from "../../domain/catalog/EventRules.ts"
import { Catalog } from "../../services/catalog/Catalog.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { SalesReports } from "../../services/stats/SalesReports.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { currentDate, DEFAULT_PAGE_SIZE } from "./EventsLive.ts"
import { eventView, staffView, ticketTypeView } from "./views.ts"

const venueOf = (v: { readonly name: string; readonly address?: string | undefined; readonly timezone: string }) =>
  new Venue({ name: v.name, address: v.address ?? null, timezone: v.timezone }, true)

const withView = <E, R>(effect: Effect.Effect<Parameters<typeof eventView>[0], E, R>) =>
  Effect.zipWith(effect, currentDate, eventView)

export const OrganizerLive = HttpApiBuilder.group(GoTicketApi, "organizer", (handlers) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const orders = yield* Orders
    const reports = yield* SalesReports
    return handlers
      .handle("createEvent", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          catalog.createEvent(actor, {
            title: payload.title,
            description: payload.description ?? null,
            venue: venueOf(payload.venue),
            startsAt: payload.startsAt,
            endsAt: payload.endsAt ?? null,
            salesStartAt: payload.salesStartAt ?? null,
            salesEndAt: payload.salesEndAt ?? null,
            refundCutoffHours: payload.refundCutoffHours ?? null
          })
        ).pipe(withView)
      )
      .handle("updateEvent", ({ path, payload }) => {
        const patch: EventPatch = {
          title: payload.title,
          description: payload.description,
          venue: payload.venue && venueOf(payload.venue),
          startsAt: payload.startsAt,
          endsAt: payload.endsAt,
          salesStartAt: payload.salesStartAt,
          salesEndAt: payload.salesEndAt,
          refundCutoffHours: payload.refundCutoffHours
        }
        return Effect.flatMap(CurrentActor, (actor) => catalog.updateEvent(actor, path.eventId, patch)).pipe(withView)
      })
      .handle("addTicketType", ({ path, payload }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.addTicketType(actor, path.eventId, payload)).pipe(
          Effect.map(ticketTypeView)
        )
      )
      .handle("updateTicketType", ({ path, payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          catalog.updateTicketType(actor, path.eventId, path.ticketTypeId, payload)
        ).pipe(Effect.map(ticketTypeView))
      )
      .handle("setSeating", ({ path, payload }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.setSeating(actor, path.eventId, payload)).pipe(
          Effect.map((ticketTypes) => ({
            sections: payload.sections.length,
            seats: payload.sections.reduce((n, s) => n + s.rows.reduce((m, r) => m + r.seats.length, 0), 0),
            ticketTypes: ticketTypes.map(ticketTypeView)
          }))
        )
      )
      .handle("publish", ({ path }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.publish(actor, path.eventId)).pipe(withView)
      )
      .handle("cancel", ({ path }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          const event = yield* catalog.cancel(actor, path.eventId)
          // Every paid order is refunded by a resumable saga; cancelling again starts nothing new.
          yield* orders.refundCancelledEvent(actor, path.eventId)
          return event
        }).pipe(withView)
      )
      .handle("grantStaff", ({ path, payload }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.grantStaff(actor, path.eventId, payload.email)).pipe(
          Effect.map((m) => staffView(path.eventId, m))
        )
      )
      .handle("listStaff", ({ path }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.listStaff(actor, path.eventId)).pipe(
          Effect.map((members) => members.map((m) => staffView(path.eventId, m)))
        )
      )
      .handle("salesStats", ({ path }) =>
        Effect.flatMap(CurrentActor, (actor) => reports.forEvent(actor, path.eventId))
      )
      .handle("myEvents", ({ urlParams }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          const page = yield* catalog.listMine(actor, {
            cursor: urlParams.cursor,
            limit: urlParams.limit ?? DEFAULT_PAGE_SIZE
          })
          const now = yield* currentDate
          return { items: page.items.map((e) => eventView(e, now)), nextCursor: page.nextCursor }
        })
      )
  })
)

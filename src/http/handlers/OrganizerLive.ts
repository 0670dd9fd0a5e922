import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Venue } from "../../domain/catalog/Event.ts"
import type { EventPatch } from "../../domain/catalog/EventRules.ts"
import { keySees } from "../../domain/organizerkeys/OrganizerApiKeyRules.ts"
import { Catalog } from "../../services/catalog/Catalog.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { SalesReports } from "../../services/stats/SalesReports.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { currentDate, DEFAULT_PAGE_SIZE } from "./EventsLive.ts"
import { eventView, staffView, ticketTypeView } from "./views.ts"

const venueOf = (v: { readonly name: string; readonly address?: string | undefined; readonly timezone: string }) =>
  new Venue({ name: v.name, address: v.address ?? null, timezone: v.timezone }, { disableChecks: true })

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
      .handle("updateEvent", ({ params, payload }) => {
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
        return Effect.flatMap(CurrentActor, (actor) => catalog.updateEvent(actor, params.eventId, patch)).pipe(withView)
      })
      .handle("addTicketType", ({ params, payload }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.addTicketType(actor, params.eventId, payload)).pipe(
          Effect.map(ticketTypeView)
        )
      )
      .handle("updateTicketType", ({ params, payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          catalog.updateTicketType(actor, params.eventId, params.ticketTypeId, payload)
        ).pipe(Effect.map(ticketTypeView))
      )
      .handle("setSeating", ({ params, payload }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.setSeating(actor, params.eventId, payload)).pipe(
          Effect.map((ticketTypes) => ({
            sections: payload.sections.length,
            seats: payload.sections.reduce((n, s) => n + s.rows.reduce((m, r) => m + r.seats.length, 0), 0),
            ticketTypes: ticketTypes.map(ticketTypeView)
          }))
        )
      )
      .handle("publish", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.publish(actor, params.eventId)).pipe(withView)
      )
      .handle("cancel", ({ params }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          const event = yield* catalog.cancel(actor, params.eventId)
          // Every paid order is refunded by a resumable saga; cancelling again starts nothing new.
          yield* orders.refundCancelledEvent(actor, params.eventId)
          return event
        }).pipe(withView)
      )
      .handle("grantStaff", ({ params, payload }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.grantStaff(actor, params.eventId, payload.email)).pipe(
          Effect.map((m) => staffView(params.eventId, m))
        )
      )
      .handle("listStaff", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => catalog.listStaff(actor, params.eventId)).pipe(
          Effect.map((members) => members.map((m) => staffView(params.eventId, m)))
        )
      )
      .handle("salesStats", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => reports.forEvent(actor, params.eventId))
      )
      .handle("myEvents", ({ query }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          const page = yield* catalog.listMine(actor, {
            cursor: query.cursor,
            limit: query.limit ?? DEFAULT_PAGE_SIZE
          })
          const now = yield* currentDate
          // A key that names events sees only those (a page may then hold fewer than `limit`).
          const seen = page.items.filter((e) => keySees(actor.apiKey, e.id))
          return { items: seen.map((e) => eventView(e, now)), nextCursor: page.nextCursor }
        })
      )
  })
)

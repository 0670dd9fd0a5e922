import { HttpApiBuilder } from "@effect/platform"
import { Clock, Effect } from "effect"
import { Catalog } from "../../services/catalog/Catalog.ts"
import { MaybeActor } from "../api/Authentication.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { eventView, seatMapView, ticketTypeView } from "./views.ts"

export const DEFAULT_PAGE_SIZE = 20
export const currentDate = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

export const EventsLive = HttpApiBuilder.group(GoTicketApi, "events", (handlers) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    return handlers
      .handle("browse", ({ urlParams }) =>
        Effect.gen(function* () {
          const now = yield* currentDate
          const page = yield* catalog.browse({
            text: urlParams.q?.trim() || undefined,
            from: urlParams.from ?? now,
            to: urlParams.to,
            cursor: urlParams.cursor,
            limit: urlParams.limit ?? DEFAULT_PAGE_SIZE
          })
          return { items: page.items.map((e) => eventView(e, now)), nextCursor: page.nextCursor }
        })
      )
      .handle("get", ({ path }) =>
        Effect.gen(function* () {
          const { event, ticketTypes } = yield* catalog.details(yield* MaybeActor, path.eventId)
          return { ...eventView(event, yield* currentDate), ticketTypes: ticketTypes.map(ticketTypeView) }
        })
      )
      .handle("seats", ({ path }) =>
        Effect.flatMap(MaybeActor, (actor) => catalog.seatMap(actor, path.eventId)).pipe(
          Effect.map((map) => seatMapView(path.eventId, map))
        )
      )
  })
)

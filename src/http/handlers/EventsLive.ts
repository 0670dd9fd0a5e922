import { Clock, Effect, Option, Schema } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { type CachedView, InventoryCache } from "../../domain/reservations/InventoryCache.ts"
import { Catalog } from "../../services/catalog/Catalog.ts"
import { MaybeActor } from "../api/Authentication.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { EventDetailView, SeatMapView } from "../api/views.ts"
import { eventView, seatMapView, ticketTypeView } from "./views.ts"

export const DEFAULT_PAGE_SIZE = 20
export const currentDate = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

/** The views as the API sends them (JSON: dates as ISO strings), to cache the answer's text. */
const encodeDetail = Schema.encodeSync(Schema.toCodecJson(EventDetailView))
const encodeSeats = Schema.encodeSync(Schema.toCodecJson(SeatMapView))

export const EventsLive = HttpApiBuilder.group(GoTicketApi, "events", (handlers) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const cache = yield* InventoryCache

    /**
     * Public views are the same for every anonymous caller: served from the inventory cache, which every change
     * to the event or its inventory invalidates. Callers with a token may see drafts, so they skip the cache.
     */
    const cachedForAnonymous = <A, I, E, R>(
      actor: Option.Option<unknown>,
      eventId: string,
      view: CachedView,
      encode: (a: A) => I,
      compute: () => Effect.Effect<A, E, R>
    ): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E, R> => {
      if (Option.isSome(actor)) return compute()
      return Effect.flatMap(
        cache.getView(eventId, view),
        (hit): Effect.Effect<A | HttpServerResponse.HttpServerResponse, E, R> =>
          Option.isSome(hit)
            ? Effect.succeed(HttpServerResponse.text(hit.value, { contentType: "application/json" }))
            : Effect.tap(compute(), (value) => cache.putView(eventId, view, JSON.stringify(encode(value))))
      )
    }
    return handlers
      .handle("browse", ({ query }) =>
        Effect.gen(function* () {
          const now = yield* currentDate
          const page = yield* catalog.browse({
            text: query.q?.trim() || undefined,
            from: query.from ?? now,
            to: query.to,
            cursor: query.cursor,
            limit: query.limit ?? DEFAULT_PAGE_SIZE
          })
          return { items: page.items.map((e) => eventView(e, now)), nextCursor: page.nextCursor }
        })
      )
      .handle("get", ({ params }) =>
        Effect.gen(function* () {
          const actor = yield* MaybeActor
          return yield* cachedForAnonymous(actor, params.eventId, "detail", encodeDetail, () =>
            Effect.gen(function* () {
              const { event, ticketTypes } = yield* catalog.details(actor, params.eventId)
              return { ...eventView(event, yield* currentDate), ticketTypes: ticketTypes.map(ticketTypeView) }
            })
          )
        })
      )
      .handle("seats", ({ params }) =>
        Effect.flatMap(MaybeActor, (actor) =>
          cachedForAnonymous(actor, params.eventId, "seats", encodeSeats, () =>
            Effect.map(catalog.seatMap(actor, params.eventId), (map) => seatMapView(params.eventId, map))
          )
        )
      )
  })
)

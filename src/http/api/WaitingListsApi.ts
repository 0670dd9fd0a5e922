import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { TicketTypeNotFound } from "../../domain/catalog/errors.ts"
import { EventId, TicketTypeId } from "../../domain/shared/Ids.ts"
import {
  NotOnWaitingList,
  WaitingListClosed,
  WaitingListNotForSeats,
  WaitingListNotSoldOut
} from "../../domain/waitinglist/errors.ts"
import { WaitingListEntryId } from "../../domain/waitinglist/WaitingList.ts"
import { Authentication } from "./Authentication.ts"
import { EventNotFound404, eventIdParam } from "./EventsApi.ts"
import { Forbidden403 } from "./errors.ts"
import { payload } from "./payload.ts"

const listParams = { eventId: EventId, ticketTypeId: TicketTypeId } as const

export const WaitingListStandingView = Schema.Struct({
  entryId: WaitingListEntryId,
  status: Schema.Literals(["waiting", "offered"]).annotate({
    description:
      "waiting: in line; offered: a ticket is kept for you until offerExpiresAt (its voucher code was mailed to you)"
  }),
  position: Schema.Int.annotate({ description: "Your place in line (1: next); 0 while you hold an offer" }),
  waiting: Schema.Int.annotate({ description: "How many are waiting in all (without an offer)" }),
  offerExpiresAt: Schema.NullOr(Schema.Date)
}).annotate({ identifier: "WaitingListStanding" })

export const JoinedWaitingListView = Schema.Struct({
  joined: Schema.Boolean.annotate({ description: "false: you were in this list already (nothing changed)" }),
  standing: WaitingListStandingView
}).annotate({ identifier: "JoinedWaitingList" })

export const WaitingListSummaryView = Schema.Struct({
  ticketTypeId: TicketTypeId,
  name: Schema.String,
  open: Schema.Boolean.annotate({ description: "false: switched off (joining refused, no new offers)" }),
  waiting: Schema.Int.annotate({ description: "Customers in line without an offer" }),
  withheld: Schema.Int.annotate({
    description: "Units withheld from the public sale now, for open offers and reserved-quota vouchers"
  })
}).annotate({ identifier: "WaitingListSummary" })

export const WaitingListSettingsRequest = payload(
  Schema.Struct({
    open: Schema.Boolean.annotate({ description: "false switches the list off: joining refused, no new offers" })
  }),
  "WaitingListSettingsRequest"
)

const TicketTypeNotFound404 = TicketTypeNotFound.pipe(HttpApiSchema.status(404))
const NotOnWaitingList404 = NotOnWaitingList.pipe(HttpApiSchema.status(404))

/**
 * Waiting lists of sold-out ticket types. Customers join, see their place and leave; when units come back, the first
 * in line get an offer by mail: a single-use voucher code of their account that keeps one ticket for them for
 * WAITING_LIST_OFFER_HOURS. Organizers see the lists' lengths and switch them off or on.
 */
export class WaitingListsApi extends HttpApiGroup.make("waitingLists")
  .add(
    HttpApiEndpoint.post("join", "/v1/events/:eventId/waiting-lists/:ticketTypeId/entry", {
      params: listParams,
      success: JoinedWaitingListView,
      error: [
        EventNotFound404,
        TicketTypeNotFound404,
        NotOnWaitingList404,
        WaitingListNotSoldOut.pipe(HttpApiSchema.status(409)),
        WaitingListClosed.pipe(HttpApiSchema.status(409)),
        WaitingListNotForSeats.pipe(HttpApiSchema.status(422))
      ]
    })
      .annotate(OpenApi.Summary, "Join a sold-out ticket type's waiting list")
      .annotate(
        OpenApi.Description,
        "Only a general-admission ticket type that is sold out (409 `WaitingListNotSoldOut` otherwise: hold tickets instead) and whose list the organizer has not switched off (409 `WaitingListClosed`). Once per ticket type: joining again answers your place, `joined: false`. When units come back (a hold ends, an order is cancelled or refunded, capacity is raised), they are offered one each to the first in line: a voucher code, usable by your account only, mailed to you, that keeps one ticket for you until `offerExpiresAt`; give it as `voucherCode` when holding (POST /v1/reservations). Not used in time, it passes to the next in line."
      )
  )
  .add(
    HttpApiEndpoint.get("standing", "/v1/events/:eventId/waiting-lists/:ticketTypeId/entry", {
      params: listParams,
      success: WaitingListStandingView,
      error: [EventNotFound404, TicketTypeNotFound404, NotOnWaitingList404]
    })
      .annotate(OpenApi.Summary, "Your place in a waiting list")
      .annotate(
        OpenApi.Description,
        "404 `NotOnWaitingList` when you are not in it (never joined, left, or your offer ended)."
      )
  )
  .add(
    HttpApiEndpoint.delete("leave", "/v1/events/:eventId/waiting-lists/:ticketTypeId/entry", {
      params: listParams,
      success: HttpApiSchema.NoContent,
      error: [EventNotFound404, TicketTypeNotFound404, NotOnWaitingList404]
    })
      .annotate(OpenApi.Summary, "Leave a waiting list")
      .annotate(OpenApi.Description, "An open offer is given up too: its ticket passes to the next in line at once.")
  )
  .add(
    HttpApiEndpoint.get("summary", "/v1/events/:eventId/waiting-lists", {
      params: eventIdParam,
      success: Schema.Array(WaitingListSummaryView),
      error: [EventNotFound404, Forbidden403]
    })
      .annotate(OpenApi.Summary, "The event's waiting lists (organizer)")
      .annotate(
        OpenApi.Description,
        "Per general-admission ticket type: whether its list is open, how many wait and how many units are withheld for offers and reserved quotas. For the event's organizer or an admin."
      )
  )
  .add(
    HttpApiEndpoint.patch("settings", "/v1/events/:eventId/waiting-lists/:ticketTypeId", {
      params: listParams,
      payload: WaitingListSettingsRequest,
      success: WaitingListSummaryView,
      error: [EventNotFound404, TicketTypeNotFound404, Forbidden403]
    })
      .annotate(OpenApi.Summary, "Switch a ticket type's waiting list off or on (organizer)")
      .annotate(
        OpenApi.Description,
        "Switched off: joining is refused (409 `WaitingListClosed`) and returned units go back on sale instead of to the list; offers already made stay valid. A seated ticket type has no list (404)."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Waiting lists") {}

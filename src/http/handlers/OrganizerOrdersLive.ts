import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { type Actor, CurrentActor } from "../../domain/accounts/Actor.ts"
import { OrderNotFound } from "../../domain/orders/errors.ts"
import { DEFAULT_SEARCH_PAGE } from "../../domain/orders/OrderSearch.ts"
import type { EventId, OrderId } from "../../domain/shared/Ids.ts"
import { Catalog } from "../../services/catalog/Catalog.ts"
import { EventOrderReports, type OrderQuery } from "../../services/orders/EventOrderReports.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { makeConfirmationResend } from "./confirmationResends.ts"
import { orderView, refundView } from "./OrdersLive.ts"
import { attendeeView, orderSummaryView } from "./OrganizerOrderViews.ts"

/** The search a query asks for. */
const queryOf = (q: {
  readonly status?: OrderQuery["status"]
  readonly email?: string | undefined
  readonly name?: string | undefined
  readonly ticketCode?: string | undefined
  readonly from?: Date | undefined
  readonly to?: Date | undefined
}): OrderQuery => ({
  status: q.status,
  email: q.email,
  name: q.name,
  ticketCode: q.ticketCode,
  createdFrom: q.from,
  createdTo: q.to
})

export const OrganizerOrdersLive = HttpApiBuilder.group(GoTicketApi, "organizerOrders", (handlers) =>
  Effect.gen(function* () {
    const orders = yield* Orders
    const catalog = yield* Catalog
    const reports = yield* EventOrderReports
    const resend = yield* makeConfirmationResend
    /**
     * An order of an event the caller manages (Catalog.requireManaged: 404 for someone else's draft, 403 for their
     * published event), and of that very event, which is what an API key was checked against; else 404.
     */
    const ofEvent = (actor: Actor, eventId: EventId, orderId: OrderId) =>
      Effect.gen(function* () {
        yield* catalog.requireManaged(actor, eventId)
        const order = yield* orders.get(actor, orderId)
        if (order.eventId !== eventId)
          return yield* new OrderNotFound({ message: `no order ${orderId} for this event` })
        return order
      })
    return handlers
      .handle("search", ({ params, query }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          const found = yield* reports.search(actor, params.eventId, queryOf(query), {
            cursor: query.cursor,
            limit: query.limit ?? DEFAULT_SEARCH_PAGE
          })
          return { items: found.items.map(orderSummaryView), nextCursor: found.nextCursor }
        })
      )
      .handle("searchCsv", ({ params, query }) =>
        Effect.flatMap(CurrentActor, (actor) => reports.ordersCsv(actor, params.eventId, queryOf(query)))
      )
      .handle("attendees", ({ params, query }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          const found = yield* reports.attendees(actor, params.eventId, {
            cursor: query.cursor,
            limit: query.limit ?? DEFAULT_SEARCH_PAGE
          })
          return { items: found.items.map(attendeeView), nextCursor: found.nextCursor }
        })
      )
      .handle("attendeesCsv", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => reports.attendeesCsv(actor, params.eventId))
      )
      .handle("order", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => ofEvent(actor, params.eventId, params.orderId)).pipe(
          Effect.map((order) => orderView(order))
        )
      )
      .handle("resendConfirmation", ({ params }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          return yield* resend(actor, yield* ofEvent(actor, params.eventId, params.orderId))
        })
      )
      .handle("refund", ({ params, payload, headers }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          yield* ofEvent(actor, params.eventId, params.orderId)
          const refund = yield* orders.refund(actor, params.orderId, payload.ticketIds, headers["idempotency-key"])
          return refundView(refund)
        })
      )
  })
)

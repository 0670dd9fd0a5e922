import { Effect, Layer, Option, Ref } from "effect"
import type { User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AttendeeLine, EventOrders, OrderSummary } from "../../domain/orders/EventOrders.ts"
import type { Order } from "../../domain/orders/Order.ts"
import {
  attendeePosition,
  inIssueOrder,
  isAfterInAttendees,
  isAfterInSearch,
  isAttending,
  matchesFilter,
  newestFirst,
  orderPosition
} from "../../domain/orders/OrderSearch.ts"
import type { EventId } from "../../domain/shared/Ids.ts"
import { MemoryStore, MemoryStoreLive } from "../memory/MemoryStore.ts"
import { documentOf, trusted } from "./OrderTransitionsMemory.ts"

/** The in-memory twin of EventOrdersPg: the shared MemoryStore's orders, their buyers from the UserRepository. */
export const EventOrdersMemory = Layer.effect(
  EventOrders,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    const users = yield* UserRepository

    /** The event's orders with their tickets, and the buyer of each (an order without a known buyer is left out). */
    const ordersOf = (eventId: EventId) =>
      Effect.gen(function* () {
        const s = yield* Ref.get(store)
        const orders = [...s.orders.values()]
          .filter((o) => o.order.eventId === eventId)
          .map((o) => documentOf(s, o.order.id) as Order)
        const found: Array<{ readonly order: Order; readonly buyer: User }> = []
        for (const order of orders) {
          const buyer = yield* users.findById(order.customerId)
          if (Option.isSome(buyer)) found.push({ order, buyer: buyer.value })
        }
        return { found, ticketTypes: s.ticketTypes }
      })

    return EventOrders.of({
      searchOrders: (eventId, filter, after, limit) =>
        Effect.map(ordersOf(eventId), ({ found }) =>
          found
            .map(({ order, buyer }) => ({
              ticketIds: order.tickets.map((t) => t.id),
              summary: new OrderSummary(
                {
                  id: order.id,
                  eventId: order.eventId,
                  customerId: order.customerId,
                  buyerEmail: buyer.email,
                  buyerName: buyer.name,
                  status: order.status,
                  totalMinor: order.totalMinor,
                  refundedMinor: order.refundedMinor,
                  currency: order.currency,
                  tickets: order.tickets.length,
                  validTickets: order.tickets.filter(isAttending).length,
                  createdAt: order.createdAt,
                  confirmedAt: order.confirmedAt,
                  cancelledAt: order.cancelledAt
                },
                trusted
              )
            }))
            .filter(
              ({ summary, ticketIds }) =>
                matchesFilter(summary, ticketIds, filter) && isAfterInSearch(orderPosition(summary), after)
            )
            .map(({ summary }) => summary)
            .sort(newestFirst)
            .slice(0, limit)
        ),
      attendees: (eventId, after, limit) =>
        Effect.map(ordersOf(eventId), ({ found, ticketTypes }) =>
          found
            .flatMap(({ order, buyer }) =>
              order.tickets.filter(isAttending).map(
                (t) =>
                  new AttendeeLine(
                    {
                      ticketId: t.id,
                      orderId: t.orderId,
                      eventId: t.eventId,
                      ticketTypeId: t.ticketTypeId,
                      ticketTypeName: ticketTypes.get(t.ticketTypeId)?.name ?? "",
                      seatLabel: t.seatLabel,
                      buyerEmail: buyer.email,
                      buyerName: buyer.name,
                      attendeeName: t.attendeeName,
                      issuedAt: t.issuedAt,
                      checkedInAt: t.checkedInAt
                    },
                    trusted
                  )
              )
            )
            .filter((a) => isAfterInAttendees(attendeePosition(a), after))
            .sort(inIssueOrder)
            .slice(0, limit)
        )
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

import { expect, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { UserRepository as Users } from "../../src/domain/accounts/UserRepository.ts"
import type { EventRepository } from "../../src/domain/catalog/EventRepository.ts"
import { EventOrders } from "../../src/domain/orders/EventOrders.ts"
import type { Order, Ticket } from "../../src/domain/orders/Order.ts"
import { OrderRepository } from "../../src/domain/orders/OrderRepository.ts"
import type { ReservationRepository } from "../../src/domain/reservations/ReservationRepository.ts"
import type { KeysetPosition } from "../../src/domain/shared/Cursor.ts"
import type { UserId } from "../../src/domain/shared/Ids.ts"
import { aPaidOrder, aSale, holdOf, now, openOrder } from "./OrderRepositoryContract.ts"
import { aUser } from "./UserRepositoryContract.ts"

type Adapters = EventOrders | OrderRepository | ReservationRepository | EventRepository | UserRepository

const aBuyer = (name: string) =>
  Effect.gen(function* () {
    const user = aUser({ name })
    yield* (yield* Users).insert(user, "hash")
    return user
  })

/** Newest first, as the search lists orders: creation time, then id, descending. */
const newestFirst = (orders: ReadonlyArray<Order>) =>
  [...orders]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((o) => o.id)

/** In issue order, as the attendee list goes: issue time, then ticket id, ascending. */
const issueOrder = (tickets: ReadonlyArray<Ticket>) =>
  [...tickets]
    .sort((a, b) => a.issuedAt.getTime() - b.issuedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((t) => t.id)

/** One contract, every adapter: what any EventOrders (the organizer's search and attendee list) must do. */
export const eventOrdersContract = (name: string, adapters: Layer.Layer<Adapters>) =>
  layer(adapters, { timeout: "120 seconds", excludeTestServices: true })(`EventOrders contract: ${name}`, (it) => {
    it.effect("searches the event's orders by status, buyer, ticket and creation, newest first, page after page", () =>
      Effect.gen(function* () {
        const repo = yield* EventOrders
        const orders = yield* OrderRepository
        const sale = yield* aSale()
        const elsewhere = yield* aSale()
        const alice = yield* aBuyer('Alice "Ace" Smith')
        const bob = yield* aBuyer("Bob Jones")
        const first = yield* aPaidOrder(alice.id, sale.event, { type: sale.standing, quantity: 2 })
        const second = yield* aPaidOrder(bob.id, sale.event, [sale.a1])
        const pending = yield* openOrder(
          (yield* holdOf(alice.id, sale.event, { type: sale.standing, quantity: 1 })).id,
          alice.id
        )
        yield* aPaidOrder(alice.id, elsewhere.event, { type: elsewhere.standing, quantity: 1 })
        const [kept, refunded] = first.tickets as [Ticket, Ticket]
        expect(
          (yield* orders.requestRefund({
            refundId: `refund-${crypto.randomUUID()}`,
            orderId: first.id,
            ticketIds: [refunded.id],
            requestedBy: alice.id,
            includeCheckedIn: false,
            at: yield* now
          }))._tag
        ).toBe("Requested")
        const stored = [first, second, pending]
        const all = newestFirst(stored)
        const search = (filter: Parameters<typeof repo.searchOrders>[1], after?: KeysetPosition, limit = 10) =>
          Effect.map(repo.searchOrders(sale.event.id, filter, after, limit), (found) => found.map((o) => o.id))

        expect(yield* search({})).toEqual(all)
        const summary = (yield* repo.searchOrders(sale.event.id, { ticketId: kept.id }, undefined, 10))[0]
        expect(summary).toMatchObject({
          id: first.id,
          eventId: sale.event.id,
          customerId: alice.id,
          buyerEmail: alice.email,
          buyerName: 'Alice "Ace" Smith',
          status: "partially_refunded",
          totalMinor: 5000,
          refundedMinor: 2500,
          currency: first.currency,
          tickets: 2,
          validTickets: 1
        })
        expect(summary?.createdAt).toEqual(first.createdAt)
        expect(yield* search({ status: "pending_payment" })).toEqual([pending.id])
        expect(yield* search({ email: alice.email.toUpperCase() })).toEqual(newestFirst([first, pending]))
        expect(yield* search({ email: "nobody@example.com" })).toEqual([])
        expect(yield* search({ name: 'LICE "ace' })).toEqual(newestFirst([first, pending]))
        expect(yield* search({ name: "JONES", status: "confirmed" })).toEqual([second.id])
        expect(yield* search({ ticketId: (second.tickets[0] as Ticket).id })).toEqual([second.id])
        expect(yield* search({ ticketId: refunded.id })).toEqual([first.id])
        const created = second.createdAt
        expect(yield* search({ createdFrom: created, createdTo: created })).toEqual(
          newestFirst(stored.filter((o) => o.createdAt.getTime() === created.getTime()))
        )
        expect(yield* search({ createdFrom: new Date(created.getTime() + 3_600_000) })).toEqual([])
        // Page after page from the last one's position: each order once, in the same order.
        const paged: Array<string> = []
        let after: KeysetPosition | undefined
        for (;;) {
          const page = yield* repo.searchOrders(sale.event.id, {}, after, 1)
          if (page.length === 0) break
          paged.push(...page.map((o) => o.id))
          const last = page[page.length - 1] as (typeof page)[number]
          after = { at: last.createdAt, id: last.id }
        }
        expect(paged).toEqual(all)
      })
    )

    it.effect("lists the event's valid tickets in issue order with type, seat, buyer and check-in", () =>
      Effect.gen(function* () {
        const repo = yield* EventOrders
        const orders = yield* OrderRepository
        const sale = yield* aSale()
        const carol = yield* aBuyer("Carol")
        const dan = yield* aBuyer("Dan")
        const first = yield* aPaidOrder(carol.id, sale.event, { type: sale.standing, quantity: 2 })
        const second = yield* aPaidOrder(dan.id, sale.event, [sale.b2, sale.boxA1])
        yield* openOrder((yield* holdOf(dan.id, sale.event, { type: sale.standing, quantity: 1 })).id, dan.id)
        const [voided, standing] = first.tickets as [Ticket, Ticket]
        yield* orders.requestRefund({
          refundId: `refund-${crypto.randomUUID()}`,
          orderId: first.id,
          ticketIds: [voided.id],
          requestedBy: carol.id,
          includeCheckedIn: false,
          at: yield* now
        })
        const at = yield* now
        expect((yield* orders.checkIn(standing.id, sale.event.id, carol.id as UserId, at))._tag).toBe("Admitted")

        const lines = yield* repo.attendees(sale.event.id, undefined, 10)
        const valid = [standing, ...second.tickets]
        expect(lines.map((l) => l.ticketId)).toEqual(issueOrder(valid))
        const byId = new Map(lines.map((l) => [l.ticketId as string, l]))
        expect(byId.get(standing.id)).toMatchObject({
          orderId: first.id,
          eventId: sale.event.id,
          ticketTypeId: sale.standing.id,
          ticketTypeName: "Standing",
          seatLabel: null,
          buyerEmail: carol.email,
          buyerName: "Carol",
          attendeeName: null
        })
        expect(byId.get(standing.id)?.checkedInAt).toEqual(at)
        const box = second.tickets.find((t) => t.seatId === sale.boxA1.id) as Ticket
        expect(byId.get(box.id)).toMatchObject({ ticketTypeName: "Box", seatLabel: box.seatLabel, checkedInAt: null })
        expect(box.seatLabel).not.toBeNull()

        const firstPage = yield* repo.attendees(sale.event.id, undefined, 2)
        const last = firstPage[1] as (typeof firstPage)[number]
        const rest = yield* repo.attendees(sale.event.id, { at: last.issuedAt, id: last.ticketId }, 10)
        expect([...firstPage, ...rest].map((l) => l.ticketId)).toEqual(lines.map((l) => l.ticketId))
        expect(yield* repo.attendees((yield* aSale()).event.id, undefined, 10)).toEqual([])
      })
    )
  })

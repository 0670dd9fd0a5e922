import { describe, expect, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { TicketCheckedIn, TicketIssued, TicketVoided } from "../../src/domain/events/DomainEvents.ts"
import type { EventId, OrderId, TicketId, TicketTypeId, UserId } from "../../src/domain/shared/Ids.ts"
import type { Currency } from "../../src/domain/shared/Money.ts"
import { SalesStats } from "../../src/domain/stats/SalesStats.ts"

const id = <A>() => crypto.randomUUID() as A

export const salesStatsContract = (name: string, make: Layer.Layer<SalesStats>) =>
  describe(`SalesStats contract: ${name}`, () => {
    layer(make, { excludeTestServices: true })((it) => {
      it.effect("counts sold, refunded and checked-in tickets and revenue per ticket type of one event", () =>
        Effect.gen(function* () {
          const stats = yield* SalesStats
          const eventId = id<EventId>()
          const [vip, floor] = [id<TicketTypeId>(), id<TicketTypeId>()]
          const ticket = (ticketTypeId: TicketTypeId, priceMinor: number) =>
            new TicketIssued({
              ticketId: id<TicketId>(),
              orderId: id<OrderId>(),
              eventId,
              customerId: id<UserId>(),
              ticketTypeId,
              seatId: null,
              priceMinor,
              currency: "EUR" as Currency
            })
          const sold = [ticket(vip, 9_000), ticket(vip, 9_000), ticket(floor, 3_000)]
          for (const t of sold) yield* stats.record(t)
          const [first, second] = sold as [TicketIssued, TicketIssued, TicketIssued]
          yield* stats.record(
            new TicketVoided({
              ticketId: second.ticketId,
              orderId: second.orderId,
              eventId,
              customerId: second.customerId,
              ticketTypeId: second.ticketTypeId,
              priceMinor: 9_000,
              currency: second.currency
            })
          )
          yield* stats.record(
            new TicketCheckedIn({
              ticketId: first.ticketId,
              orderId: first.orderId,
              eventId,
              ticketTypeId: vip,
              checkedInAt: new Date(),
              checkedInBy: null
            })
          )
          // Another event's sale is not counted here.
          yield* stats.record(new TicketIssued({ ...ticket(vip, 1), eventId: id<EventId>() }))
          const rows = yield* stats.forEvent(eventId)
          const vipRow = rows.find((r) => r.ticketTypeId === vip)
          const floorRow = rows.find((r) => r.ticketTypeId === floor)
          expect(rows.length).toBe(2)
          expect(vipRow).toMatchObject({ sold: 2, refunded: 1, checkedIn: 1, grossMinor: 18_000, refundedMinor: 9_000 })
          expect(vipRow?.currency).toBe("EUR")
          expect(floorRow).toMatchObject({ sold: 1, refunded: 0, checkedIn: 0, grossMinor: 3_000, refundedMinor: 0 })
        })
      )

      it.effect("an event with no sales has no rows", () =>
        Effect.gen(function* () {
          const stats = yield* SalesStats
          expect(yield* stats.forEvent(id<EventId>())).toEqual([])
        })
      )
    })
  })

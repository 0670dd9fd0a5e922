import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { aPaidOrder, aSale, aStoredUser, now } from "../../../test/contracts/OrderRepositoryContract.ts"
import { TestDatabaseLive } from "../../../test/support/TestDatabase.ts"
import { Event } from "../../domain/catalog/Event.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { EventEnvelope, payloadOf } from "../../domain/events/EventEnvelope.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import { UserRepositoryPg } from "../accounts/UserRepositoryPg.ts"
import { EventRepositoryPg } from "../catalog/EventRepositoryPg.ts"
import { OrderRepositoryPg } from "../orders/OrderRepositoryPg.ts"
import { ReservationRepositoryPg } from "../reservations/ReservationRepositoryPg.ts"
import { currentTraceparent } from "../sql/TraceContext.ts"
import { OutboxPg } from "./OutboxPg.ts"

const Repositories = Layer.mergeAll(OrderRepositoryPg, ReservationRepositoryPg, EventRepositoryPg, UserRepositoryPg)

/** The outbox rows about the given aggregates, in the order they were written, as envelopes. */
const eventsAbout = (aggregateIds: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`
      SELECT id, type, version, occurred_at, aggregate_type, aggregate_id, payload, traceparent FROM outbox
      WHERE aggregate_id IN ${sql.in(aggregateIds)} ORDER BY position`
    return rows.map((row) =>
      Schema.decodeUnknownSync(EventEnvelope)({ ...row, occurredAt: (row.occurredAt as Date).toISOString() })
    )
  })

// Each state change writes its domain event in its own transaction, from a trigger; the payload is the domain's schema.
layer(Repositories.pipe(Layer.provideMerge(OutboxPg), Layer.provideMerge(TestDatabaseLive)), {
  excludeTestServices: true
})("Domain events written with the state change (PostgreSQL triggers)", (it) => {
  it.effect("a purchase, a partial refund, a check-in and a cancellation each write their events, with the trace", () =>
    Effect.gen(function* () {
      const orders = yield* OrderRepository
      const sale = yield* aSale(10)
      const customer = yield* aStoredUser()
      const [order, traceparent] = yield* Effect.all([
        aPaidOrder(customer.id, sale.event, { type: sale.standing, quantity: 2 }),
        currentTraceparent
      ]).pipe(Effect.withSpan("POST /v1/reservations/{id}/checkout"))
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
      const [kept, refunded] = order.tickets as [(typeof order.tickets)[0], (typeof order.tickets)[0]]

      const refund = yield* orders.requestRefund({
        refundId: `refund-${crypto.randomUUID()}`,
        orderId: order.id,
        ticketIds: [refunded.id],
        requestedBy: customer.id,
        includeCheckedIn: false,
        at: yield* now
      })
      if (refund._tag !== "Requested") throw new Error(`expected Requested, got ${refund._tag}`)
      yield* orders.completeRefund(refund.refund.id, "re_1", yield* now)
      yield* orders.checkIn(kept.id, sale.event.id, customer.id, yield* now)
      const events = yield* EventRepository
      const stored = yield* events.findById(sale.event.id)
      if (stored._tag === "None") throw new Error("the event is gone")
      const cancelled = yield* events.update(
        new Event({ ...stored.value, status: "cancelled", cancelledAt: yield* now }, { disableChecks: true })
      )
      expect(cancelled.status).toBe("cancelled")

      const written = yield* eventsAbout([order.id, order.reservationId, kept.id, refunded.id, sale.event.id])
      expect(written.map((e) => `${e.type}:${e.aggregateId}`)).toEqual([
        `EventPublished:${sale.event.id}`,
        `ReservationCreated:${order.reservationId}`,
        `OrderConfirmed:${order.id}`,
        `TicketIssued:${kept.id}`,
        `TicketIssued:${refunded.id}`,
        `TicketVoided:${refunded.id}`,
        `OrderRefunded:${order.id}`,
        `TicketCheckedIn:${kept.id}`,
        `EventCancelled:${sale.event.id}`
      ])
      // The purchase's events carry the request's trace (with the span of the write); a later change carries its own.
      const traceId = (tp: string | null | undefined) => tp?.split("-")[1]
      expect(written.slice(1, 5).map((e) => traceId(e.traceparent))).toEqual(Array(4).fill(traceId(traceparent)))
      expect(traceId(written[7]?.traceparent)).toMatch(/^[0-9a-f]{32}$/)
      expect(traceId(written[7]?.traceparent)).not.toBe(traceId(traceparent))
      // Every payload reads back as its domain event.
      const decoded = yield* Effect.forEach(written, payloadOf)
      expect(decoded[2]).toMatchObject({
        _tag: "OrderConfirmed",
        orderId: order.id,
        customerId: customer.id,
        totalMinor: 5000,
        tickets: 2
      })
      expect(decoded[6]).toMatchObject({ _tag: "OrderRefunded", amountMinor: 2500, ticketIds: [refunded.id] })
      expect(decoded[5]).toMatchObject({ _tag: "TicketVoided", priceMinor: 2500, ticketTypeId: sale.standing.id })
    })
  )

  it.effect("a hold released or expired writes its event; a refused hold writes none", () =>
    Effect.gen(function* () {
      const holds = yield* ReservationRepository
      const sale = yield* aSale(1)
      const customer = yield* aStoredUser()
      const at = yield* now
      const place = (quantity: number) =>
        holds.place({
          reservationId: crypto.randomUUID() as never,
          customerId: customer.id,
          eventId: sale.event.id,
          items: [{ ticketTypeId: sale.standing.id, quantity }],
          expiresAt: new Date(at.getTime() + 60_000),
          customerLimit: 100
        })
      const held = yield* place(1)
      if (held._tag !== "Held") throw new Error("expected Held")
      const refused = yield* place(1)
      expect(refused._tag).toBe("Refused")
      yield* holds.end([held.reservation.id], "released")
      const written = yield* eventsAbout([held.reservation.id])
      expect(written.map((e) => e.type)).toEqual(["ReservationCreated", "ReservationReleased"])
      const sql = yield* SqlClient.SqlClient
      const [{ n }] = (yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM outbox WHERE type = 'ReservationCreated'
          AND payload->>'eventId' = ${sale.event.id}`) as unknown as [{ n: number }]
      expect(n).toBe(1)
    })
  )
})

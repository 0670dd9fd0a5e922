import { Context, Effect, Layer } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import type { EventId } from "../../domain/shared/Ids.ts"
import { SalesStats } from "../../domain/stats/SalesStats.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { Catalog } from "../catalog/Catalog.ts"

export interface SalesLine {
  readonly sold: number
  readonly refunded: number
  readonly checkedIn: number
  readonly grossMinor: number
  readonly refundedMinor: number
  readonly revenueMinor: number
}

const zero: SalesLine = { sold: 0, refunded: 0, checkedIn: 0, grossMinor: 0, refundedMinor: 0, revenueMinor: 0 }

const add = (a: SalesLine, b: SalesLine): SalesLine => ({
  sold: a.sold + b.sold,
  refunded: a.refunded + b.refunded,
  checkedIn: a.checkedIn + b.checkedIn,
  grossMinor: a.grossMinor + b.grossMinor,
  refundedMinor: a.refundedMinor + b.refundedMinor,
  revenueMinor: a.revenueMinor + b.revenueMinor
})

/** An event's sales for its organizer: the projection per ticket type (every type, sold or not) and the totals. */
export class SalesReports extends Context.Service<SalesReports>()("goticket/SalesReports", {
  make: Effect.gen(function* () {
    const catalog = yield* Catalog
    const stats = yield* SalesStats
    const vouchers = yield* VoucherRepository

    const forEvent = Effect.fn("SalesReports.forEvent")(function* (actor: Actor, eventId: EventId) {
      const { event, ticketTypes } = yield* catalog.managed(actor, eventId)
      const rows = yield* stats.forEvent(eventId)
      const byType = new Map(rows.map((r) => [r.ticketTypeId as string, r]))
      const lines = ticketTypes.map((type) => {
        const row = byType.get(type.id)
        const line: SalesLine = row
          ? {
              sold: row.sold,
              refunded: row.refunded,
              checkedIn: row.checkedIn,
              grossMinor: row.grossMinor,
              refundedMinor: row.refundedMinor,
              revenueMinor: row.grossMinor - row.refundedMinor
            }
          : zero
        return { ticketTypeId: type.id, name: type.name, capacity: type.capacity, ...line }
      })
      const updatedAt = rows.reduce<Date | null>(
        (latest, r) => (latest && latest > r.updatedAt ? latest : r.updatedAt),
        null
      )
      return {
        eventId: event.id,
        currency: ticketTypes[0]?.currency ?? rows[0]?.currency ?? null,
        totals: lines.reduce<SalesLine>(add, zero),
        ticketTypes: lines,
        vouchers: yield* vouchers.totalsForEvent(eventId),
        updatedAt
      }
    })

    return { forEvent } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

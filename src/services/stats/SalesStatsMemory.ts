import { Effect, Layer, Ref } from "effect"
import type { Currency } from "../../domain/shared/Money.ts"
import { SalesStats, TicketTypeSales } from "../../domain/stats/SalesStats.ts"

// A check-in counted before its ticket's issue (events of different tickets are not ordered) has no currency yet.
const unknownCurrency = "XXX" as Currency

/** The sales projection in memory, for the domain's tests and the contract suite. */
export const SalesStatsMemory = Layer.effect(
  SalesStats,
  Effect.gen(function* () {
    const rows = yield* Ref.make(new Map<string, TicketTypeSales>())
    return SalesStats.of({
      record: (fact) =>
        Ref.update(rows, (current) => {
          const key = `${fact.eventId}/${fact.ticketTypeId}`
          const before = current.get(key)
          const currency = fact._tag === "TicketCheckedIn" ? (before?.currency ?? unknownCurrency) : fact.currency
          const next = new TicketTypeSales({
            eventId: fact.eventId,
            ticketTypeId: fact.ticketTypeId,
            currency: before?.currency === unknownCurrency || before === undefined ? currency : before.currency,
            sold: (before?.sold ?? 0) + (fact._tag === "TicketIssued" ? 1 : 0),
            refunded: (before?.refunded ?? 0) + (fact._tag === "TicketVoided" ? 1 : 0),
            checkedIn: (before?.checkedIn ?? 0) + (fact._tag === "TicketCheckedIn" ? 1 : 0),
            grossMinor: (before?.grossMinor ?? 0) + (fact._tag === "TicketIssued" ? fact.priceMinor : 0),
            refundedMinor: (before?.refundedMinor ?? 0) + (fact._tag === "TicketVoided" ? fact.priceMinor : 0),
            updatedAt: new Date()
          })
          return new Map(current).set(key, next)
        }),
      forEvent: (eventId) =>
        Effect.map(Ref.get(rows), (current) =>
          [...current.values()]
            .filter((r) => r.eventId === eventId)
            .sort((a, b) => a.ticketTypeId.localeCompare(b.ticketTypeId))
        )
    })
  })
)

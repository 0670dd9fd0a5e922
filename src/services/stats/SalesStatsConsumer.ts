import { Effect } from "effect"
import { SalesStats } from "../../domain/stats/SalesStats.ts"
import type { Consumer } from "../events/EventConsumers.ts"

/** Keeps the sales projection: every issued, voided and checked-in ticket counted once. */
export const salesStatsConsumer: Consumer<SalesStats> = {
  name: "sales-stats",
  eventTypes: ["TicketIssued", "TicketVoided", "TicketCheckedIn"],
  handle: (event) =>
    event._tag === "TicketIssued" || event._tag === "TicketVoided" || event._tag === "TicketCheckedIn"
      ? Effect.flatMap(SalesStats, (stats) => stats.record(event))
      : Effect.void
}

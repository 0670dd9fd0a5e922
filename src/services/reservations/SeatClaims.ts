import { Effect } from "effect"
import type { SeatCandidate } from "../../domain/reservations/BestAvailable.ts"

/**
 * The seats this process's best-available holds have chosen and are placing right now, per ticket type. A buyer
 * choosing meanwhile leaves them out, so two buyers of one process do not race for the same block: in a seated sale
 * most attempts lost that race to a neighbour in flight and read and chose again.
 *
 * Only a hint: PostgreSQL's place_hold still decides who gets a seat (another process's buyers, a read older than
 * a hold that just committed). When every candidate is claimed, the caller chooses among all of them, so that a
 * claim never turns into a refusal.
 */
export const makeSeatClaims = () => {
  const claimed = new Map<string, Set<string>>()

  /** The candidates no hold of this process is placing. */
  const unclaimed = (ticketTypeId: string, candidates: ReadonlyArray<SeatCandidate>) => {
    const seats = claimed.get(ticketTypeId)
    return seats === undefined || seats.size === 0 ? candidates : candidates.filter((c) => !seats.has(c.id))
  }

  /** Runs `place` with `seatIds` claimed, released whatever it ends with. */
  const placing = <A, E, R>(ticketTypeId: string, seatIds: ReadonlyArray<string>, place: Effect.Effect<A, E, R>) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        let seats = claimed.get(ticketTypeId)
        if (seats === undefined) {
          seats = new Set()
          claimed.set(ticketTypeId, seats)
        }
        const own = seats
        for (const id of seatIds) own.add(id)
        return Effect.ensuring(
          restore(place),
          Effect.sync(() => {
            for (const id of seatIds) own.delete(id)
            if (own.size === 0) claimed.delete(ticketTypeId)
          })
        )
      })
    )

  return { unclaimed, placing }
}

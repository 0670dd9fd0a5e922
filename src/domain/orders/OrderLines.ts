import { byVenuePosition, type VenuePosition } from "../catalog/VenueOrder.ts"
import type { OrderLine } from "./Order.ts"

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** General-admission units of one ticket type in a hold. */
export interface HeldUnits {
  readonly ticketTypeId: OrderLine["ticketTypeId"]
  readonly quantity: number
  readonly unitPriceMinor: number
}

/** One seat of a hold, with what its line shows. */
export interface HeldSeat {
  readonly ticketTypeId: OrderLine["ticketTypeId"]
  readonly seatId: NonNullable<OrderLine["seatId"]>
  readonly seatLabel: string | null
  readonly unitPriceMinor: number
  readonly venue: VenuePosition
}

/**
 * An order's lines, one per admission: the general-admission units first, by ticket type id, then the seats in
 * venue order (ties by ticket type id); positions from 1. The order of the tickets a customer receives.
 */
export const linesOfHold = (units: ReadonlyArray<HeldUnits>, seats: ReadonlyArray<HeldSeat>): Array<OrderLine> => {
  const ga = [...units]
    .sort((a, b) => byId(a.ticketTypeId, b.ticketTypeId))
    .flatMap((u) =>
      Array.from({ length: u.quantity }, () => ({
        ticketTypeId: u.ticketTypeId,
        seatId: null,
        seatLabel: null,
        unitPriceMinor: u.unitPriceMinor
      }))
    )
  const seated = [...seats]
    .sort((a, b) => byVenuePosition(a.venue, b.venue) || byId(a.ticketTypeId, b.ticketTypeId))
    .map((s) => ({
      ticketTypeId: s.ticketTypeId,
      seatId: s.seatId,
      seatLabel: s.seatLabel,
      unitPriceMinor: s.unitPriceMinor
    }))
  return [...ga, ...seated].map((line, i) => ({ position: i + 1, ...line }))
}

/** Admissions per ticket type, in ticket type id order (the order their rows are locked in). */
export const unitsPerType = (
  lines: ReadonlyArray<{ readonly ticketTypeId: string }>
): ReadonlyArray<readonly [string, number]> => {
  const counts = new Map<string, number>()
  for (const line of lines) counts.set(line.ticketTypeId, (counts.get(line.ticketTypeId) ?? 0) + 1)
  return [...counts].sort(([a], [b]) => byId(a, b))
}

/** The seats an order's lines name. */
export const seatsOfLines = (lines: ReadonlyArray<{ readonly seatId: string | null }>): ReadonlyArray<string> =>
  lines.flatMap((l) => (l.seatId === null ? [] : [l.seatId]))

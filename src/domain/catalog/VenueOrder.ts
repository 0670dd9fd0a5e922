/** Where a seat is in the venue: its section's place, its row's place in the section, its place in the row. */
export interface VenuePosition {
  readonly section: number
  readonly row: number
  readonly seat: number
}

/**
 * Venue order: by section, then row, then seat (front to back, left to right as the organizer numbered them). The
 * order of a hold's seats, of an order's lines and tickets, and of the seats best available looks at first.
 */
export const byVenuePosition = (a: VenuePosition, b: VenuePosition): number =>
  a.section - b.section || a.row - b.row || a.seat - b.seat

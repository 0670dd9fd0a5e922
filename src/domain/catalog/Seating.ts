import { Schema } from "effect"
import { EventId, SeatId, SectionId, TicketTypeId } from "../shared/Ids.ts"
import { BoundedText } from "../shared/Text.ts"

export const SeatStatus = Schema.Literals(["available", "held", "sold"])
export type SeatStatus = typeof SeatStatus.Type

export class Section extends Schema.Class<Section>("Section")({
  id: SectionId,
  eventId: EventId,
  name: Schema.String,
  position: Schema.Int
}) {}

/** One seat. `position` orders seats within their row, so that neighbours are position ± 1. */
export class Seat extends Schema.Class<Seat>("Seat")({
  id: SeatId,
  eventId: EventId,
  sectionId: SectionId,
  row: Schema.String,
  rowPosition: Schema.Int,
  label: Schema.String,
  position: Schema.Int,
  ticketTypeId: TicketTypeId,
  status: SeatStatus
}) {}

export const MAX_SEATS_PER_EVENT = 100_000

/** What an organizer sends: sections → rows → seats, each seat tied to a ticket type as its price category. */
export const SeatingPlan = Schema.Struct({
  sections: Schema.Array(
    Schema.Struct({
      name: BoundedText(120),
      rows: Schema.Array(
        Schema.Struct({
          label: BoundedText(20),
          seats: Schema.Array(Schema.Struct({ label: BoundedText(20), ticketTypeId: TicketTypeId })).check(
            Schema.isMinLength(1),
            Schema.isMaxLength(1000)
          )
        })
      ).check(Schema.isMinLength(1), Schema.isMaxLength(1000))
    })
  ).check(Schema.isMinLength(1), Schema.isMaxLength(200))
})
export type SeatingPlan = typeof SeatingPlan.Type

import { Schema } from "effect"

/**
 * A UUID as the identifiers are written: the 8-4-4-4-12 hexadecimal shape, any version, either case (what Effect 3's
 * `Schema.UUID` accepted; Effect 4's `isUUID` also checks the version and variant bits).
 */
export const Uuid = Schema.String.check(Schema.isGUID({ expected: "a UUID" })).annotate({
  description: "a Universally Unique Identifier"
})

/** Every identifier is a UUID, branded so that an event id can never be passed where a user id is expected. */
const uuid = <B extends string>(brand: B) =>
  Uuid.pipe(Schema.brand<B>(brand as never)).annotate({ description: `${brand} (UUID)` })

export const UserId = uuid("UserId")
export type UserId = typeof UserId.Type

export const EventId = uuid("EventId")
export type EventId = typeof EventId.Type

export const TicketTypeId = uuid("TicketTypeId")
export type TicketTypeId = typeof TicketTypeId.Type

export const SectionId = uuid("SectionId")
export type SectionId = typeof SectionId.Type

export const SeatId = uuid("SeatId")
export type SeatId = typeof SeatId.Type

export const ReservationId = uuid("ReservationId")
export type ReservationId = typeof ReservationId.Type

export const OrderId = uuid("OrderId")
export type OrderId = typeof OrderId.Type

export const TicketId = uuid("TicketId")
export type TicketId = typeof TicketId.Type

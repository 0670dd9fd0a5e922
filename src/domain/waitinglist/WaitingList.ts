import { Schema } from "effect"
import { EventId, TicketTypeId, UserId, Uuid } from "../shared/Ids.ts"

export const WaitingListEntryId = Uuid.pipe(Schema.brand("WaitingListEntryId")).annotate({
  description: "WaitingListEntryId (UUID)"
})
export type WaitingListEntryId = typeof WaitingListEntryId.Type

/**
 * waiting: in line; offered: holds an offer (a single-use voucher of the customer's account, backed by one withheld
 * unit) until `offerExpiresAt`; used: the offer's unit went into a hold or an order; lapsed: the offer was not used
 * in time (its unit passed to the next in line); left: the customer left the list.
 */
export const EntryStatus = Schema.Literals(["waiting", "offered", "used", "lapsed", "left"])
export type EntryStatus = typeof EntryStatus.Type

/** One customer's place in one ticket type's waiting list. */
export class WaitingListEntry extends Schema.Class<WaitingListEntry>("WaitingListEntry")({
  id: WaitingListEntryId,
  eventId: EventId,
  ticketTypeId: TicketTypeId,
  customerId: UserId,
  /** Order of joining: first joined, first offered. */
  position: Schema.Int,
  status: EntryStatus,
  /** How long an offer made to this entry stays open (WAITING_LIST_OFFER_HOURS when it joined). */
  offerHours: Schema.Int,
  joinedAt: Schema.DateFromString,
  /** The offer's voucher code, once offered. */
  offerCode: Schema.NullOr(Schema.String),
  offeredAt: Schema.NullOr(Schema.DateFromString),
  offerExpiresAt: Schema.NullOr(Schema.DateFromString)
}) {}

/** Where a customer stands in a list: their place (1 = next; 0 while they hold an offer) among `waiting`. */
export interface Standing {
  readonly entryId: WaitingListEntryId
  readonly status: "waiting" | "offered"
  readonly position: number
  readonly waiting: number
  readonly offerExpiresAt: Date | null
}

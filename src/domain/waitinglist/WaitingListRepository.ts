import { Context, type Effect, type Option } from "effect"
import type { TicketTypeId, UserId } from "../shared/Ids.ts"
import type { Standing, WaitingListEntry, WaitingListEntryId } from "./WaitingList.ts"

/** What joining did; refusals name the rule (WaitingListRules.checkJoin states them). */
export type JoinOutcome =
  | { readonly _tag: "Joined"; readonly entryId: WaitingListEntryId }
  | { readonly _tag: "Already"; readonly entryId: WaitingListEntryId }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Closed" }
  | { readonly _tag: "NotSoldOut" }

/**
 * Port: the waiting lists. Units that come back to a sold-out ticket type are offered to the first waiting customers
 * (WaitingListRules.offersFor), one withheld unit each as a single-use voucher of their account; an offer not used
 * in time passes to the next in line. Exact under contention: two offers never share a unit, nobody is passed over.
 */
export interface WaitingListRepositoryShape {
  /** Joins the list of a general-admission type of a published event, if open and sold out; once per type. */
  readonly join: (
    entryId: WaitingListEntryId,
    customerId: UserId,
    ticketTypeId: TicketTypeId,
    offerHours: number,
    at: Date
  ) => Effect.Effect<JoinOutcome>
  /** Leaves the list; an open offer is given up (its unit passes to the next in line). False when not in it. */
  readonly leave: (customerId: UserId, ticketTypeId: TicketTypeId, at: Date) => Effect.Effect<boolean>
  /** Where the customer stands (waiting or offered); none when not in the list. */
  readonly standing: (customerId: UserId, ticketTypeId: TicketTypeId) => Effect.Effect<Option.Option<Standing>>
  /** How many are waiting (without an offer yet). */
  readonly length: (ticketTypeId: TicketTypeId) => Effect.Effect<number>
  /** Every entry of a list, in order of joining (organizer's and tests' view). */
  readonly entries: (ticketTypeId: TicketTypeId) => Effect.Effect<ReadonlyArray<WaitingListEntry>>
  /** Switches the list on or off (off: joining refused, no new offers). False when the type does not exist. */
  readonly setOpen: (ticketTypeId: TicketTypeId, open: boolean) => Effect.Effect<boolean>
  /** Whether the list is open; none when the type does not exist. */
  readonly isOpen: (ticketTypeId: TicketTypeId) => Effect.Effect<Option.Option<boolean>>
  /**
   * Offers the type's free units to the waiting. PostgreSQL does it by itself in every transaction that frees units
   * (a trigger), so this finds none free there; the in-memory twin makes its offers here.
   */
  readonly offerFreeUnits: (ticketTypeId: TicketTypeId, at: Date) => Effect.Effect<number>
  /**
   * The expiry job's step: gives up up to `limit` withheld pools whose voucher is past its validity (offers not used
   * in time, reserved quotas that ended), so their units pass to the next in line or back to the public; returns
   * the units given up.
   */
  readonly expireOffers: (at: Date, limit: number) => Effect.Effect<number>
}

export class WaitingListRepository extends Context.Service<WaitingListRepository, WaitingListRepositoryShape>()(
  "goticket/WaitingListRepository"
) {}

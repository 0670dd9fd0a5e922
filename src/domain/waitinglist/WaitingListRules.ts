import { Result } from "effect"
import type { TicketType } from "../catalog/TicketType.ts"
import { type JoinRefused, waitingListClosed, waitingListNotForSeats, waitingListNotSoldOut } from "./errors.ts"

/** Offers stay open 1 to 720 hours (WAITING_LIST_OFFER_HOURS). */
export const MIN_OFFER_HOURS = 1
export const MAX_OFFER_HOURS = 720

/**
 * Who gets an offer when `free` units come back: the first `free` waiting entries in order of joining, one unit each;
 * never more offers than units, never anyone out of turn. Entries not waiting (offered, ended) are skipped.
 */
export const offersFor = <E extends { readonly position: number; readonly status: string }>(
  entries: ReadonlyArray<E>,
  free: number
): ReadonlyArray<E> =>
  free <= 0
    ? []
    : entries
        .filter((e) => e.status === "waiting")
        .sort((a, b) => a.position - b.position)
        .slice(0, Math.floor(free))

/**
 * Whether a customer may join a ticket type's waiting list: a general-admission type whose list is open and which
 * is sold out to the public (withheld units count as taken).
 */
export const checkJoin = (type: TicketType, listOpen: boolean): Result.Result<TicketType, JoinRefused> => {
  if (type.seated) return Result.fail(waitingListNotForSeats())
  if (!listOpen) return Result.fail(waitingListClosed())
  if (type.available > 0) return Result.fail(waitingListNotSoldOut(type.available))
  return Result.succeed(type)
}

/** When an offer made at `at` lapses. */
export const offerExpiry = (at: Date, hours: number): Date => new Date(at.getTime() + hours * 3_600_000)

/** An offer is open until its expiry (exclusive), as a voucher is valid until its validUntil. */
export const offerOpen = (offerExpiresAt: Date | null, at: Date): boolean =>
  offerExpiresAt !== null && at.getTime() < offerExpiresAt.getTime()

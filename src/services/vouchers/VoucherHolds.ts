import { Effect, Exit, Option } from "effect"
import type { PlaceOutcome } from "../../domain/reservations/ReservationRepository.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, UserId } from "../../domain/shared/Ids.ts"
import { voucherNotValid, voucherUsedUp } from "../../domain/vouchers/errors.ts"
import type { VoucherId } from "../../domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { discountMinor, normalizeCode, type PricedLine, usableFor } from "../../domain/vouchers/VoucherRules.ts"

/** A hold that carries a voucher code, as far as the voucher is concerned. */
export interface VoucherHold {
  readonly code: string
  readonly eventId: EventId
  readonly reservationId: ReservationId
  readonly customerId: UserId
  readonly idempotencyKey: string
  readonly at: Date
  /** The ticket types asked for, when the request names them (chosen seats: known once placed). */
  readonly ticketTypeIds: ReadonlyArray<string> | undefined
}

/**
 * The voucher steps of the hold saga, around its `place` step (only for a hold that carries a code; a plain hold
 * never comes here):
 *   1. check  — the code is a voucher of this event, valid now, for the ticket types asked for (one refusal for
 *               every way it is not: unknown, other event, outside its window, other ticket types)
 *   2. redeem — one redemption taken by the guarded update, before any inventory is touched: a used-up voucher
 *               refuses at once, and at most maxRedemptions holds ever go on
 *   3. place  — the hold itself; if it is not placed (refused, a replay, a failure), the redemption is given back;
 *               a voucher that withholds units (reserved quota, waiting-list offer) places it drawing from them
 *   4. price  — the discount (VoucherRules) taken off the hold's total, which the order will charge
 * A retry of a hold that took the last redemption still replays: a used-up voucher is refused only when the
 * Idempotency-Key is not live.
 */
export const makeVoucherHolds = Effect.gen(function* () {
  const vouchers = yield* VoucherRepository
  const repository = yield* ReservationRepository

  const linesOf = (held: Extract<PlaceOutcome, { _tag: "Held" }>["reservation"]): ReadonlyArray<PricedLine> => [
    ...held.items,
    ...held.seats.map((s) => ({ ticketTypeId: s.ticketTypeId, quantity: 1, unitPriceMinor: s.unitPriceMinor }))
  ]

  return Effect.fn("VoucherHolds.place")(function* (
    hold: VoucherHold,
    placement: Effect.Effect<PlaceOutcome>,
    /** The same hold drawing the voucher's withheld units (general admission only; WithheldHolds). */
    placeWithheld?: (voucherId: VoucherId) => Effect.Effect<PlaceOutcome>
  ) {
    // 1. check
    const found = yield* vouchers.findByCode(hold.eventId, normalizeCode(hold.code))
    if (
      Option.isNone(found) ||
      !usableFor(found.value, hold.eventId, hold.at, hold.ticketTypeIds ?? found.value.ticketTypeIds)
    )
      return yield* voucherNotValid()
    const voucher = found.value
    // A voucher of one account (a waiting-list offer) is not valid for anyone else; one that withholds units takes
    // them from its pool, so it needs a general-admission hold that can draw from it.
    const withheld = voucher.reservedUnits !== null
    if (
      (voucher.accountId !== null && voucher.accountId !== hold.customerId) ||
      (withheld && placeWithheld === undefined)
    )
      return yield* voucherNotValid()
    const place = withheld && placeWithheld !== undefined ? placeWithheld(voucher.id) : placement

    // 2. redeem
    if (!(yield* vouchers.redeem(voucher.id, hold.reservationId, hold.at))) {
      if (!(yield* repository.hasLiveKey(hold.customerId, hold.idempotencyKey))) return yield* voucherUsedUp()
      // A retry: it replays (or its key is refused); a hold placed now would have no redemption.
      const outcome = yield* place
      if (outcome._tag !== "Held") return outcome
      yield* repository.end([outcome.reservation.id], "released")
      return yield* voucherUsedUp()
    }

    // 3. place
    const giveBack = vouchers.giveBack([hold.reservationId])
    const outcome = yield* place.pipe(Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : giveBack)))
    if (outcome._tag !== "Held") {
      yield* giveBack
      return outcome
    }

    // 4. price (chosen seats: their ticket types are known only now)
    const lines = linesOf(outcome.reservation)
    if (
      !usableFor(
        voucher,
        hold.eventId,
        hold.at,
        lines.map((l) => l.ticketTypeId)
      )
    ) {
      yield* repository.end([outcome.reservation.id], "released")
      yield* giveBack
      return yield* voucherNotValid()
    }
    const off = discountMinor(voucher, lines)
    const discounted = yield* repository.discount(outcome.reservation.id, off)
    yield* vouchers.recordDiscount(outcome.reservation.id, off)
    return { _tag: "Held", reservation: Option.getOrElse(discounted, () => outcome.reservation) } as const
  })
})

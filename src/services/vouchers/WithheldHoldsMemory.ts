import { Effect, Layer, Ref } from "effect"
import { soldOut } from "../../domain/reservations/errors.ts"
import type { PlaceOutcome } from "../../domain/reservations/ReservationRepository.ts"
import { now } from "../../domain/shared/Now.ts"
import { drawOf } from "../../domain/vouchers/WithheldDraws.ts"
import { WithheldHolds } from "../../domain/vouchers/WithheldHolds.ts"
import { MemoryStore, MemoryStoreLive, type MemoryTables } from "../memory/MemoryStore.ts"
import { placeIn } from "../reservations/ReservationRepositoryMemory.ts"
import { poolMovedIn, withheldMovedIn } from "./WithheldDrawsMemory.ts"

/**
 * The in-memory twin of WithheldHoldsPg (place_withheld_hold), over the shared MemoryStore in one atomic step: the
 * hold's units of the voucher's ticket type leave the voucher's pool and the type's withheld count (WithheldDraws:
 * refused as sold out when the pool has fewer, or the voucher is another account's), then the hold is placed as any
 * (ReservationRepositoryMemory's step) and its draw recorded; a hold not placed leaves everything as it was. The
 * hold and order twins give the draw back to the pool when the hold ends or its unpaid order is cancelled.
 */
export const WithheldHoldsMemory = Layer.effect(
  WithheldHolds,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return WithheldHolds.of({
      place: (hold, voucherId) =>
        Effect.flatMap(now, (at) =>
          Ref.modify(store, (s): readonly [PlaceOutcome, MemoryTables] => {
            const voucher = s.vouchers.get(voucherId)
            const draw = voucher === undefined ? undefined : drawOf(voucher, hold.items ?? [], hold.customerId)
            const type = draw === undefined ? undefined : s.ticketTypes.get(draw.ticketTypeId)
            if (draw === undefined || type === undefined || type.withheld < draw.units)
              return [{ _tag: "Refused", reason: soldOut(voucher?.ticketTypeIds[0] ?? "") }, s]
            const drawn = withheldMovedIn(poolMovedIn(s, voucherId, -draw.units), draw.ticketTypeId, -draw.units)
            const [outcome, placed] = placeIn(drawn, hold, at)
            if (outcome._tag !== "Held") return [outcome, s]
            return [outcome, { ...placed, withheldDraws: new Map(placed.withheldDraws).set(hold.reservationId, draw) }]
          })
        )
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

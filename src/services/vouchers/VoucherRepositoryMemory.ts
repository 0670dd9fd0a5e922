import { Effect, Layer, Option, Ref } from "effect"
import type { ReservationId } from "../../domain/shared/Ids.ts"
import { Voucher } from "../../domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { MemoryStore, MemoryStoreLive, type MemoryTables } from "../memory/MemoryStore.ts"
import { counted, giveBackIn } from "./RedemptionsMemory.ts"
import { withheldMovedIn } from "./WithheldDrawsMemory.ts"

/** The units the reserved quotas of a batch withhold, per ticket type. */
const reservedPerType = (vouchers: ReadonlyArray<Voucher>): ReadonlyMap<string, number> => {
  const units = new Map<string, number>()
  for (const v of vouchers) {
    const typeId = v.ticketTypeIds[0]
    if (v.reservedUnits !== null && typeId !== undefined) units.set(typeId, (units.get(typeId) ?? 0) + v.reservedUnits)
  }
  return units
}

/**
 * The in-memory twin of VoucherRepositoryPg, over the shared MemoryStore: every change one atomic step. Vouchers and
 * redemptions live in the same tables as holds and orders, so the hold and order twins give a redemption back in
 * the step that ends its hold or cancels its order (RedemptionReturn), as the triggers do in PostgreSQL. A reserved
 * quota's units are withheld from the public when its voucher is stored, as VoucherRepositoryPg does.
 */
export const VoucherRepositoryMemory = Layer.effect(
  VoucherRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore

    return VoucherRepository.of({
      insertAll: (vouchers) =>
        Ref.modify(store, (t): [boolean, MemoryTables] => {
          const keys = vouchers.map((v) => `${v.eventId}:${v.code}`)
          if (keys.some((k) => t.voucherCodes.has(k)) || new Set(keys).size < keys.length) return [false, t]
          const stored = new Map(t.vouchers)
          const codes = new Map(t.voucherCodes)
          for (const v of vouchers) {
            stored.set(v.id, new Voucher({ ...v, redeemed: 0, reservedLeft: v.reservedUnits ?? 0 }))
            codes.set(`${v.eventId}:${v.code}`, v.id)
          }
          // A reserved quota withholds its units in the same step, if they are free (else nothing is stored).
          let next: MemoryTables = { ...t, vouchers: stored, voucherCodes: codes }
          for (const [typeId, units] of reservedPerType(vouchers)) {
            const type = next.ticketTypes.get(typeId)
            if (type === undefined || type.seated || type.available < units) return [false, t]
            next = withheldMovedIn(next, typeId, units)
          }
          return [true, next]
        }),
      findByCode: (eventId, code) =>
        Effect.map(Ref.get(store), (t) => {
          const id = t.voucherCodes.get(`${eventId}:${code}`)
          return Option.fromNullishOr(id === undefined ? undefined : t.vouchers.get(id))
        }),
      listForEvent: (eventId) =>
        Effect.map(Ref.get(store), (t) =>
          [...t.vouchers.values()]
            .filter((v) => v.eventId === eventId)
            .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
        ),
      redeem: (voucherId, reservationId) =>
        Ref.modify(store, (t): [boolean, MemoryTables] => {
          if (t.redemptions.has(reservationId)) return [true, t]
          const voucher = t.vouchers.get(voucherId)
          if (voucher === undefined || voucher.redeemed >= voucher.maxRedemptions) return [false, t]
          return [
            true,
            {
              ...t,
              vouchers: new Map(t.vouchers).set(voucherId, counted(voucher, 1)),
              redemptions: new Map(t.redemptions).set(reservationId, {
                voucherId,
                eventId: voucher.eventId,
                discountMinor: 0
              })
            }
          ]
        }),
      recordDiscount: (reservationId, discountMinor) =>
        Ref.update(store, (t) => {
          const redemption = t.redemptions.get(reservationId)
          return redemption === undefined
            ? t
            : { ...t, redemptions: new Map(t.redemptions).set(reservationId, { ...redemption, discountMinor }) }
        }),
      giveBack: (reservationIds: ReadonlyArray<ReservationId>) =>
        Ref.modify(store, (t) => giveBackIn(t, reservationIds)),
      totalsForEvent: (eventId) =>
        Effect.map(Ref.get(store), (t) => {
          const mine = [...t.redemptions.values()].filter((r) => r.eventId === eventId)
          return { redemptions: mine.length, discountMinor: mine.reduce((sum, r) => sum + r.discountMinor, 0) }
        })
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

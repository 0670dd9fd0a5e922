import { Effect, Layer, Option, Ref } from "effect"
import type { ReservationId } from "../../domain/shared/Ids.ts"
import { Voucher } from "../../domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"

interface Redemption {
  readonly voucherId: string
  readonly eventId: string
  readonly discountMinor: number
}

interface Tables {
  readonly vouchers: ReadonlyMap<string, Voucher>
  /** `${eventId}:${code}` → voucher id. */
  readonly codes: ReadonlyMap<string, string>
  /** Reservation id → its redemption. */
  readonly redemptions: ReadonlyMap<string, Redemption>
}

const counted = (voucher: Voucher, by: number) => new Voucher({ ...voucher, redeemed: voucher.redeemed + by })

/** The in-memory twin of VoucherRepositoryPg: one Ref, every change one atomic step. */
export const VoucherRepositoryMemory = Layer.effect(
  VoucherRepository,
  Effect.gen(function* () {
    const tables = yield* Ref.make<Tables>({ vouchers: new Map(), codes: new Map(), redemptions: new Map() })

    return VoucherRepository.of({
      insertAll: (vouchers) =>
        Ref.modify(tables, (t): [boolean, Tables] => {
          const keys = vouchers.map((v) => `${v.eventId}:${v.code}`)
          if (keys.some((k) => t.codes.has(k)) || new Set(keys).size < keys.length) return [false, t]
          const stored = new Map(t.vouchers)
          const codes = new Map(t.codes)
          for (const v of vouchers) {
            stored.set(v.id, new Voucher({ ...v, redeemed: 0, reservedLeft: v.reservedUnits ?? 0 }))
            codes.set(`${v.eventId}:${v.code}`, v.id)
          }
          return [true, { ...t, vouchers: stored, codes }]
        }),
      findByCode: (eventId, code) =>
        Effect.map(Ref.get(tables), (t) => {
          const id = t.codes.get(`${eventId}:${code}`)
          return Option.fromNullishOr(id === undefined ? undefined : t.vouchers.get(id))
        }),
      listForEvent: (eventId) =>
        Effect.map(Ref.get(tables), (t) =>
          [...t.vouchers.values()]
            .filter((v) => v.eventId === eventId)
            .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
        ),
      redeem: (voucherId, reservationId) =>
        Ref.modify(tables, (t): [boolean, Tables] => {
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
        Ref.update(tables, (t) => {
          const redemption = t.redemptions.get(reservationId)
          return redemption === undefined
            ? t
            : { ...t, redemptions: new Map(t.redemptions).set(reservationId, { ...redemption, discountMinor }) }
        }),
      giveBack: (reservationIds: ReadonlyArray<ReservationId>) =>
        Ref.modify(tables, (t): [number, Tables] => {
          const vouchers = new Map(t.vouchers)
          const redemptions = new Map(t.redemptions)
          let n = 0
          for (const id of new Set(reservationIds)) {
            const redemption = redemptions.get(id)
            if (redemption === undefined) continue
            redemptions.delete(id)
            const voucher = vouchers.get(redemption.voucherId)
            if (voucher !== undefined) vouchers.set(voucher.id, counted(voucher, -1))
            n++
          }
          return [n, n === 0 ? t : { ...t, vouchers, redemptions }]
        }),
      totalsForEvent: (eventId) =>
        Effect.map(Ref.get(tables), (t) => {
          const mine = [...t.redemptions.values()].filter((r) => r.eventId === eventId)
          return { redemptions: mine.length, discountMinor: mine.reduce((sum, r) => sum + r.discountMinor, 0) }
        })
    })
  })
)

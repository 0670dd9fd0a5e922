import { Voucher } from "../../domain/vouchers/Voucher.ts"
import type { MemoryTables } from "../memory/MemoryStore.ts"

/** A voucher rebuilt from a valid one with another count: its checks need not run again. */
const trusted = { disableChecks: true } as const

/** The voucher with its redemption count moved by `by`. */
export const counted = (voucher: Voucher, by: number) =>
  new Voucher({ ...voucher, redeemed: voucher.redeemed + by }, trusted)

/**
 * give_back_redemptions (migrations/0020_vouchers.sql) over the in-memory tables: the redemptions of these holds
 * go, their vouchers count them no more; answers how many. Holds without one are skipped, so giving back again is
 * harmless. The hold and order twins call it when RedemptionReturn says a redemption goes back.
 */
export const giveBackIn = (s: MemoryTables, reservationIds: Iterable<string>): readonly [number, MemoryTables] => {
  const vouchers = new Map(s.vouchers)
  const redemptions = new Map(s.redemptions)
  let n = 0
  for (const id of new Set(reservationIds)) {
    const redemption = redemptions.get(id)
    if (redemption === undefined) continue
    redemptions.delete(id)
    const voucher = vouchers.get(redemption.voucherId)
    if (voucher !== undefined) vouchers.set(voucher.id, counted(voucher, -1))
    n++
  }
  return [n, n === 0 ? s : { ...s, vouchers, redemptions }]
}

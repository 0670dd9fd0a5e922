import { TicketType } from "../../domain/catalog/TicketType.ts"
import { Voucher } from "../../domain/vouchers/Voucher.ts"
import { drawsGivenBack } from "../../domain/vouchers/WithheldDraws.ts"
import type { MemoryTables } from "../memory/MemoryStore.ts"

/** Rows rebuilt from valid ones with another count: their checks need not run again. */
const trusted = { disableChecks: true } as const

/** The tables with a ticket type's withheld count moved by `by` (a type not stored is skipped). */
export const withheldMovedIn = (s: MemoryTables, ticketTypeId: string, by: number): MemoryTables => {
  const type = s.ticketTypes.get(ticketTypeId)
  if (type === undefined || by === 0) return s
  return {
    ...s,
    ticketTypes: new Map(s.ticketTypes).set(
      ticketTypeId,
      new TicketType({ ...type, withheld: type.withheld + by }, trusted)
    )
  }
}

/** The tables with a voucher's pool moved by `by`. */
export const poolMovedIn = (s: MemoryTables, voucherId: string, by: number): MemoryTables => {
  const voucher = s.vouchers.get(voucherId)
  if (voucher === undefined || by === 0) return s
  return {
    ...s,
    vouchers: new Map(s.vouchers).set(
      voucherId,
      new Voucher({ ...voucher, reservedLeft: voucher.reservedLeft + by }, trusted)
    )
  }
}

/**
 * The draw-back step of end_holds and release_units (migrations/0027_withheld_units_waiting_list.sql) over the
 * in-memory tables: the draws of these holds (WithheldDraws.drawsGivenBack) go back to their vouchers' pools and
 * stay withheld. The hold and order twins call it in the step that ends the hold or releases the order's units.
 */
export const drawsBackIn = (s: MemoryTables, reservationIds: Iterable<string>): MemoryTables => {
  const back = drawsGivenBack(s.withheldDraws, reservationIds)
  if (back.gone.length === 0) return s
  const withheldDraws = new Map(s.withheldDraws)
  for (const id of back.gone) withheldDraws.delete(id)
  let next: MemoryTables = { ...s, withheldDraws }
  for (const [voucherId, n] of back.pools) next = poolMovedIn(next, voucherId, n)
  for (const [ticketTypeId, n] of back.ticketTypes) next = withheldMovedIn(next, ticketTypeId, n)
  return next
}

/** A voucher's pool given up (an offer left or lapsed): its units left are withheld no more. */
export const poolGivenUpIn = (s: MemoryTables, voucherId: string): MemoryTables => {
  const voucher = s.vouchers.get(voucherId)
  if (voucher === undefined || voucher.reservedLeft === 0) return s
  const typeId = voucher.ticketTypeIds[0] as string
  return withheldMovedIn(poolMovedIn(s, voucherId, -voucher.reservedLeft), typeId, -voucher.reservedLeft)
}

/*
 * Drawing a voucher's withheld units, and giving them back: the rules the in-memory adapters call, and that
 * place_withheld_hold, end_holds and release_units state in SQL (migrations/0027_withheld_units_waiting_list.sql).
 * A voucher (Voucher.ts) with reserved units has a pool (`reservedLeft`) of its one ticket type's withheld units; a hold placed
 * with it takes all its units of that type from the pool (one draw per hold). When that hold ends without an order,
 * or its order is cancelled before it is paid, the draw goes back to the voucher's pool, still withheld: the public
 * never gets it. A paid order keeps it.
 */

/** The units a hold took from a voucher's pool (withheld_draws). */
export interface WithheldDraw {
  readonly voucherId: string
  readonly ticketTypeId: string
  readonly units: number
}

/**
 * The draw a hold of these items makes from the voucher's pool: all its units of the voucher's ticket type; none
 * (refused as sold out) when the voucher withholds nothing, the hold asks for none of its type, the pool has fewer,
 * or the voucher is another account's.
 */
export const drawOf = (
  voucher: {
    readonly id: string
    readonly ticketTypeIds: ReadonlyArray<string>
    readonly reservedUnits: number | null
    readonly reservedLeft: number
    readonly accountId: string | null
  },
  items: ReadonlyArray<{ readonly ticketTypeId: string; readonly quantity: number }>,
  customerId: string
): WithheldDraw | undefined => {
  const ticketTypeId = voucher.ticketTypeIds[0]
  if (voucher.reservedUnits === null || ticketTypeId === undefined) return undefined
  const units = items.filter((i) => i.ticketTypeId === ticketTypeId).reduce((n, i) => n + i.quantity, 0)
  if (units <= 0 || voucher.reservedLeft < units) return undefined
  if (voucher.accountId !== null && voucher.accountId !== customerId) return undefined
  return { voucherId: voucher.id, ticketTypeId, units }
}

/**
 * What the draws of these holds (ended without an order, or whose unpaid order was cancelled) give back: units per
 * voucher pool and per ticket type (withheld again), in id order, and the holds whose draw is gone. Holds without a
 * draw are skipped, so giving back again is harmless.
 */
export const drawsGivenBack = (
  draws: ReadonlyMap<string, WithheldDraw>,
  reservationIds: Iterable<string>
): {
  readonly pools: ReadonlyArray<readonly [string, number]>
  readonly ticketTypes: ReadonlyArray<readonly [string, number]>
  readonly gone: ReadonlyArray<string>
} => {
  const pools = new Map<string, number>()
  const ticketTypes = new Map<string, number>()
  const gone: Array<string> = []
  for (const id of new Set(reservationIds)) {
    const draw = draws.get(id)
    if (draw === undefined) continue
    gone.push(id)
    pools.set(draw.voucherId, (pools.get(draw.voucherId) ?? 0) + draw.units)
    ticketTypes.set(draw.ticketTypeId, (ticketTypes.get(draw.ticketTypeId) ?? 0) + draw.units)
  }
  const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return { pools: sorted(pools), ticketTypes: sorted(ticketTypes), gone }
}

/**
 * Whether the expiry job gives up a voucher's pool (expire_withheld): units left in it, and the voucher past its
 * validity (an offer not used in time, a reserved quota that ended). Its units are withheld no more.
 */
export const poolDue = (
  voucher: { readonly reservedLeft: number; readonly validUntil: Date | null },
  at: Date
): boolean => voucher.reservedLeft > 0 && voucher.validUntil !== null && voucher.validUntil.getTime() <= at.getTime()

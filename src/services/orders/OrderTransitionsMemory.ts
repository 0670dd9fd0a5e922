import { Seat } from "../../domain/catalog/Seating.ts"
import { TicketType } from "../../domain/catalog/TicketType.ts"
import { Order, type OrderLine, RefundRecord, Ticket } from "../../domain/orders/Order.ts"
import type {
  CheckInOutcome,
  ClaimOutcome,
  OpenOutcome,
  OrderRepositoryShape,
  RefundRequestOutcome
} from "../../domain/orders/OrderRepository.ts"
import { Reservation } from "../../domain/reservations/Reservation.ts"
import type { MemoryTables } from "../memory/MemoryStore.ts"

/*
 * The in-memory twin of OrderRepositoryPg: each operation is the same steps as its SQL function in
 * migrations/0004_orders.sql, run as one Ref.modify over the shared MemoryStore (a transaction: every table it
 * changes changes together, or none does).
 */

export type Row<K extends keyof MemoryTables> = MemoryTables[K] extends ReadonlyMap<string, infer V> ? V : never
export type StoredOrder = Row<"orders">
/** What a step answers, or the error its SQL function would raise. */
export type Outcome<A> = { readonly ok: A } | { readonly defect: string }
/** Rows rebuilt from rows that were valid already: their checks need not run again. */
export const trusted = { disableChecks: true } as const

/** Copy-on-write over the tables: a step writes into its draft; the store takes the draft whole, or not at all. */
export const draftOf = (base: MemoryTables) => {
  const written = new Map<keyof MemoryTables, Map<string, unknown>>()
  const write = <K extends keyof MemoryTables>(table: K): Map<string, Row<K>> => {
    let copy = written.get(table)
    if (!copy) {
      copy = new Map(base[table] as ReadonlyMap<string, unknown>)
      written.set(table, copy)
    }
    return copy as Map<string, Row<K>>
  }
  const read = <K extends keyof MemoryTables>(table: K): ReadonlyMap<string, Row<K>> =>
    (written.get(table) ?? base[table]) as ReadonlyMap<string, Row<K>>
  const commit = (): MemoryTables => ({ ...base, ...Object.fromEntries(written) })
  return { read, write, commit }
}
export type Draft = ReturnType<typeof draftOf>

export const customerKey = (customerId: string, eventId: string) => `${customerId}:${eventId}`

/** held/sold of a ticket type move by these amounts. */
export const moveUnits = (d: Draft, ticketTypeId: string, held: number, sold: number) => {
  const type = d.read("ticketTypes").get(ticketTypeId)
  if (!type) return
  d.write("ticketTypes").set(
    ticketTypeId,
    new TicketType({ ...type, held: type.held + held, sold: type.sold + sold }, trusted)
  )
}

export const setSeats = (d: Draft, eventId: string, seatIds: ReadonlySet<string>, status: Seat["status"]) => {
  if (seatIds.size === 0) return
  const seats = d.read("seats").get(eventId) ?? []
  d.write("seats").set(
    eventId,
    seats.map((seat) => (seatIds.has(seat.id) ? new Seat({ ...seat, status }, trusted) : seat))
  )
}

/** customer_event_tickets: an UPDATE touches only an existing row. */
export const addCustomerTickets = (d: Draft, customerId: string, eventId: string, n: number) => {
  const key = customerKey(customerId, eventId)
  const counted = d.read("customerTickets").get(key)
  if (counted !== undefined) d.write("customerTickets").set(key, counted + n)
}

/** Lines counted per ticket type, in ticket-type id order. */
export const perType = (lines: ReadonlyArray<OrderLine>) => {
  const counts = new Map<string, number>()
  for (const line of lines) counts.set(line.ticketTypeId, (counts.get(line.ticketTypeId) ?? 0) + 1)
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1))
}

export const seatLinesOf = (order: Order) =>
  new Set(order.lines.flatMap((l) => (l.seatId === null ? [] : [l.seatId as string])))

/** end_holds(ids, 'released'): ends the hold if it is active and gives its units, seats and count back. */
export const endHold = (d: Draft, reservationId: string, at: Date) => {
  const r = d.read("reservations").get(reservationId)
  if (r?.status !== "active") return
  d.write("reservations").set(r.id, new Reservation({ ...r, status: "released", endedAt: at }, trusted))
  for (const item of r.items) moveUnits(d, item.ticketTypeId, -item.quantity, 0)
  for (const seat of r.seats) moveUnits(d, seat.ticketTypeId, -1, 0)
  const freed = new Set(r.seats.map((x) => x.seatId as string))
  for (const id of freed) d.write("seatHolders").delete(id)
  setSeats(d, r.eventId, freed, "available")
  addCustomerTickets(d, r.customerId, r.eventId, -r.tickets)
}

export const updateOrder = (d: Draft, stored: StoredOrder, change: Partial<StoredOrder>, order?: Partial<Order>) => {
  const next: StoredOrder = {
    ...stored,
    ...change,
    order: order ? new Order({ ...stored.order, ...order }, trusted) : stored.order
  }
  d.write("orders").set(stored.order.id, next)
  return next
}

/** release_units: gives a pending order's claimed units back to sale. */
export const releaseIn = (d: Draft, orderId: string) => {
  const stored = d.read("orders").get(orderId)
  if (!stored?.unitsClaimed || stored.order.status !== "pending_payment") return
  const order = stored.order
  for (const [typeId, n] of perType(order.lines)) moveUnits(d, typeId, 0, -n)
  const freed = new Set([...d.read("seatBuyers")].filter(([, buyer]) => buyer === orderId).map(([seatId]) => seatId))
  for (const id of freed) d.write("seatBuyers").delete(id)
  setSeats(d, order.eventId, freed, "available")
  addCustomerTickets(d, order.customerId, order.eventId, -order.lines.length)
  updateOrder(d, stored, { unitsClaimed: false })
}

/** order_json: the order with its tickets, in position order. */
export const documentOf = (s: Pick<MemoryTables, "orders" | "tickets">, id: string): Order | undefined => {
  const stored = s.orders.get(id)
  if (!stored) return undefined
  const tickets = stored.ticketIds.flatMap((t) => {
    const row = s.tickets.get(t)
    return row ? [row.ticket] : []
  })
  return new Order({ ...stored.order, tickets }, trusted)
}

export const openIn = (
  s: MemoryTables,
  input: Parameters<OrderRepositoryShape["open"]>[0],
  now: Date
): readonly [Outcome<OpenOutcome>, MemoryTables] => {
  const r = s.reservations.get(input.reservationId)
  if (!r || r.customerId !== input.customerId) return [{ ok: { _tag: "HoldNotActive" } }, s]
  const existing = s.ordersByReservation.get(r.id)
  if (existing !== undefined) return [{ ok: { _tag: "Existing", order: documentOf(s, existing) as Order } }, s]
  if (r.status !== "active" || r.expiresAt.getTime() <= now.getTime()) return [{ ok: { _tag: "HoldNotActive" } }, s]
  if (s.orders.has(input.orderId)) return [{ defect: `order ${input.orderId} exists already` }, s]

  // One line per admission: units of general admission in ticket-type id order, seats in venue order.
  const sections = new Map((s.sections.get(r.eventId) ?? []).map((c) => [c.id as string, c]))
  const seats = new Map((s.seats.get(r.eventId) ?? []).map((seat) => [seat.id as string, seat]))
  const venueKey = (seatId: string) => {
    const seat = seats.get(seatId)
    return [sections.get(seat?.sectionId ?? "")?.position ?? 0, seat?.rowPosition ?? 0, seat?.position ?? 0] as const
  }
  const gaLines = [...r.items]
    .sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1))
    .flatMap((item) =>
      Array.from({ length: item.quantity }, () => ({
        ticketTypeId: item.ticketTypeId,
        seatId: null,
        seatLabel: null,
        unitPriceMinor: item.unitPriceMinor
      }))
    )
  const seatLines = [...r.seats]
    .sort((a, b) => {
      const [x, y] = [venueKey(a.seatId), venueKey(b.seatId)]
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]
    })
    .map((reserved) => {
      const seat = seats.get(reserved.seatId)
      const section = sections.get(seat?.sectionId ?? "")
      return {
        ticketTypeId: reserved.ticketTypeId,
        seatId: reserved.seatId,
        seatLabel: seat && section ? `${section.name} ${seat.row}-${seat.label}` : null,
        unitPriceMinor: reserved.unitPriceMinor
      }
    })
  const lines: Array<OrderLine> = [...gaLines, ...seatLines].map((line, i) => ({ position: i + 1, ...line }))

  const order = new Order(
    {
      id: input.orderId,
      customerId: input.customerId,
      eventId: r.eventId,
      reservationId: r.id,
      status: "pending_payment",
      totalMinor: r.totalMinor,
      refundedMinor: 0,
      currency: r.currency,
      payment: null,
      cancelReason: null,
      lines,
      tickets: [],
      createdAt: now,
      confirmedAt: null,
      cancelledAt: null
    },
    trusted
  )
  const d = draftOf(s)
  d.write("orders").set(order.id, { order, unitsClaimed: false, ticketIds: [] })
  d.write("ordersByReservation").set(r.id, order.id)
  if (input.holdUntil.getTime() > r.expiresAt.getTime())
    d.write("reservations").set(r.id, new Reservation({ ...r, expiresAt: input.holdUntil }, trusted))
  return [{ ok: { _tag: "Opened", order } }, d.commit()]
}

export const claimIn = (s: MemoryTables, orderId: string, now: Date): readonly [ClaimOutcome, MemoryTables] => {
  const unavailable = [{ _tag: "Unavailable" } as const, s] as const
  const stored = s.orders.get(orderId)
  if (stored?.order.status !== "pending_payment") return unavailable
  if (stored.unitsClaimed) return [{ _tag: "Claimed" }, s]
  const order = stored.order
  const event = s.events.get(order.eventId)
  if (event && event.status !== "published") return unavailable

  const d = draftOf(s)
  const r = s.reservations.get(order.reservationId) as Reservation
  if (r.status === "active") {
    // The hold becomes sold: its units move from held to sold, its seats to this order.
    d.write("reservations").set(r.id, new Reservation({ ...r, status: "converted", endedAt: now }, trusted))
    for (const [typeId, n] of perType(order.lines)) moveUnits(d, typeId, -n, n)
    const heldSeats = new Set([...s.seatHolders].filter(([, holder]) => holder === r.id).map(([seatId]) => seatId))
    for (const id of heldSeats) {
      d.write("seatHolders").delete(id)
      d.write("seatBuyers").set(id, orderId)
    }
    setSeats(d, r.eventId, heldSeats, "sold")
    updateOrder(d, stored, { unitsClaimed: true })
    return [{ _tag: "Claimed" }, d.commit()]
  }

  // The hold ended: the same units again, all or nothing.
  const wanted = seatLinesOf(order)
  const free = (s.seats.get(order.eventId) ?? []).filter((seat) => wanted.has(seat.id) && seat.status === "available")
  if (free.length < wanted.size) return unavailable
  for (const [typeId, n] of perType(order.lines)) {
    const type = s.ticketTypes.get(typeId)
    if (!type || (!type.seated && type.capacity - type.held - type.sold < n)) return unavailable
    moveUnits(d, typeId, 0, n)
  }
  for (const id of wanted) d.write("seatBuyers").set(id, orderId)
  setSeats(d, order.eventId, wanted, "sold")
  const key = customerKey(order.customerId, order.eventId)
  d.write("customerTickets").set(key, (s.customerTickets.get(key) ?? 0) + order.lines.length)
  updateOrder(d, stored, { unitsClaimed: true })
  return [{ _tag: "Reclaimed" }, d.commit()]
}

export const refundIn = (
  s: MemoryTables,
  input: Parameters<OrderRepositoryShape["requestRefund"]>[0]
): readonly [RefundRequestOutcome, MemoryTables] => {
  const existing = s.refunds.get(input.refundId)
  if (existing) return [{ _tag: "Existing", refund: existing.refund }, s]
  const stored = s.orders.get(input.orderId)
  if (!stored || (stored.order.status !== "confirmed" && stored.order.status !== "partially_refunded"))
    return [{ _tag: "NotRefundable", code: "order_not_refundable" }, s]
  const refusable = (ticket: Ticket) =>
    ticket.status !== "valid" || (ticket.checkedInAt !== null && !input.includeCheckedIn)
  if (
    input.ticketIds?.some((id) => {
      const row = s.tickets.get(id)
      return !row || row.ticket.orderId !== input.orderId || refusable(row.ticket)
    })
  )
    return [{ _tag: "NotRefundable", code: "ticket_not_refundable" }, s]
  const asked = input.ticketIds ? new Set<string>(input.ticketIds) : undefined
  const voiding = stored.ticketIds
    .map((id) => (s.tickets.get(id) as Row<"tickets">).ticket)
    .filter((t) => !refusable(t) && (asked === undefined || asked.has(t.id)))
  if (voiding.length === 0) return [{ _tag: "NotRefundable", code: "nothing_to_refund" }, s]

  const d = draftOf(s)
  const order = stored.order
  for (const ticket of voiding) {
    const row = s.tickets.get(ticket.id) as Row<"tickets">
    d.write("tickets").set(ticket.id, {
      ...row,
      ticket: new Ticket({ ...ticket, status: "voided", voidedAt: input.at }, trusted),
      refundId: input.refundId
    })
    moveUnits(d, ticket.ticketTypeId, 0, -1)
  }
  const freed = new Set(voiding.flatMap((t) => (t.seatId === null ? [] : [t.seatId as string])))
  for (const id of freed) d.write("seatBuyers").delete(id)
  setSeats(d, order.eventId, freed, "available")
  addCustomerTickets(d, order.customerId, order.eventId, -voiding.length)
  const left = stored.ticketIds.filter((id) => d.read("tickets").get(id)?.ticket.status === "valid").length
  const amountMinor = voiding.reduce((n, t) => n + t.priceMinor, 0)
  updateOrder(
    d,
    stored,
    {},
    {
      refundedMinor: order.refundedMinor + amountMinor,
      status: left === 0 ? "refunded" : "partially_refunded"
    }
  )
  const refund = new RefundRecord(
    {
      id: input.refundId,
      orderId: input.orderId,
      amountMinor,
      ticketIds: voiding.map((t) => t.id),
      status: "pending",
      createdAt: input.at
    },
    trusted
  )
  d.write("refunds").set(refund.id, {
    refund,
    requestedBy: input.requestedBy,
    providerRefundId: null,
    completedAt: null
  })
  return [{ _tag: "Requested", refund }, d.commit()]
}

export const checkInIn = (
  s: MemoryTables,
  ticketId: string,
  eventId: string,
  by: string,
  at: Date
): readonly [CheckInOutcome, MemoryTables] => {
  const row = s.tickets.get(ticketId)
  if (!row) return [{ _tag: "NotFound" }, s]
  const ticket = row.ticket
  if (ticket.eventId !== eventId) return [{ _tag: "OtherEvent" }, s]
  if (ticket.status === "voided") return [{ _tag: "Voided", ticket }, s]
  if (ticket.checkedInAt !== null) return [{ _tag: "AlreadyAdmitted", ticket, at: ticket.checkedInAt }, s]
  const admitted = new Ticket({ ...ticket, checkedInAt: at }, trusted)
  const d = draftOf(s)
  d.write("tickets").set(ticketId, { ...row, ticket: admitted, checkedInBy: by })
  return [{ _tag: "Admitted", ticket: admitted }, d.commit()]
}

export const byCreatedThenId = (a: Order, b: Order) =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

import { Seat } from "../../domain/catalog/Seating.ts"
import { TicketType } from "../../domain/catalog/TicketType.ts"
import type { CancelReason } from "../../domain/orders/Order.ts"
import { Order, type OrderLine, RefundRecord, Ticket } from "../../domain/orders/Order.ts"
import { linesOfHold, seatsOfLines, unitsPerType } from "../../domain/orders/OrderLines.ts"
import type {
  CheckInOutcome,
  ClaimOutcome,
  OpenOutcome,
  OrderRepositoryShape,
  RefundRequestOutcome
} from "../../domain/orders/OrderRepository.ts"
import * as Transitions from "../../domain/orders/OrderTransitions.ts"
import { Reservation } from "../../domain/reservations/Reservation.ts"
import type { TicketId } from "../../domain/shared/Ids.ts"
import { orderEndGivesBack } from "../../domain/vouchers/RedemptionReturn.ts"
import type { MemoryTables } from "../memory/MemoryStore.ts"
import { endIn } from "../reservations/ReservationRepositoryMemory.ts"
import { giveBackIn } from "../vouchers/RedemptionsMemory.ts"
import { drawsBackIn } from "../vouchers/WithheldDrawsMemory.ts"

/*
 * The in-memory twin's transitions: each reads the tables, asks the domain (OrderTransitions.ts, OrderLines.ts)
 * what to do, and answers the next tables, built by immutable updates. The repository runs each as one Ref.modify
 * over the shared MemoryStore: every table it changes changes together, or none does (a transaction).
 */

export type Row<K extends keyof MemoryTables> = MemoryTables[K] extends ReadonlyMap<string, infer V> ? V : never
export type StoredOrder = Row<"orders">
/** What a step answers, or the error its SQL function would raise. */
export type Outcome<A> = { readonly ok: A } | { readonly defect: string }
type Step<A> = readonly [A, MemoryTables]
/** Rows rebuilt from rows that were valid already: their checks need not run again. */
export const trusted = { disableChecks: true } as const

/** The tables with one row written. */
export const put = <K extends keyof MemoryTables>(s: MemoryTables, table: K, key: string, row: Row<K>): MemoryTables =>
  ({ ...s, [table]: new Map(s[table] as ReadonlyMap<string, Row<K>>).set(key, row) }) as MemoryTables

/** The tables with some rows deleted. */
const drop = <K extends keyof MemoryTables>(s: MemoryTables, table: K, keys: Iterable<string>): MemoryTables => {
  const next = new Map(s[table] as ReadonlyMap<string, Row<K>>)
  for (const key of keys) next.delete(key)
  return { ...s, [table]: next } as MemoryTables
}

const customerKey = (customerId: string, eventId: string) => `${customerId}:${eventId}`

/** held/sold of a ticket type move by these amounts. */
const moveUnits = (s: MemoryTables, ticketTypeId: string, held: number, sold: number): MemoryTables => {
  const type = s.ticketTypes.get(ticketTypeId)
  if (!type) return s
  return put(
    s,
    "ticketTypes",
    ticketTypeId,
    new TicketType({ ...type, held: type.held + held, sold: type.sold + sold }, trusted)
  )
}

const moveAll = (s: MemoryTables, perType: ReadonlyArray<readonly [string, number]>, held: number, sold: number) =>
  perType.reduce((t, [typeId, n]) => moveUnits(t, typeId, held * n, sold * n), s)

const setSeats = (s: MemoryTables, eventId: string, seatIds: ReadonlySet<string>, status: Seat["status"]) => {
  if (seatIds.size === 0) return s
  const seats = s.seats.get(eventId) ?? []
  return put(
    s,
    "seats",
    eventId,
    seats.map((seat) => (seatIds.has(seat.id) ? new Seat({ ...seat, status }, trusted) : seat))
  )
}

/** The customer's count for the event moves by `n` (customer_event_tickets: an UPDATE touches only an existing row). */
const countTickets = (s: MemoryTables, customerId: string, eventId: string, n: number, upsert = false) => {
  const key = customerKey(customerId, eventId)
  const counted = s.customerTickets.get(key)
  if (counted === undefined && !upsert) return s
  return put(s, "customerTickets", key, (counted ?? 0) + n)
}

const withOrder = (s: MemoryTables, stored: StoredOrder, change: Partial<StoredOrder>, order?: Partial<Order>) =>
  put(s, "orders", stored.order.id, {
    ...stored,
    ...change,
    order: order ? new Order({ ...stored.order, ...order }, trusted) : stored.order
  })

/** end_holds(ids, 'released'): the hold path's own step (ReservationRepositoryMemory), ending it if it is active. */
const endHold = (s: MemoryTables, reservationId: string, at: Date): MemoryTables =>
  endIn(s, [reservationId], "released", at)[1]

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

const ticketsOfOrder = (s: MemoryTables, stored: StoredOrder) =>
  stored.ticketIds.map((id) => (s.tickets.get(id) as Row<"tickets">).ticket)

/** The hold's lines, in venue order (OrderLines.linesOfHold). */
const linesOf = (s: MemoryTables, r: Reservation): Array<OrderLine> => {
  const sections = new Map((s.sections.get(r.eventId) ?? []).map((c) => [c.id as string, c]))
  const seats = new Map((s.seats.get(r.eventId) ?? []).map((seat) => [seat.id as string, seat]))
  return linesOfHold(
    r.items,
    r.seats.map((reserved) => {
      const seat = seats.get(reserved.seatId)
      const section = sections.get(seat?.sectionId ?? "")
      return {
        ticketTypeId: reserved.ticketTypeId,
        seatId: reserved.seatId,
        seatLabel: seat && section ? `${section.name} ${seat.row}-${seat.label}` : null,
        unitPriceMinor: reserved.unitPriceMinor,
        venue: { section: section?.position ?? 0, row: seat?.rowPosition ?? 0, seat: seat?.position ?? 0 }
      }
    })
  )
}

export const openIn = (
  s: MemoryTables,
  input: Parameters<OrderRepositoryShape["open"]>[0],
  now: Date
): Step<Outcome<OpenOutcome>> => {
  const r = s.reservations.get(input.reservationId)
  const existing = s.ordersByReservation.get(input.reservationId)
  switch (Transitions.decideOpen({ hold: r, customerId: input.customerId, hasOrder: existing !== undefined, now })) {
    case "hold_not_active":
      return [{ ok: { _tag: "HoldNotActive" } }, s]
    case "existing":
      return [{ ok: { _tag: "Existing", order: documentOf(s, existing as string) as Order } }, s]
  }
  const hold = r as Reservation
  if (s.orders.has(input.orderId)) return [{ defect: `order ${input.orderId} exists already` }, s]
  const order = Transitions.openedOrder({
    orderId: input.orderId,
    customerId: input.customerId,
    hold,
    lines: linesOf(s, hold),
    now
  })
  let next = put(s, "orders", order.id, {
    order,
    unitsClaimed: false,
    ticketIds: [],
    attendeeNames: input.attendeeNames ?? []
  })
  next = put(next, "ordersByReservation", hold.id, order.id)
  const expiresAt = Transitions.holdKeptUntil(hold.expiresAt, input.holdUntil)
  if (expiresAt !== hold.expiresAt)
    next = put(next, "reservations", hold.id, new Reservation({ ...hold, expiresAt }, trusted))
  return [{ ok: { _tag: "Opened", order } }, next]
}

export const claimIn = (s: MemoryTables, orderId: string, now: Date): Step<ClaimOutcome> => {
  const stored = s.orders.get(orderId)
  if (stored === undefined) return [{ _tag: "Unavailable" }, s]
  const order = stored.order
  const r = s.reservations.get(order.reservationId) as Reservation
  const decision = Transitions.decideClaim({
    status: order.status,
    unitsClaimed: stored.unitsClaimed,
    eventStatus: s.events.get(order.eventId)?.status,
    holdStatus: r.status
  })
  const perType = unitsPerType(order.lines)
  switch (decision) {
    case "not_pending":
    case "unavailable":
      return [{ _tag: "Unavailable" }, s]
    case "claimed":
      return [{ _tag: "Claimed" }, s]
    case "convert_hold": {
      // The hold becomes sold: its units move from held to sold, its seats to this order.
      let next = put(s, "reservations", r.id, new Reservation({ ...r, status: "converted", endedAt: now }, trusted))
      next = moveAll(next, perType, -1, 1)
      const heldSeats = new Set([...s.seatHolders].filter(([, holder]) => holder === r.id).map(([seatId]) => seatId))
      next = drop(next, "seatHolders", heldSeats)
      for (const id of heldSeats) next = put(next, "seatBuyers", id, orderId)
      next = setSeats(next, r.eventId, heldSeats, "sold")
      next = countTickets(next, order.customerId, order.eventId, Transitions.countedTicketsChange("hold_converted", 0))
      return [{ _tag: "Claimed" }, withOrder(next, stored, { unitsClaimed: true })]
    }
    case "reclaim": {
      // The hold ended: the same units again, all or nothing.
      const seats = new Map((s.seats.get(order.eventId) ?? []).map((seat) => [seat.id as string, seat]))
      const free = Transitions.canReclaim({
        lines: order.lines,
        seatIsAvailable: (id) => seats.get(id)?.status === "available",
        typeOf: (id) => s.ticketTypes.get(id),
        unitsPerType: perType
      })
      if (!free) return [{ _tag: "Unavailable" }, s]
      const wanted = new Set(seatsOfLines(order.lines))
      let next = moveAll(s, perType, 0, 1)
      for (const id of wanted) next = put(next, "seatBuyers", id, orderId)
      next = setSeats(next, order.eventId, wanted, "sold")
      const n = Transitions.countedTicketsChange("reclaimed", order.lines.length)
      next = countTickets(next, order.customerId, order.eventId, n, true)
      return [{ _tag: "Reclaimed" }, withOrder(next, stored, { unitsClaimed: true })]
    }
  }
}

/**
 * release_units: gives a pending order's claimed units back to sale; those its hold drew from a voucher's withheld
 * pool go back to that pool, still withheld (WithheldDraws).
 */
export const releaseIn = (s: MemoryTables, orderId: string): MemoryTables => {
  const stored = s.orders.get(orderId)
  if (!stored || !Transitions.mayRelease({ status: stored.order.status, unitsClaimed: stored.unitsClaimed })) return s
  const order = stored.order
  const freed = new Set([...s.seatBuyers].filter(([, buyer]) => buyer === orderId).map(([seatId]) => seatId))
  let next = setSeats(drop(s, "seatBuyers", freed), order.eventId, freed, "available")
  const n = Transitions.countedTicketsChange("released", order.lines.length)
  next = countTickets(next, order.customerId, order.eventId, n)
  next = moveAll(next, unitsPerType(order.lines), 0, -1)
  next = drawsBackIn(next, [order.reservationId])
  return withOrder(next, stored, { unitsClaimed: false })
}

export const confirmIn = (s: MemoryTables, orderId: string, at: Date): Step<Outcome<Order>> => {
  const stored = s.orders.get(orderId)
  if (!stored) return [{ defect: `order ${orderId} does not exist` }, s]
  switch (Transitions.decideConfirm({ status: stored.order.status, unitsClaimed: stored.unitsClaimed })) {
    case "as_is":
      return [{ ok: documentOf(s, orderId) as Order }, s]
    case "no_claimed_units":
      return [{ defect: `order ${orderId} has no claimed units` }, s]
  }
  const ids = stored.order.lines.map(() => crypto.randomUUID() as TicketId)
  const tickets = Transitions.ticketsOf(stored.order, at, ids, stored.attendeeNames)
  let next = s
  for (const ticket of tickets) next = put(next, "tickets", ticket.id, { ticket, refundId: null, checkedInBy: null })
  const confirmed = Transitions.confirmedOrder(stored.order, [], at)
  next = put(next, "orders", orderId, { ...stored, order: confirmed, ticketIds: ids })
  return [{ ok: documentOf(next, orderId) as Order }, next]
}

export const cancelIn = (s: MemoryTables, orderId: string, reason: CancelReason, at: Date): Step<Outcome<Order>> => {
  const stored = s.orders.get(orderId)
  if (!stored) return [{ defect: `order ${orderId} does not exist` }, s]
  if (Transitions.decideCancel(stored.order.status) === "as_is") return [{ ok: documentOf(s, orderId) as Order }, s]
  let next = endHold(releaseIn(s, orderId), stored.order.reservationId, at)
  const released = next.orders.get(orderId) as StoredOrder
  const cancelled = Transitions.cancelledOrder(released.order, reason, at)
  next = put(next, "orders", orderId, { ...released, order: cancelled })
  // The trigger of 0020_vouchers.sql: an order cancelled before it was paid gives its hold's redemption back.
  if (orderEndGivesBack(stored.order.status, cancelled.status)) next = giveBackIn(next, [stored.order.reservationId])[1]
  return [{ ok: documentOf(next, orderId) as Order }, next]
}

export const refundIn = (
  s: MemoryTables,
  input: Parameters<OrderRepositoryShape["requestRefund"]>[0]
): Step<RefundRequestOutcome> => {
  const existing = s.refunds.get(input.refundId)
  if (existing) return [{ _tag: "Existing", refund: existing.refund }, s]
  const stored = s.orders.get(input.orderId)
  const decision = Transitions.decideRefund({
    status: stored?.order.status,
    tickets: stored ? ticketsOfOrder(s, stored) : [],
    ticketIds: input.ticketIds,
    includeCheckedIn: input.includeCheckedIn,
    totalMinor: stored?.order.totalMinor ?? 0,
    refundedMinor: stored?.order.refundedMinor ?? 0
  })
  if (decision._tag === "NotRefundable") return [decision, s]
  const order = (stored as StoredOrder).order
  let next = s
  for (const ticket of decision.voiding) {
    const row = s.tickets.get(ticket.id) as Row<"tickets">
    next = put(next, "tickets", ticket.id, {
      ...row,
      ticket: new Ticket({ ...ticket, status: "voided", voidedAt: input.at }, trusted),
      refundId: input.refundId
    })
  }
  const freed = new Set(seatsOfLines(decision.voiding))
  next = setSeats(drop(next, "seatBuyers", freed), order.eventId, freed, "available")
  const n = Transitions.countedTicketsChange("refunded", decision.voiding.length)
  next = countTickets(next, order.customerId, order.eventId, n)
  next = moveAll(next, unitsPerType(decision.voiding), 0, -1)
  next = withOrder(
    next,
    stored as StoredOrder,
    {},
    {
      refundedMinor: order.refundedMinor + decision.amountMinor,
      status: decision.statusAfter
    }
  )
  const refund = new RefundRecord(
    {
      id: input.refundId,
      orderId: input.orderId,
      amountMinor: decision.amountMinor,
      ticketIds: decision.voiding.map((t) => t.id),
      status: "pending",
      createdAt: input.at
    },
    trusted
  )
  next = put(next, "refunds", refund.id, {
    refund,
    requestedBy: input.requestedBy,
    providerRefundId: null,
    completedAt: null
  })
  return [{ _tag: "Requested", refund }, next]
}

export const checkInIn = (
  s: MemoryTables,
  ticketId: string,
  eventId: string,
  by: string,
  at: Date
): Step<CheckInOutcome> => {
  const row = s.tickets.get(ticketId)
  const ticket = row?.ticket as Ticket
  switch (Transitions.decideCheckIn(row?.ticket, eventId)) {
    case "not_found":
      return [{ _tag: "NotFound" }, s]
    case "other_event":
      return [{ _tag: "OtherEvent" }, s]
    case "voided":
      return [{ _tag: "Voided", ticket }, s]
    case "already_admitted":
      return [{ _tag: "AlreadyAdmitted", ticket, at: ticket.checkedInAt as Date }, s]
    case "admit": {
      const admitted = new Ticket({ ...ticket, checkedInAt: at }, trusted)
      return [
        { _tag: "Admitted", ticket: admitted },
        put(s, "tickets", ticketId, { ...(row as Row<"tickets">), ticket: admitted, checkedInBy: by })
      ]
    }
  }
}

/** Sets a customer's valid, not checked-in ticket's attendee name (the guarded UPDATE of OrderRepositoryPg). */
export const renameIn = (
  s: MemoryTables,
  ticketId: string,
  customerId: string,
  name: string | null
): Step<Ticket | undefined> => {
  const row = s.tickets.get(ticketId)
  if (
    row === undefined ||
    row.ticket.customerId !== customerId ||
    row.ticket.status !== "valid" ||
    row.ticket.checkedInAt !== null
  )
    return [undefined, s]
  const ticket = new Ticket({ ...row.ticket, attendeeName: name }, trusted)
  return [ticket, put(s, "tickets", ticketId, { ...row, ticket })]
}

export const byCreatedThenId = (a: Order, b: Order) =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

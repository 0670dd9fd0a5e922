import type { EventStatus } from "../catalog/Event.ts"
import type { ReservationStatus } from "../reservations/Reservation.ts"
import type { TicketId } from "../shared/Ids.ts"
import { type CancelReason, Order, type OrderLine, type OrderStatus, Ticket } from "./Order.ts"
import type { RefundRequestOutcome } from "./OrderRepository.ts"

/*
 * The order's transitions (the arrows of OrderProgress.nextStatuses), as pure decisions over plain data. Each is the
 * one statement of its rule: the in-memory repository calls these functions, and where the PostgreSQL repository
 * keeps a SQL function for the round trip (ARCHITECTURE.md, "Where the order rules run"), that function states the
 * same rule and the contract suite (test/contracts/OrderRepositoryContract.ts) holds the two equal.
 *
 * Every transition is idempotent: asked again, it answers what it did the first time and changes nothing.
 */

type NotRefundable = Extract<RefundRequestOutcome, { _tag: "NotRefundable" }>["code"]

// ── open ────────────────────────────────────────────────────────────────────────────────────────────────────────────

/** What open needs of the hold. */
export interface HoldToOpen {
  readonly customerId: string
  readonly status: ReservationStatus
  readonly expiresAt: Date
}

/**
 * Opening an order for a hold: the customer's own hold only; a hold that has an order answers that order (checkout is
 * idempotent per hold, whatever became of the hold since); else the hold must be active and not past its expiry.
 */
export const decideOpen = (input: {
  readonly hold: HoldToOpen | undefined
  readonly customerId: string
  readonly hasOrder: boolean
  readonly now: Date
}): "open" | "existing" | "hold_not_active" => {
  const { hold, customerId, hasOrder, now } = input
  if (hold === undefined || hold.customerId !== customerId) return "hold_not_active"
  if (hasOrder) return "existing"
  if (hold.status !== "active" || hold.expiresAt.getTime() <= now.getTime()) return "hold_not_active"
  return "open"
}

/** The hold of an order being paid is kept at least until `holdUntil`; it is never shortened. */
export const holdKeptUntil = (expiresAt: Date, holdUntil: Date): Date =>
  holdUntil.getTime() > expiresAt.getTime() ? holdUntil : expiresAt

/** The order opened for a hold (lines from OrderLines.linesOfHold): pending payment, nothing refunded, no tickets. */
export const openedOrder = (input: {
  readonly orderId: Order["id"]
  readonly customerId: Order["customerId"]
  readonly hold: {
    readonly id: Order["reservationId"]
    readonly eventId: Order["eventId"]
    readonly totalMinor: number
    readonly currency: Order["currency"]
  }
  readonly lines: ReadonlyArray<OrderLine>
  readonly now: Date
}): Order =>
  new Order({
    id: input.orderId,
    customerId: input.customerId,
    eventId: input.hold.eventId,
    reservationId: input.hold.id,
    status: "pending_payment",
    totalMinor: input.hold.totalMinor,
    refundedMinor: 0,
    currency: input.hold.currency,
    payment: null,
    cancelReason: null,
    lines: input.lines,
    tickets: [],
    createdAt: input.now,
    confirmedAt: null,
    cancelledAt: null
  })

// ── claim units / take them again / release them ────────────────────────────────────────────────────────────────────

/** What claiming does: nothing (not pending, claimed already, units gone), convert the live hold, or take again. */
export type ClaimDecision = "not_pending" | "claimed" | "unavailable" | "convert_hold" | "reclaim"

/**
 * Claiming a pending order's units: once (claimed already answers claimed); never for an event no longer published
 * (an unknown event does not stop it); the live hold is converted, an ended one's units are taken again.
 */
export const decideClaim = (input: {
  readonly status: OrderStatus
  readonly unitsClaimed: boolean
  readonly eventStatus: EventStatus | undefined
  readonly holdStatus: ReservationStatus
}): ClaimDecision => {
  if (input.status !== "pending_payment") return "not_pending"
  if (input.unitsClaimed) return "claimed"
  if (input.eventStatus !== undefined && input.eventStatus !== "published") return "unavailable"
  return input.holdStatus === "active" ? "convert_hold" : "reclaim"
}

/** A ticket type's counters, as far as taking units again is concerned. */
export interface TypeCounters {
  readonly seated: boolean
  readonly capacity: number
  readonly held: number
  readonly sold: number
  /** Units withheld for vouchers: not free to take again. */
  readonly withheld?: number
}

/**
 * Taking an ended hold's units again is all or nothing: every seat of the lines still available, and every general
 * admission type with that many units free (a seated type's units are its seats).
 */
export const canReclaim = (input: {
  readonly lines: ReadonlyArray<OrderLine>
  readonly seatIsAvailable: (seatId: string) => boolean
  readonly typeOf: (ticketTypeId: string) => TypeCounters | undefined
  readonly unitsPerType: ReadonlyArray<readonly [string, number]>
}): boolean =>
  input.lines.every((l) => l.seatId === null || input.seatIsAvailable(l.seatId)) &&
  input.unitsPerType.every(([typeId, n]) => {
    const type = input.typeOf(typeId)
    return type !== undefined && (type.seated || type.capacity - type.held - type.sold - (type.withheld ?? 0) >= n)
  })

/** Releasing gives back the units of a pending order that claimed them (the compensation of claiming); else nothing. */
export const mayRelease = (input: { readonly status: OrderStatus; readonly unitsClaimed: boolean }): boolean =>
  input.unitsClaimed && input.status === "pending_payment"

/**
 * The per-customer limit, where orders move it: the customer's count of tickets for the event (held or bought)
 * changes by this much. A converted hold was counted already; units taken again are counted again (the limit is not
 * checked then: the customer held them before); released units and refunded tickets are no longer counted.
 */
export const countedTicketsChange = (
  move: "hold_converted" | "reclaimed" | "released" | "refunded",
  admissions: number
): number => (move === "hold_converted" ? 0 : move === "reclaimed" ? admissions : -admissions)

// ── confirm / cancel ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Confirming: only a pending order, and only once its units are claimed (confirming one that is not is a bug of
 * the caller: a defect); any other status answers the order as it is.
 */
export const decideConfirm = (input: {
  readonly status: OrderStatus
  readonly unitsClaimed: boolean
}): "confirm" | "as_is" | "no_claimed_units" =>
  input.status !== "pending_payment" ? "as_is" : input.unitsClaimed ? "confirm" : "no_claimed_units"

/** The tickets a confirmation issues: one per line, in line order, valid, issued `at`. */
export const ticketsOf = (
  order: Order,
  at: Date,
  ids: ReadonlyArray<TicketId>,
  attendeeNames: ReadonlyArray<string | null> = []
): Array<Ticket> =>
  order.lines.map(
    (line, i) =>
      new Ticket({
        id: ids[i] as TicketId,
        orderId: order.id,
        eventId: order.eventId,
        customerId: order.customerId,
        ticketTypeId: line.ticketTypeId,
        seatId: line.seatId,
        seatLabel: line.seatLabel,
        priceMinor: line.unitPriceMinor,
        currency: order.currency,
        status: "valid",
        issuedAt: at,
        voidedAt: null,
        checkedInAt: null,
        attendeeName: attendeeNames[i] ?? null
      })
  )

/** The confirmed order: its tickets issued `at`. */
export const confirmedOrder = (order: Order, tickets: ReadonlyArray<Ticket>, at: Date): Order =>
  new Order({ ...order, status: "confirmed", confirmedAt: at, tickets })

/**
 * Cancelling changes only a pending order (its claimed units or its live hold go back to sale); any other order is
 * left as it is, so a compensation that runs late never undoes a confirmation.
 */
export const decideCancel = (status: OrderStatus): "cancel" | "as_is" =>
  status === "pending_payment" ? "cancel" : "as_is"

export const cancelledOrder = (order: Order, reason: CancelReason, at: Date): Order =>
  new Order({ ...order, status: "cancelled", cancelReason: reason, cancelledAt: at })

// ── refund ──────────────────────────────────────────────────────────────────────────────────────────────────────────

export type RefundDecision =
  | { readonly _tag: "NotRefundable"; readonly code: NotRefundable }
  | {
      readonly _tag: "Refund"
      /** The tickets voided, in position order. */
      readonly voiding: ReadonlyArray<Ticket>
      readonly amountMinor: number
      readonly statusAfter: "partially_refunded" | "refunded"
    }

/**
 * Which tickets a refund takes and the order's status after it. Only a confirmed or partly refunded order; the
 * tickets asked for (all the order's valid ones when none are named) must each be a valid ticket of the order, not
 * checked in unless `includeCheckedIn` (the event itself is called off); the order is refunded once no valid ticket
 * is left, else partially refunded. The refund is what was paid for those tickets, never more than the order
 * charged: their price when the order charged its tickets' prices; when it charged less (a voucher's discount),
 * their share of what it charged (rounded down), and the last refund the rest of it.
 */
export const decideRefund = (input: {
  readonly status: OrderStatus | undefined
  /** The order's tickets, in position order. */
  readonly tickets: ReadonlyArray<Ticket>
  readonly ticketIds?: ReadonlyArray<string> | undefined
  readonly includeCheckedIn: boolean
  /** What the order charged (its tickets' prices when absent), and what of it was refunded already. */
  readonly totalMinor?: number | undefined
  readonly refundedMinor?: number | undefined
}): RefundDecision => {
  const { status, tickets, ticketIds, includeCheckedIn } = input
  if (status !== "confirmed" && status !== "partially_refunded")
    return { _tag: "NotRefundable", code: "order_not_refundable" }
  const refundable = (t: Ticket) => t.status === "valid" && (t.checkedInAt === null || includeCheckedIn)
  const byId = new Map(tickets.map((t) => [t.id as string, t]))
  if (
    ticketIds?.some((id) => {
      const ticket = byId.get(id)
      return ticket === undefined || !refundable(ticket)
    })
  )
    return { _tag: "NotRefundable", code: "ticket_not_refundable" }
  const asked = ticketIds === undefined ? undefined : new Set(ticketIds)
  const voiding = tickets.filter((t) => refundable(t) && (asked === undefined || asked.has(t.id)))
  if (voiding.length === 0) return { _tag: "NotRefundable", code: "nothing_to_refund" }
  const validLeft = tickets.filter((t) => t.status === "valid").length - voiding.length
  return {
    _tag: "Refund",
    voiding,
    amountMinor: refundAmount(
      tickets,
      voiding,
      input.totalMinor ?? tickets.reduce((sum, t) => sum + t.priceMinor, 0),
      input.refundedMinor ?? 0
    ),
    statusAfter: validLeft === 0 ? "refunded" : "partially_refunded"
  }
}

/**
 * What a refund of `voiding` gives back (see decideRefund); refund_amount in migrations/0026 states the same. With a
 * discount, each refund is the share of the charge of the tickets refunded so far, less the share of those refunded
 * before (both rounded down): never more than a ticket's price, and all of them together exactly the charge.
 */
export const refundAmount = (
  tickets: ReadonlyArray<Ticket>,
  voiding: ReadonlyArray<Ticket>,
  totalMinor: number,
  refundedMinor: number
): number => {
  const price = voiding.reduce((sum, t) => sum + t.priceMinor, 0)
  const gross = tickets.reduce((sum, t) => sum + t.priceMinor, 0)
  if (totalMinor >= gross) return price
  const before = tickets.filter((t) => t.status === "voided").reduce((sum, t) => sum + t.priceMinor, 0)
  const share = (amount: number) => Math.floor((amount * totalMinor) / gross)
  return Math.max(0, Math.min(share(before + price) - share(before), totalMinor - refundedMinor))
}

// ── check-in ────────────────────────────────────────────────────────────────────────────────────────────────────────

/** Admitting a ticket: a valid ticket of this event, once; a scan after the first learns when it was admitted. */
export const decideCheckIn = (
  ticket: Pick<Ticket, "eventId" | "status" | "checkedInAt"> | undefined,
  eventId: string
): "admit" | "already_admitted" | "voided" | "other_event" | "not_found" => {
  if (ticket === undefined) return "not_found"
  if (ticket.eventId !== eventId) return "other_event"
  if (ticket.status === "voided") return "voided"
  return ticket.checkedInAt === null ? "admit" : "already_admitted"
}

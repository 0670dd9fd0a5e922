import { Context, Layer, Ref } from "effect"
import type { Event } from "../../domain/catalog/Event.ts"
import type { Seat, Section } from "../../domain/catalog/Seating.ts"
import type { TicketType } from "../../domain/catalog/TicketType.ts"
import type { Order, RefundRecord, Ticket } from "../../domain/orders/Order.ts"
import type { Reservation } from "../../domain/reservations/Reservation.ts"
import type { Voucher } from "../../domain/vouchers/Voucher.ts"
import type { WithheldDraw } from "../../domain/vouchers/WithheldDraws.ts"

/**
 * The in-memory adapters' database: every table in one Ref, so that a hold can change ticket types, seats and
 * reservations in one atomic step, as a transaction does in PostgreSQL.
 */
export interface MemoryTables {
  readonly events: ReadonlyMap<string, Event>
  readonly ticketTypes: ReadonlyMap<string, TicketType>
  readonly sections: ReadonlyMap<string, ReadonlyArray<Section>>
  /** Seats per event id. */
  readonly seats: ReadonlyMap<string, ReadonlyArray<Seat>>
  readonly staff: ReadonlyMap<string, ReadonlyArray<{ readonly userId: string; readonly grantedAt: Date }>>
  readonly reservations: ReadonlyMap<string, Reservation>
  /** Seat id → the active hold that holds it. */
  readonly seatHolders: ReadonlyMap<string, string>
  /** `${customerId}:${eventId}` → tickets held or bought. */
  readonly customerTickets: ReadonlyMap<string, number>
  /** `${userId}:${scope}:${key}` → what the key created. */
  readonly idempotencyKeys: ReadonlyMap<
    string,
    { readonly requestHash: string; readonly resourceId: string; readonly expiresAt: Date }
  >
  /**
   * Orders by id. `order.tickets` is always empty here: the tickets are rows of `tickets` (listed by `ticketIds`,
   * in position order). `unitsClaimed`: the order's units are counted as sold.
   */
  readonly orders: ReadonlyMap<
    string,
    {
      readonly order: Order
      readonly unitsClaimed: boolean
      readonly ticketIds: ReadonlyArray<string>
      /** The attendee names given at checkout, one per line (order_lines.attendee_name). */
      readonly attendeeNames?: ReadonlyArray<string | null> | undefined
    }
  >
  /** Reservation id → the order opened for it (one per hold). */
  readonly ordersByReservation: ReadonlyMap<string, string>
  readonly tickets: ReadonlyMap<
    string,
    { readonly ticket: Ticket; readonly refundId: string | null; readonly checkedInBy: string | null }
  >
  readonly refunds: ReadonlyMap<
    string,
    {
      readonly refund: RefundRecord
      readonly requestedBy: string
      readonly providerRefundId: string | null
      readonly completedAt: Date | null
    }
  >
  /** Seat id → the order it was sold to (as `seatHolders` names a held seat's hold). */
  readonly seatBuyers: ReadonlyMap<string, string>
  /** Provider webhook event id → when it was handled. */
  readonly paymentEvents: ReadonlyMap<string, { readonly type: string; readonly receivedAt: Date }>
  readonly vouchers: ReadonlyMap<string, Voucher>
  /** `${eventId}:${code}` → voucher id. */
  readonly voucherCodes: ReadonlyMap<string, string>
  /**
   * Reservation id → its voucher redemption: here, beside the holds and orders, so that a hold or order that ends
   * gives it back in the same step (as the triggers of 0020_vouchers.sql do in the same transaction).
   */
  readonly redemptions: ReadonlyMap<
    string,
    { readonly voucherId: string; readonly eventId: string; readonly discountMinor: number }
  >
  /**
   * Reservation id → the units its hold drew from a voucher's withheld pool (withheld_draws): here too, so that a
   * hold that ends or an unpaid order cancelled gives them back to the pool in the same step (end_holds,
   * release_units of 0027_withheld_units_waiting_list.sql).
   */
  readonly withheldDraws: ReadonlyMap<string, WithheldDraw>
}

export const emptyTables = (): MemoryTables => ({
  events: new Map(),
  ticketTypes: new Map(),
  sections: new Map(),
  seats: new Map(),
  staff: new Map(),
  reservations: new Map(),
  seatHolders: new Map(),
  customerTickets: new Map(),
  idempotencyKeys: new Map(),
  orders: new Map(),
  ordersByReservation: new Map(),
  tickets: new Map(),
  refunds: new Map(),
  seatBuyers: new Map(),
  paymentEvents: new Map(),
  vouchers: new Map(),
  voucherCodes: new Map(),
  redemptions: new Map(),
  withheldDraws: new Map()
})

export class MemoryStore extends Context.Service<MemoryStore, Ref.Ref<MemoryTables>>()("goticket/MemoryStore") {}

/** One store per build: adapters built together share it (layers are memoised by reference). */
export const MemoryStoreLive = Layer.effect(MemoryStore, Ref.make(emptyTables()))

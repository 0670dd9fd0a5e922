import { Context, type Effect, type Option } from "effect"
import type { EventId, OrderId, ReservationId, TicketId, UserId } from "../shared/Ids.ts"
import type { CancelReason, Order, PaymentRef, RefundRecord, Ticket } from "./Order.ts"
import type { ReconciliationOutcome } from "./Reconciliation.ts"

export type OpenOutcome =
  | { readonly _tag: "Opened"; readonly order: Order }
  /** The hold already has an order: checkout is idempotent per hold. */
  | { readonly _tag: "Existing"; readonly order: Order }
  | { readonly _tag: "HoldNotActive" }

export type ClaimOutcome =
  /** The hold was converted: its units are now sold to this order. */
  | { readonly _tag: "Claimed" }
  /** The hold had ended, but its units were still free and are now sold to this order. */
  | { readonly _tag: "Reclaimed" }
  /** The hold had ended and some unit is gone (or the event is no longer on sale). */
  | { readonly _tag: "Unavailable" }

export type RefundRequestOutcome =
  | { readonly _tag: "Requested"; readonly refund: RefundRecord }
  /** A refund with this id exists already (a retried request or a re-run activity). */
  | { readonly _tag: "Existing"; readonly refund: RefundRecord }
  | {
      readonly _tag: "NotRefundable"
      readonly code: "order_not_refundable" | "ticket_not_refundable" | "nothing_to_refund"
    }

export type CheckInOutcome =
  | { readonly _tag: "Admitted"; readonly ticket: Ticket }
  | { readonly _tag: "AlreadyAdmitted"; readonly ticket: Ticket; readonly at: Date }
  | { readonly _tag: "Voided"; readonly ticket: Ticket }
  | { readonly _tag: "OtherEvent" }
  | { readonly _tag: "NotFound" }

/**
 * Port: orders, their tickets and refunds, with the inventory moves they cause. Every operation is idempotent, so
 * that a saga activity re-run after a crash changes nothing the first run already did; every move of units runs in
 * the same transaction as the status change that justifies it.
 */
export interface OrderRepositoryShape {
  /**
   * Opens an order for a customer's live hold, one admission per line, and keeps the hold alive until `holdUntil`
   * (at least) so that paying within the window cannot lose it.
   */
  readonly open: (input: {
    readonly orderId: OrderId
    readonly reservationId: ReservationId
    readonly customerId: UserId
    readonly holdUntil: Date
    /**
     * The attendee names of its tickets, one per line in line order (AttendeeNames.attendeeNamesOf decided them),
     * stored with the order as it opens and given to its tickets when they are issued. An existing order keeps its own.
     */
    readonly attendeeNames?: ReadonlyArray<string | null> | undefined
  }) => Effect.Effect<OpenOutcome>
  readonly attachPayment: (orderId: OrderId, payment: PaymentRef) => Effect.Effect<void>
  readonly findById: (id: OrderId) => Effect.Effect<Option.Option<Order>>
  readonly findByReservation: (id: ReservationId) => Effect.Effect<Option.Option<Order>>
  /** The customer's orders, newest first. */
  readonly listByCustomer: (
    customerId: UserId,
    page: { readonly limit: number; readonly before?: { readonly createdAt: Date; readonly id: string } | undefined }
  ) => Effect.Effect<ReadonlyArray<Order>>
  /** Turns the order's hold into sold units (or takes the same units again if the hold ended and they are free). */
  readonly claimUnits: (orderId: OrderId) => Effect.Effect<ClaimOutcome>
  /** Gives claimed units back to sale: the compensation of `claimUnits` while the order is not confirmed. */
  readonly releaseUnits: (orderId: OrderId) => Effect.Effect<void>
  /** Confirms a paid order whose units are claimed and issues its tickets, once. */
  readonly confirm: (orderId: OrderId, at: Date) => Effect.Effect<Order>
  /** Cancels a pending order: gives back its hold or claimed units. A no-op for any other status. */
  readonly cancel: (orderId: OrderId, reason: CancelReason, at: Date) => Effect.Effect<Order>
  /**
   * Voids the given valid tickets (all valid ones when `ticketIds` is absent), gives their units back to sale and
   * records a pending refund of their price under `refundId`, in one transaction.
   */
  readonly requestRefund: (input: {
    readonly refundId: string
    readonly orderId: OrderId
    readonly ticketIds?: ReadonlyArray<TicketId> | undefined
    readonly requestedBy: UserId
    /** Checked-in tickets are refundable only when the event itself is called off. */
    readonly includeCheckedIn: boolean
    readonly at: Date
  }) => Effect.Effect<RefundRequestOutcome>
  /** The refund if it is still pending (none once completed or unknown). */
  readonly pendingRefundOf: (refundId: string) => Effect.Effect<Option.Option<RefundRecord>>
  /** The refund whatever its status (none if unknown): what a retried request answers. */
  readonly refundOf: (refundId: string) => Effect.Effect<Option.Option<RefundRecord>>
  readonly completeRefund: (refundId: string, providerRefundId: string, at: Date) => Effect.Effect<void>
  readonly pendingRefunds: (olderThan: Date, limit: number) => Effect.Effect<ReadonlyArray<RefundRecord>>
  /** Orders still waiting for payment, opened before `olderThan`: the sagas a restart must make sure are running. */
  readonly pendingOrders: (olderThan: Date, limit: number) => Effect.Effect<ReadonlyArray<OrderId>>
  /** Orders of an event that hold money (confirmed or partly refunded), in id order after `afterId`. */
  readonly paidOrdersOfEvent: (
    eventId: EventId,
    afterId: OrderId | undefined,
    limit: number
  ) => Effect.Effect<ReadonlyArray<OrderId>>
  readonly findTicket: (id: TicketId) => Effect.Effect<Option.Option<Ticket>>
  /**
   * Sets (or clears, with null) the attendee name of a customer's ticket that is valid and not checked in: the ticket
   * as it is now, or none when it is not theirs or no longer valid (AttendeeNames.decideRename decided the rest).
   */
  readonly renameTicket: (
    ticketId: TicketId,
    customerId: UserId,
    name: string | null
  ) => Effect.Effect<Option.Option<Ticket>>
  /** Admits a valid ticket of this event exactly once, whatever the number of concurrent scans. */
  readonly checkIn: (ticketId: TicketId, eventId: EventId, by: UserId, at: Date) => Effect.Effect<CheckInOutcome>
  /**
   * Settled orders (not pending) whose payment the reconciliation has not checked yet, settled before
   * `settledBefore` (Reconciliation.isDueForReconciliation), the longest settled first, at most `limit`.
   */
  readonly unreconciledOrders: (settledBefore: Date, limit: number) => Effect.Effect<ReadonlyArray<Order>>
  /**
   * Records, once, that the reconciliation checked a settled order's payment and what came of it: false when it was
   * recorded before, or the order is still pending (or unknown).
   */
  readonly markReconciled: (orderId: OrderId, outcome: ReconciliationOutcome, at: Date) => Effect.Effect<boolean>
  /** What the reconciliation recorded about an order, if it did. */
  readonly reconciliationOf: (
    orderId: OrderId
  ) => Effect.Effect<Option.Option<{ readonly at: Date; readonly outcome: ReconciliationOutcome }>>
  /** Records a provider webhook's event id; false when it was recorded before (a redelivery). */
  readonly recordPaymentEvent: (eventId: string, type: string, at: Date) => Effect.Effect<boolean>
  readonly paymentEventSeen: (eventId: string) => Effect.Effect<boolean>
}

export class OrderRepository extends Context.Service<OrderRepository, OrderRepositoryShape>()(
  "goticket/OrderRepository"
) {}

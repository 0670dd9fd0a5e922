import { Schema } from "effect"
import { OrderStatus } from "./Order.ts"

/*
 * How far an order has come along its state machine (Order.ts):
 *
 *   pending_payment ─┬─► confirmed ─┬─► partially_refunded ─► refunded
 *                    │              └──────────────────────► refunded
 *                    └─► cancelled
 *
 * Statuses only move forward along these arrows, which is what lets a client that saw one status be told only
 * what came after it.
 */

/**
 * Settled: the checkout's outcome is decided, i.e. every status but `pending_payment` (confirmed, cancelled, and
 * partially_refunded or refunded, which only follow a confirmation). What happens to a settled order afterwards
 * (refunds) is asked for by the customer or the organizer, not waited for.
 */
export const isSettled = (status: OrderStatus): boolean => status !== "pending_payment"

/**
 * The status's place in the order's life: it grows along every arrow of the state machine (confirmed and cancelled
 * share 2, as no order is ever both). Order status events carry it as their id.
 */
export const statusSequence: Readonly<Record<OrderStatus, number>> = {
  pending_payment: 1,
  confirmed: 2,
  cancelled: 2,
  partially_refunded: 3,
  refunded: 4
}

/** The arrows of the state machine: where an order in each status may go next (OrderTransitions.ts moves it). */
export const nextStatuses: Readonly<Record<OrderStatus, ReadonlyArray<OrderStatus>>> = {
  pending_payment: ["confirmed", "cancelled"],
  confirmed: ["partially_refunded", "refunded"],
  partially_refunded: ["refunded"],
  cancelled: [],
  refunded: []
}

/** Whether an order now in `from` is, or may still come to be, in `to`. */
export const canBecome = (from: OrderStatus, to: OrderStatus): boolean =>
  from === to || (nextStatuses[from] ?? []).some((s) => canBecome(s, to))

/** What a long-poll waits for: one status, or `settled` (any status but pending_payment). */
export const WaitTarget = Schema.Literals([...OrderStatus.literals, "settled"])
export type WaitTarget = typeof WaitTarget.Type

/**
 * Whether a wait for `target` is over: the order is in that status (or settled, for `settled`), or it can no longer
 * get there (a cancelled order never becomes confirmed), so waiting longer would only burn the timeout.
 */
export const waitIsOver = (status: OrderStatus, target: WaitTarget): boolean =>
  target === "settled" ? isSettled(status) : !canBecome(status, target) || status === target

/**
 * The sequence number a client last saw, from its `Last-Event-ID`: a number this feed sent, else 0 (an id it did
 * not send, or none, means the client has seen nothing).
 */
export const seenSequence = (lastEventId: string | undefined): number => {
  if (lastEventId === undefined || !/^\d{1,2}$/.test(lastEventId.trim())) return 0
  return Number(lastEventId.trim())
}

/**
 * What a client that saw up to `seen` is to be told about an order now in `status`: the status when it is news,
 * and whether the feed ends after it (it ends once the order is settled).
 */
export const feedStep = (
  status: OrderStatus,
  seen: number
): { readonly news: boolean; readonly sequence: number; readonly ends: boolean } => {
  const sequence = statusSequence[status]
  return { news: sequence > seen, sequence: Math.max(sequence, seen), ends: isSettled(status) }
}

import { Context, type Effect, type Queue, type Scope } from "effect"
import type { OrderId } from "../shared/Ids.ts"

/**
 * Port: word that an order may have changed (it was opened, or its status moved), for requests waiting on it (order
 * status streams, long-polls). A signal is only a hint: whoever waits reads the order again for the truth, so a
 * signal that comes twice, late, or for a change that turned out to be none, cannot make anyone see a wrong state.
 *
 * - Subscribe, then read: whatever commits after `changes` returns is signalled.
 * - Signals are coalesced: a subscriber that has not taken the previous one yet gets one, not many.
 * - When the adapter may have missed changes (its connection to the source was lost and is back), it signals every
 *   subscriber, so that all of them read again.
 * - Losing a signal is still possible (a process stopping between a commit and its announcement); waiters therefore
 *   also read again at a long interval of their own.
 */
export interface OrderUpdatesShape {
  /** A subscription to the order's changes, until the scope closes: each item says "read the order again". */
  readonly changes: (orderId: OrderId) => Effect.Effect<Queue.Dequeue<OrderId>, never, Scope.Scope>
}

export class OrderUpdates extends Context.Service<OrderUpdates, OrderUpdatesShape>()("goticket/OrderUpdates") {}

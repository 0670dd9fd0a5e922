import type { Actor } from "../accounts/Actor.ts"
import type { Event } from "../catalog/Event.ts"
import { canManage } from "../catalog/EventAccess.ts"
import { RefundRefused } from "./errors.ts"
import type { Order } from "./Order.ts"

/** Who may see an order: its customer, and whoever manages its event. */
export const canViewOrder = (actor: Actor, order: Order, event: Event | undefined): boolean =>
  order.customerId === actor.userId || actor.isAdmin || (event !== undefined && canManage(actor, event))

/**
 * Who may refund: the event's organizer (or an admin) at any time; the customer until `cutoffHours` before the
 * event starts. Answers the refusal, or who is asking.
 */
export const refundPermission = (input: {
  readonly actor: Actor
  readonly order: Order
  readonly event: Event
  readonly now: Date
  readonly cutoffHours: number
}): RefundRefused | "organizer" | "customer" => {
  const { actor, order, event, now, cutoffHours } = input
  if (order.status !== "confirmed" && order.status !== "partially_refunded")
    return new RefundRefused({
      code: "order_not_refundable",
      message: `an order that is ${order.status.replace("_", " ")} cannot be refunded`
    })
  if (canManage(actor, event)) return "organizer"
  if (order.customerId !== actor.userId)
    return new RefundRefused({ code: "not_allowed", message: "only the customer or the organizer may refund" })
  const deadline = event.startsAt.getTime() - cutoffHours * 3_600_000
  if (now.getTime() >= deadline)
    return new RefundRefused({
      code: "refund_window_closed",
      message: `refunds close ${cutoffHours} hours before the event starts (${new Date(deadline).toISOString()})`
    })
  return "customer"
}

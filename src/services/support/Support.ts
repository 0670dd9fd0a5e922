import { randomUUID } from "node:crypto"
import { Context, Effect, Layer, Option } from "effect"
import { Actor } from "../../domain/accounts/Actor.ts"
import type { Email } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { AuditEntry, AuditLog, actedBy } from "../../domain/audit/AuditLog.ts"
import { OrderConfirmed } from "../../domain/events/DomainEvents.ts"
import { Mailer } from "../../domain/notifications/Mailer.ts"
import type { Order } from "../../domain/orders/Order.ts"
import { TicketCodes } from "../../domain/orders/TicketCodes.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { maskEmail } from "../../domain/shared/Redaction.ts"
import { ConfirmationUnavailable } from "../../domain/support/errors.ts"
import { type NotificationMailRequirements, notificationMailFor } from "../notifications/NotificationMails.ts"
import { Orders } from "../orders/Orders.ts"

/** How support finds orders: a customer's email (their newest orders), an order id, or a ticket's code. */
export type OrderLookup = { readonly email: Email } | { readonly orderId: OrderId } | { readonly ticketCode: string }

const noConfirmation = (status: Order["status"]) =>
  new ConfirmationUnavailable({ status, message: `a ${status} order has no valid ticket to confirm` })

/**
 * The back office's use cases, over the same application services as everyone else: finding orders, and sending
 * an order's confirmation again. Refunds are `Orders.refund` itself.
 */
export class Support extends Context.Service<Support>()("goticket/Support", {
  make: Effect.gen(function* () {
    const orders = yield* Orders
    const users = yield* UserRepository
    const codes = yield* TicketCodes
    const audit = yield* AuditLog
    const mailer = yield* Mailer
    const mailRequirements = yield* Effect.context<NotificationMailRequirements>()
    const notFoundIsNone = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
      effect.pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (e): e is Extract<E, { readonly _tag: "OrderNotFound" | "TicketNotFound" }> =>
            e._tag === "OrderNotFound" || e._tag === "TicketNotFound",
          () => Effect.succeed(Option.none<A>())
        )
      )

    /** The orders a lookup names, newest first; none found is an empty list. */
    const findOrders = Effect.fn("Support.findOrders")(function* (actor: Actor, lookup: OrderLookup, limit: number) {
      if ("email" in lookup) {
        const found = yield* users.findByEmail(lookup.email)
        if (Option.isNone(found)) return []
        const customer = new Actor({
          userId: found.value.user.id,
          accountType: found.value.user.accountType,
          isAdmin: false
        })
        return yield* orders.list(customer, { limit })
      }
      if ("orderId" in lookup) return Option.toArray(yield* notFoundIsNone(orders.get(actor, lookup.orderId)))
      const named = yield* codes.verify(lookup.ticketCode)
      if (Option.isNone(named)) return []
      const ticket = yield* notFoundIsNone(orders.ticket(actor, named.value.ticketId))
      if (Option.isNone(ticket)) return []
      return Option.toArray(yield* notFoundIsNone(orders.get(actor, ticket.value.ticket.orderId)))
    })

    /** The confirmation mail of a confirmed order, composed anew (the tickets as they are now) and sent again. */
    const resendConfirmation = Effect.fn("Support.resendConfirmation")(function* (actor: Actor, orderId: OrderId) {
      const order = yield* orders.get(actor, orderId)
      if (order.status !== "confirmed" && order.status !== "partially_refunded")
        return yield* noConfirmation(order.status)
      const envelopeId = randomUUID()
      const event = new OrderConfirmed({
        orderId: order.id,
        customerId: order.customerId,
        eventId: order.eventId,
        totalMinor: order.totalMinor,
        currency: order.currency,
        tickets: order.tickets.filter((t) => t.status === "valid").length
      })
      const mail = yield* Effect.provide(notificationMailFor(event, envelopeId), mailRequirements)
      if (Option.isNone(mail)) return yield* noConfirmation(order.status)
      yield* mailer.send(mail.value)
      yield* audit.record(
        new AuditEntry({
          ...actedBy(actor),
          action: "order.confirmation_resent",
          outcome: "success",
          resourceType: "order",
          resourceId: order.id,
          eventId: order.eventId,
          summary: { after: { status: order.status } }
        })
      )
      return { orderId: order.id, sentTo: maskEmail(mail.value.to), messageId: mail.value.messageId }
    })

    return { findOrders, resendConfirmation } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

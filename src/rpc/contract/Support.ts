import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { Email } from "../../domain/accounts/User.ts"
import { MailNotSent } from "../../domain/notifications/Mailer.ts"
import { OrderNotFound, RefundRefused, TooManyOrderStreams } from "../../domain/orders/errors.ts"
import { Order, RefundRecord } from "../../domain/orders/Order.ts"
import { OrderId, TicketId } from "../../domain/shared/Ids.ts"
import { ConfirmationUnavailable } from "../../domain/support/errors.ts"
import { OrderStatusUpdate } from "./Booking.ts"
import { IdempotencyKey, RequiredScope, ServiceAuth } from "./Common.ts"
import { TicketCode } from "./Door.ts"

/** How support finds orders: the customer's email (their newest orders), an order id, or a ticket's code. */
export const OrderLookup = Schema.Union([
  Schema.Struct({ email: Email }),
  Schema.Struct({ orderId: OrderId }),
  Schema.Struct({ ticketCode: TicketCode })
])
export type OrderLookup = typeof OrderLookup.Type

export { ConfirmationUnavailable }

export const ConfirmationSent = Schema.Struct({
  orderId: OrderId,
  /** The address it went to, masked (`g***@example.com`). */
  sentTo: Schema.String,
  messageId: Schema.String
})

/** `support`: the back office. Acts with an admin's reach over orders; every change is audited under the key. */
export const SupportRpcs = RpcGroup.make(
  Rpc.make("FindOrders", {
    payload: {
      lookup: OrderLookup,
      limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 })))
    },
    success: Schema.Array(Order)
  }),
  /** Voids the tickets (all valid ones when `ticketIds` is absent) and refunds them; the key names the refund. */
  Rpc.make("Refund", {
    payload: {
      orderId: OrderId,
      ticketIds: Schema.optionalKey(Schema.Array(TicketId)),
      idempotencyKey: IdempotencyKey
    },
    success: RefundRecord,
    error: Schema.Union([OrderNotFound, RefundRefused])
  }),
  Rpc.make("ResendConfirmation", {
    payload: { orderId: OrderId },
    success: ConfirmationSent,
    error: Schema.Union([OrderNotFound, ConfirmationUnavailable, MailNotSent])
  }),
  /** Follows any order's status until it settles (as Booking's OrderStatus, without a customer). */
  Rpc.make("FollowOrder", {
    payload: { orderId: OrderId, after: Schema.optionalKey(Schema.Int) },
    success: OrderStatusUpdate,
    error: Schema.Union([OrderNotFound, TooManyOrderStreams]),
    stream: true
  })
)
  .middleware(ServiceAuth)
  .annotateRpcs(RequiredScope, { scope: "support" })

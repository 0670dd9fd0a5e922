import { Effect, Option, Schema } from "effect"
import { Activity } from "effect/workflow"
import { PaymentGateway } from "../payments/PaymentGateway.ts"
import type { OrderId, UserId } from "../shared/Ids.ts"
import { now } from "../shared/Now.ts"
import { CheckoutSettings, persistently } from "./CheckoutSettings.ts"
import { EventRefundsWorkflow, RefundWorkflow } from "./CheckoutWorkflow.ts"
import { OrderRepository } from "./OrderRepository.ts"

/**
 * The refund saga: the tickets were voided and their units given back in the request's transaction (so a second
 * refund of the same ticket is refused at once); this saga hands the money back through the provider, with the
 * refund's id as idempotency key, and records that it did. A provider that is down is retried; a refund the
 * provider refuses for good stays `pending` and is logged for a person to look at. An outage of the database is
 * waited out (`persistently`).
 */
export const RefundSagaLive = RefundWorkflow.toLayer(
  Effect.fn("RefundSaga")(function* ({ refundId, orderId }) {
    const orders = yield* OrderRepository
    const gateway = yield* PaymentGateway
    const settings = yield* CheckoutSettings
    const step = <A, R>(name: string, effect: Effect.Effect<A, never, R>) =>
      persistently(name, effect).pipe(Effect.annotateLogs({ refundId, orderId }))

    const providerRefundId = yield* Activity.make({
      name: "ReturnMoney",
      success: Schema.NullOr(Schema.String),
      execute: Effect.gen(function* () {
        const order = yield* orders.findById(orderId)
        if (Option.isNone(order)) return yield* Effect.die(`order ${orderId} does not exist`)
        const refund = yield* orders.pendingRefundOf(refundId)
        if (Option.isNone(refund)) return null // completed by an earlier run
        if (order.value.payment === null || refund.value.amountMinor === 0) return null
        const returned = yield* gateway
          .refund({
            intentId: order.value.payment.intentId,
            amountMinor: refund.value.amountMinor,
            idempotencyKey: `refund-${refundId}`
          })
          .pipe(
            Effect.retry({
              schedule: settings.providerRetry,
              while: (error) => error._tag === "PaymentProviderUnavailable"
            }),
            Effect.orDie
          )
        return returned.id
      }).pipe((effect) => step("ReturnMoney", effect))
    })

    yield* Activity.make({
      name: "CompleteRefund",
      execute: step(
        "CompleteRefund",
        Effect.flatMap(now, (at) => orders.completeRefund(refundId, providerRefundId ?? "none", at))
      )
    })
    return { providerRefundId }
  })
)

/** The refund id used for an order refunded because its event was cancelled: one per order, whoever asks. */
export const eventCancellationRefundId = (orderId: OrderId) => `event-cancelled-${orderId}`

/**
 * Cancelling an event refunds every paid order: a page of orders at a time, each voided and given its own Refund
 * saga. Both steps are idempotent per order, so a crash resumes at the page it was on without refunding twice.
 */
export const EventRefundsSagaLive = EventRefundsWorkflow.toLayer(
  Effect.fn("EventRefundsSaga")(function* ({ eventId, requestedBy }) {
    const orders = yield* OrderRepository
    let after: OrderId | undefined
    let refunded = 0
    for (let page = 0; ; page++) {
      const batch = yield* Activity.make({
        name: `RefundOrders/${page}`,
        success: Schema.Array(Schema.String),
        execute: persistently(
          `RefundOrders/${page}`,
          Effect.gen(function* () {
            const ids = yield* orders.paidOrdersOfEvent(eventId as never, after, 100)
            for (const orderId of ids) {
              const refundId = eventCancellationRefundId(orderId)
              yield* orders.requestRefund({
                refundId,
                orderId,
                requestedBy: requestedBy as UserId,
                includeCheckedIn: true,
                at: yield* now
              })
              yield* RefundWorkflow.execute({ refundId, orderId }, { discard: true })
            }
            return ids
          })
        ).pipe(Effect.annotateLogs({ eventId }))
      })
      refunded += batch.length
      if (batch.length < 100) break
      after = batch[batch.length - 1] as OrderId
    }
    return { orders: refunded }
  })
)

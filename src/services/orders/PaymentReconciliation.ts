import { Clock, Duration, Effect, Exit, Layer, Option, Schedule } from "effect"
import { DurableDeferred, type WorkflowEngine } from "effect/workflow"
import {
  CheckoutWorkflow,
  PaymentAuthorization,
  paymentAuthorizationToken
} from "../../domain/orders/CheckoutWorkflow.ts"
import { PaymentDeclined } from "../../domain/orders/errors.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { PaymentGateway } from "../../domain/payments/PaymentGateway.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"

/** An order pending payment this long is compared with its intent at the provider. */
const PENDING_FOR = Duration.minutes(2)
const EVERY = Duration.minutes(1)

/**
 * Brings a pending order in line with its payment at the provider: its saga runs (started if it was not), and an
 * intent the provider reports authorised or declined completes the saga's PaymentAuthorization, as its webhook
 * would have (a webhook lost, or handled by a saga that is gone). Completing it again is harmless: the first
 * completion wins. Everything else is left to the saga (its payment window, its compensations).
 */
export const reconcilePendingOrder = Effect.fn("PaymentReconciliation.pendingOrder")(function* (orderId: OrderId) {
  const orders = yield* OrderRepository
  const gateway = yield* PaymentGateway
  const order = yield* orders.findById(orderId)
  if (Option.isNone(order) || order.value.status !== "pending_payment") return
  yield* CheckoutWorkflow.execute({ orderId }, { discard: true })
  const payment = order.value.payment
  if (payment === null) return
  const intent = yield* gateway.retrieve(payment.intentId)
  const token = yield* paymentAuthorizationToken(orderId)
  if (intent.status === "requires_capture" || intent.status === "succeeded")
    yield* DurableDeferred.done(PaymentAuthorization, { token, exit: Exit.succeed("authorized" as const) })
  else if (intent.status === "failed")
    yield* DurableDeferred.done(PaymentAuthorization, {
      token,
      exit: Exit.fail(new PaymentDeclined({ declineCode: intent.declineCode ?? "declined" }))
    })
})

/** Every minute: the orders pending payment for over two minutes, each brought in line with its provider. */
export const PaymentReconciliationLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const context = yield* Effect.context<OrderRepository | PaymentGateway | WorkflowEngine.WorkflowEngine>()
    const pass = Effect.gen(function* () {
      const olderThan = new Date((yield* Clock.currentTimeMillis) - Duration.toMillis(PENDING_FOR))
      const pending = yield* orders.pendingOrders(olderThan, 500)
      for (const orderId of pending)
        yield* reconcilePendingOrder(orderId).pipe(
          Effect.catchCause((cause) => Effect.logWarning("could not reconcile a pending order", cause)),
          Effect.annotateLogs({ orderId })
        )
    }).pipe(
      Effect.provideContext(context),
      Effect.catchCause((cause) => Effect.logWarning("payment reconciliation failed", cause))
    )
    yield* Effect.forkScoped(Effect.repeat(pass, Schedule.spaced(EVERY)).pipe(Effect.delay(Duration.seconds(20))))
  })
)

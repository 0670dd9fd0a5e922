import { Effect, Exit, Option } from "effect"
import { DurableDeferred } from "effect/workflow"
import {
  CheckoutWorkflow,
  EventRefundsWorkflow,
  PaymentAuthorization,
  paymentAuthorizationToken,
  RefundWorkflow
} from "../../domain/orders/CheckoutWorkflow.ts"
import { PaymentDeclined } from "../../domain/orders/errors.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { PaymentGateway } from "../../domain/payments/PaymentGateway.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import type { LegacyExecutionsShape } from "../workflow/LegacyExecutions.ts"

/**
 * A checkout the Effect 3 engine left unfinished starts again on this engine: every step is keyed by the order
 * (the provider's idempotency keys, the repository's functions), so what was done already is not done twice. Its
 * webhook may have been handled already by the old saga, so the payment's outcome is taken from the provider.
 */
const adoptCheckout = Effect.fn("LegacySagaAdoption.checkout")(function* (orderId: OrderId) {
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

/** Starts again, on this engine, the sagas an Effect 3 engine left unfinished (see LegacyExecutions.ts). */
export const adoptLegacySagas = Effect.fn("LegacySagaAdoption.adopt")(function* (legacy: LegacyExecutionsShape) {
  const orders = yield* OrderRepository
  const logged = <A, E, R>(what: string, effect: Effect.Effect<A, E, R>) =>
    Effect.catchCause(effect, (cause) => Effect.logWarning(`could not start again the Effect 3 ${what}`, cause))
  for (const { orderId } of legacy.checkouts) yield* logged(`checkout of order ${orderId}`, adoptCheckout(orderId))
  for (const payload of legacy.refunds)
    yield* logged(
      `refund ${payload.refundId}`,
      Effect.flatMap(orders.pendingRefundOf(payload.refundId), (pending) =>
        Option.isSome(pending) ? RefundWorkflow.execute(payload, { discard: true }) : Effect.void
      )
    )
  for (const payload of legacy.eventRefunds)
    yield* logged(`refunds of event ${payload.eventId}`, EventRefundsWorkflow.execute(payload, { discard: true }))
})

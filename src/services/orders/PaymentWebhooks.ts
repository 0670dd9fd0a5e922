import { Clock, Context, Effect, Exit, Layer, Option, Schema } from "effect"
import { DurableDeferred, WorkflowEngine } from "effect/workflow"
import { paymentKeys } from "../../domain/orders/CheckoutSaga.ts"
import { PaymentAuthorization, paymentAuthorizationToken } from "../../domain/orders/CheckoutWorkflow.ts"
import { PaymentDeclined } from "../../domain/orders/errors.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { type PaymentEvent, PaymentGateway } from "../../domain/payments/PaymentGateway.ts"
import { OrderId } from "../../domain/shared/Ids.ts"

const decodeOrderId = Schema.decodeUnknownOption(OrderId)

/** The provider's events the checkout acts on; the others (processing, succeeded, canceled, refunds) it learns from its own calls. */
const actedOn: ReadonlySet<string> = new Set(["payment_intent.authorized", "payment_intent.payment_failed"])

/**
 * The provider's webhooks: verified (signature, replay window), then handled once per event id. A handled event is
 * recorded only after its effect, so a crash in between makes the provider's redelivery do it again; every effect
 * here is idempotent (a durable deferred completes once, a void uses the order's void key).
 */
export class PaymentWebhooks extends Context.Service<PaymentWebhooks>()("goticket/PaymentWebhooks", {
  make: Effect.gen(function* () {
    const orders = yield* OrderRepository
    const gateway = yield* PaymentGateway
    const engine = yield* WorkflowEngine.WorkflowEngine

    const apply = Effect.fn("PaymentWebhooks.apply")(
      function* (event: PaymentEvent) {
        const orderId = decodeOrderId(event.reference)
        if (Option.isNone(orderId)) return yield* Effect.logWarning("webhook for an unknown reference", event.reference)
        const token = yield* paymentAuthorizationToken(orderId.value)
        switch (event.type) {
          case "payment_intent.authorized": {
            const order = yield* orders.findById(orderId.value)
            if (Option.isSome(order) && order.value.status === "cancelled") {
              // Authorised after its checkout gave up: nothing is owed, so the authorisation is voided.
              yield* gateway.cancel(event.intentId, paymentKeys(orderId.value).void).pipe(Effect.ignore)
              return
            }
            return yield* DurableDeferred.done(PaymentAuthorization, {
              token,
              exit: Exit.succeed("authorized" as const)
            })
          }
          case "payment_intent.payment_failed":
            return yield* DurableDeferred.done(PaymentAuthorization, {
              token,
              exit: Exit.fail(new PaymentDeclined({ declineCode: event.declineCode ?? "declined" }))
            })
          default:
            // processing, succeeded, canceled, refund.succeeded: the saga learns these from its own calls.
            return
        }
      },
      Effect.provideService(WorkflowEngine.WorkflowEngine, engine)
    )

    /** Answers "processed" or "duplicate"; a forged or stale webhook fails with WebhookRejected. */
    const receive = Effect.fn("PaymentWebhooks.receive")(function* (payload: string, signature: string | undefined) {
      const at = new Date(yield* Clock.currentTimeMillis)
      const event = yield* gateway.verifyWebhook({ payload, signature, now: at })
      yield* Effect.annotateCurrentSpan({ "payment.event": event.type, "payment.event_id": event.id })
      // Nothing to do, so nothing to remember: acknowledged without a database round trip.
      if (!actedOn.has(event.type)) return "processed" as const
      if (yield* orders.paymentEventSeen(event.id)) return "duplicate" as const
      yield* apply(event)
      const first = yield* orders.recordPaymentEvent(event.id, event.type, at)
      return first ? ("processed" as const) : ("duplicate" as const)
    })

    return { receive }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

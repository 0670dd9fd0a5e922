import { Clock, Duration, Effect, Layer, Schedule } from "effect"
import { WorkflowEngine } from "effect/workflow"
import { CheckoutWorkflow, RefundWorkflow } from "../../domain/orders/CheckoutWorkflow.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"

/** A saga younger than this is left to the request that started it. */
const GRACE = Duration.seconds(30)
/** Longer than any payment window plus the hold's grace: an order pending this long is stuck. */
const STUCK_AFTER = Duration.hours(25)

/**
 * Makes sure every pending order and refund has its saga running: the request that opens an order (or voids
 * tickets) starts the saga right after its own transaction, and a crash between the two would leave it without
 * one. Starting a saga that runs already is a no-op (its execution id is derived from the order or refund id).
 */
export const SagaSweeperLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const engine = yield* WorkflowEngine.WorkflowEngine
    const sweep = Effect.gen(function* () {
      const olderThan = new Date((yield* Clock.currentTimeMillis) - Duration.toMillis(GRACE))
      const pending = yield* orders.pendingOrders(olderThan, 500)
      for (const orderId of pending) yield* CheckoutWorkflow.execute({ orderId }, { discard: true })
      const refunds = yield* orders.pendingRefunds(olderThan, 500)
      for (const refund of refunds)
        yield* RefundWorkflow.execute({ refundId: refund.id, orderId: refund.orderId }, { discard: true })
      // Still waiting long after any payment window: a saga that cannot finish (its log says why) needs a person.
      const stuck = yield* orders.pendingOrders(new Date(olderThan.getTime() - Duration.toMillis(STUCK_AFTER)), 20)
      if (stuck.length > 0)
        yield* Effect.logWarning(`${stuck.length} orders still pending payment long after their window`).pipe(
          Effect.annotateLogs({ orderIds: stuck.join(",") })
        )
      if (pending.length + refunds.length > 0)
        yield* Effect.logDebug(`saga sweep: ${pending.length} checkouts, ${refunds.length} refunds ensured`)
    }).pipe(
      Effect.provideService(WorkflowEngine.WorkflowEngine, engine),
      Effect.catchCause((cause) => Effect.logWarning("saga sweep failed", cause)),
      Effect.withSpan("SagaSweeper.sweep")
    )
    yield* Effect.forkScoped(
      Effect.repeat(sweep, Schedule.spaced(Duration.seconds(30))).pipe(Effect.delay("10 seconds"))
    )
  })
)

import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { OrderRepository, type OrderRepositoryShape } from "../../domain/orders/OrderRepository.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { OrderAnnouncer } from "./OrderUpdatesHub.ts"

/**
 * The OrderRepository, announcing each order it opens or whose status it may have moved (confirm, cancel, refund)
 * once the call is done: what feeds the in-process OrderUpdates where the database cannot (the in-memory
 * repositories; the embedded PGlite, whose socket does not deliver NOTIFY). Every status change of an order goes
 * through these calls (sagas, webhooks, refunds, event cancellation), so in a single process nothing is missed.
 *
 * A call made inside a transaction (a refund request is written together with its audit record) is announced after
 * that transaction commits (`SqlClient.afterCommit`; at once outside one), so a waiter woken by the announcement
 * reads the committed order, and a rolled-back change is never announced.
 */
export const announcingOrderRepository = (
  inner: OrderRepositoryShape,
  announce: (orderId: OrderId) => Effect.Effect<void>
): OrderRepositoryShape => ({
  ...inner,
  open: (input) =>
    Effect.tap(inner.open(input), (outcome) => (outcome._tag === "Opened" ? announce(outcome.order.id) : Effect.void)),
  confirm: (orderId, at) => Effect.tap(inner.confirm(orderId, at), () => announce(orderId)),
  cancel: (orderId, reason, at) => Effect.tap(inner.cancel(orderId, reason, at), () => announce(orderId)),
  requestRefund: (input) =>
    Effect.tap(inner.requestRefund(input), (outcome) =>
      outcome._tag === "Requested" ? announce(input.orderId) : Effect.void
    )
})

/** Decorates the OrderRepository below it; announces through the OrderAnnouncer, after the commit if there is SQL. */
export const AnnouncingOrderRepository: Layer.Layer<OrderRepository, never, OrderRepository | OrderAnnouncer> =
  Layer.effect(
    OrderRepository,
    Effect.gen(function* () {
      const inner = yield* OrderRepository
      const announcer = yield* OrderAnnouncer
      const sql = yield* Effect.serviceOption(SqlClient.SqlClient)
      const announce = Option.match(sql, {
        onNone: () => announcer.announce,
        onSome: (client) => (orderId: OrderId) => client.afterCommit(announcer.announce(orderId))
      })
      return OrderRepository.of(announcingOrderRepository(inner, announce))
    })
  )

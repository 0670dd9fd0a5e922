import { Effect, Layer, Option, Schedule, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { Order, RefundRecord, Ticket } from "../../domain/orders/Order.ts"
import {
  type CheckInOutcome,
  type ClaimOutcome,
  type OpenOutcome,
  OrderRepository,
  type RefundRequestOutcome
} from "../../domain/orders/OrderRepository.ts"
import type { ReconciliationOutcome } from "../../domain/orders/Reconciliation.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { tracedCall } from "../sql/TraceContext.ts"

// The functions of migrations/0004_orders.sql build the documents; JSON timestamps arrive as ISO strings, which the
// schemas' JSON codecs decode.
const decodeOrder = Schema.decodeUnknownSync(Schema.toCodecJson(Order))
const decodeTicket = Schema.decodeUnknownSync(Schema.toCodecJson(Ticket))
const decodeRefund = Schema.decodeUnknownSync(Schema.toCodecJson(RefundRecord))

const uuidArray = (ids: ReadonlyArray<string>) => `{${ids.join(",")}}`

/**
 * Serialisation failures, deadlocks and cancelled statements are retried: every function is one idempotent
 * transaction that can simply run again. (A statement can be cancelled that nobody meant to cancel: when a fiber
 * running a query is interrupted, the driver sends `pg_cancel_backend` for its connection, best effort and late under
 * load, by which time the connection may be running someone else's statement.)
 */
const retryConflicts = <A, R>(effect: Effect.Effect<A, SqlError.SqlError, R>) =>
  Effect.retry(effect, {
    schedule: Schedule.recurs(3),
    while: (e) =>
      // 40P01, 40001 and 57014
      e.reason._tag === "DeadlockError" ||
      e.reason._tag === "SerializationError" ||
      e.reason._tag === "StatementTimeoutError"
  })

export const OrderRepositoryPg = Layer.effect(
  OrderRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const traced = tracedCall(sql)

    const orderById = (id: string) =>
      sql<{ doc: unknown }>`SELECT order_json(${id}) AS doc`.pipe(
        Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]?.doc), decodeOrder))
      )

    const mustFind = (id: string) =>
      Effect.flatMap(orderById(id), (order) =>
        Option.match(order, { onNone: () => Effect.die(`order ${id} does not exist`), onSome: Effect.succeed })
      )

    return OrderRepository.of({
      open: ({ orderId, reservationId, customerId, holdUntil }) =>
        traced
          .rowsOf<{ outcome: string; orderDoc: unknown }>(
            sql`open_order(${orderId}, ${reservationId}, ${customerId}, ${holdUntil})`
          )
          .pipe(
            retryConflicts,
            Effect.map(([row]): OpenOutcome => {
              if (row?.outcome === "opened") return { _tag: "Opened", order: decodeOrder(row.orderDoc) }
              if (row?.outcome === "existing") return { _tag: "Existing", order: decodeOrder(row.orderDoc) }
              return { _tag: "HoldNotActive" }
            }),
            Effect.orDie,
            Effect.withSpan("OrderRepository.open")
          ),
      attachPayment: (orderId, payment) =>
        sql`UPDATE orders SET payment_provider = ${payment.provider}, payment_intent_id = ${payment.intentId},
              payment_confirm_url = ${payment.confirmUrl}
            WHERE id = ${orderId}`.pipe(Effect.asVoid, Effect.orDie, Effect.withSpan("OrderRepository.attachPayment")),
      findById: (id) => orderById(id).pipe(retryConflicts, Effect.orDie, Effect.withSpan("OrderRepository.findById")),
      findByReservation: (id) =>
        sql<{ doc: unknown }>`SELECT order_json(id) AS doc FROM orders WHERE reservation_id = ${id}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]?.doc), decodeOrder)),
          Effect.orDie,
          Effect.withSpan("OrderRepository.findByReservation")
        ),
      listByCustomer: (customerId, page) =>
        sql<{ doc: unknown }>`
          SELECT order_json(id) AS doc FROM orders WHERE customer_id = ${customerId}
            ${page.before ? sql`AND (created_at, id) < (${page.before.createdAt}, ${page.before.id})` : sql``}
          ORDER BY created_at DESC, id DESC LIMIT ${page.limit}`.pipe(
          Effect.map((rows) => rows.map((r) => decodeOrder(r.doc))),
          retryConflicts,
          Effect.orDie,
          Effect.withSpan("OrderRepository.listByCustomer")
        ),
      claimUnits: (orderId) =>
        traced.valueOf<string>(sql`claim_units(${orderId})`).pipe(
          retryConflicts,
          Effect.map(([row]): ClaimOutcome => {
            if (row?.value === "claimed") return { _tag: "Claimed" }
            if (row?.value === "reclaimed") return { _tag: "Reclaimed" }
            return { _tag: "Unavailable" }
          }),
          Effect.orDie,
          Effect.withSpan("OrderRepository.claimUnits")
        ),
      releaseUnits: (orderId) =>
        traced
          .valueOf<void>(sql`release_units(${orderId})`)
          .pipe(retryConflicts, Effect.asVoid, Effect.orDie, Effect.withSpan("OrderRepository.releaseUnits")),
      confirm: (orderId, at) =>
        traced.valueOf<unknown>(sql`confirm_order(${orderId}, ${at})`).pipe(
          retryConflicts,
          Effect.map(([row]) => decodeOrder(row?.value)),
          Effect.orDie,
          Effect.withSpan("OrderRepository.confirm")
        ),
      cancel: (orderId, reason, at) =>
        traced
          .valueOf<unknown>(sql`cancel_order(${orderId}, ${reason}, ${at})`)
          .pipe(
            retryConflicts,
            Effect.andThen(mustFind(orderId)),
            Effect.orDie,
            Effect.withSpan("OrderRepository.cancel")
          ),
      requestRefund: ({ refundId, orderId, ticketIds, requestedBy, includeCheckedIn, at }) =>
        traced
          .rowsOf<{ outcome: string; refund: unknown }>(
            sql`request_refund(${refundId}, ${orderId},
            ${ticketIds ? uuidArray(ticketIds) : null}::uuid[], ${requestedBy}, ${includeCheckedIn}, ${at})`
          )
          .pipe(
            retryConflicts,
            Effect.map(([row]): RefundRequestOutcome => {
              switch (row?.outcome) {
                case "requested":
                  return { _tag: "Requested", refund: decodeRefund(row.refund) }
                case "existing":
                  return { _tag: "Existing", refund: decodeRefund(row.refund) }
                case "ticket_not_refundable":
                case "nothing_to_refund":
                  return { _tag: "NotRefundable", code: row.outcome }
                default:
                  return { _tag: "NotRefundable", code: "order_not_refundable" }
              }
            }),
            Effect.orDie,
            Effect.withSpan("OrderRepository.requestRefund")
          ),
      pendingRefundOf: (refundId) =>
        sql<{
          doc: unknown
        }>`SELECT refund_json(id) AS doc FROM refunds WHERE id = ${refundId} AND status = 'pending'`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]?.doc), decodeRefund)),
          Effect.orDie,
          Effect.withSpan("OrderRepository.pendingRefundOf")
        ),
      completeRefund: (refundId, providerRefundId, at) =>
        Effect.flatMap(
          traced.fromItem,
          (trace) => sql`UPDATE refunds SET status = 'completed', provider_refund_id = ${providerRefundId},
            completed_at = ${at} FROM ${trace} WHERE id = ${refundId} AND status = 'pending'`
        ).pipe(Effect.asVoid, Effect.orDie, Effect.withSpan("OrderRepository.completeRefund")),
      pendingRefunds: (olderThan, limit) =>
        sql<{ doc: unknown }>`SELECT refund_json(id) AS doc FROM refunds
            WHERE status = 'pending' AND created_at < ${olderThan} ORDER BY created_at LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.map((r) => decodeRefund(r.doc))),
          Effect.orDie,
          Effect.withSpan("OrderRepository.pendingRefunds")
        ),
      pendingOrders: (olderThan, limit) =>
        sql<{ id: string }>`SELECT id FROM orders WHERE status = 'pending_payment' AND created_at < ${olderThan}
            ORDER BY created_at LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.map((r) => r.id as OrderId)),
          Effect.orDie,
          Effect.withSpan("OrderRepository.pendingOrders")
        ),
      paidOrdersOfEvent: (eventId, afterId, limit) =>
        sql<{ id: string }>`SELECT id FROM orders
            WHERE event_id = ${eventId} AND status IN ('confirmed', 'partially_refunded')
              ${afterId ? sql`AND id > ${afterId}` : sql``}
            ORDER BY id LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.map((r) => r.id as OrderId)),
          Effect.orDie,
          Effect.withSpan("OrderRepository.paidOrdersOfEvent")
        ),
      findTicket: (id) =>
        sql<{ doc: unknown }>`SELECT ticket_json(t) AS doc FROM tickets t WHERE t.id = ${id}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]?.doc), decodeTicket)),
          retryConflicts,
          Effect.orDie,
          Effect.withSpan("OrderRepository.findTicket")
        ),
      checkIn: (ticketId, eventId, by, at) =>
        traced.rowsOf<{ outcome: string; ticket: unknown }>(sql`check_in(${ticketId}, ${eventId}, ${by}, ${at})`).pipe(
          Effect.map(([row]): CheckInOutcome => {
            switch (row?.outcome) {
              case "admitted":
                return { _tag: "Admitted", ticket: decodeTicket(row.ticket) }
              case "already_admitted": {
                const ticket = decodeTicket(row.ticket)
                return { _tag: "AlreadyAdmitted", ticket, at: ticket.checkedInAt ?? at }
              }
              case "voided":
                return { _tag: "Voided", ticket: decodeTicket(row.ticket) }
              case "other_event":
                return { _tag: "OtherEvent" }
              default:
                return { _tag: "NotFound" }
            }
          }),
          Effect.orDie,
          Effect.withSpan("OrderRepository.checkIn")
        ),
      // Reconciliation.isDueForReconciliation, in SQL: settled, not reconciled, settled before the bound.
      unreconciledOrders: (settledBefore, limit) =>
        sql<{ doc: unknown }>`SELECT order_json(id) AS doc FROM orders
            WHERE payment_reconciled_at IS NULL AND status <> 'pending_payment'
              AND coalesce(confirmed_at, cancelled_at) < ${settledBefore}
            ORDER BY coalesce(confirmed_at, cancelled_at), id LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.map((r) => decodeOrder(r.doc))),
          Effect.orDie,
          Effect.withSpan("OrderRepository.unreconciledOrders")
        ),
      // Reconciliation.canBeMarkedReconciled, in SQL.
      markReconciled: (orderId, outcome, at) =>
        sql`UPDATE orders SET payment_reconciled_at = ${at}, payment_reconciliation = ${outcome}
            WHERE id = ${orderId} AND payment_reconciled_at IS NULL AND status <> 'pending_payment'
            RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          retryConflicts,
          Effect.orDie,
          Effect.withSpan("OrderRepository.markReconciled")
        ),
      reconciliationOf: (orderId) =>
        sql<{ at: Date; outcome: ReconciliationOutcome }>`
          SELECT payment_reconciled_at AS at, payment_reconciliation AS outcome FROM orders
           WHERE id = ${orderId} AND payment_reconciled_at IS NOT NULL`.pipe(
          Effect.map((rows) =>
            Option.map(Option.fromNullishOr(rows[0]), (row) => ({ at: row.at, outcome: row.outcome }))
          ),
          Effect.orDie,
          Effect.withSpan("OrderRepository.reconciliationOf")
        ),
      recordPaymentEvent: (eventId, type, at) =>
        sql`INSERT INTO payment_events (id, type, received_at) VALUES (${eventId}, ${type}, ${at})
            ON CONFLICT (id) DO NOTHING RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("OrderRepository.recordPaymentEvent")
        ),
      paymentEventSeen: (eventId) =>
        sql`SELECT 1 FROM payment_events WHERE id = ${eventId}`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("OrderRepository.paymentEventSeen")
        )
    })
  })
)

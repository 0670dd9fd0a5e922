import { Array as Arr, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { Order, OrderStatus, RefundRecord, Ticket } from "../../domain/orders/Order.ts"
import {
  type CheckInOutcome,
  type ClaimOutcome,
  type OpenOutcome,
  OrderRepository,
  type RefundRequestOutcome
} from "../../domain/orders/OrderRepository.ts"
import { decideConfirm, ticketsOf } from "../../domain/orders/OrderTransitions.ts"
import type { ReconciliationOutcome } from "../../domain/orders/Reconciliation.ts"
import type { OrderId, TicketId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { tracedCall } from "../sql/TraceContext.ts"
import { retryConflicts } from "../sql/Transient.ts"

// The functions of migrations/0004_orders.sql build the documents; JSON timestamps arrive as ISO strings, which the
// schemas' JSON codecs decode.
const decodeOrder = Schema.decodeUnknownSync(Schema.toCodecJson(Order))
const decodeTicket = Schema.decodeUnknownSync(Schema.toCodecJson(Ticket))
const decodeRefund = Schema.decodeUnknownSync(Schema.toCodecJson(RefundRecord))

/*
 * What the SQL functions answer, decoded: an outcome outside these literals is a defect (a function and its adapter
 * out of step), never read as some business answer.
 */
const decodeRow = <A, I>(schema: Schema.Codec<A, I>) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (rows: ReadonlyArray<unknown>) => Effect.orDie(decode(rows[0]))
}
const OpenRow = decodeRow(
  Schema.Struct({ outcome: Schema.Literals(["opened", "existing", "hold_not_active"]), orderDoc: Schema.Unknown })
)
const ClaimRow = decodeRow(
  Schema.Struct({ value: Schema.Literals(["claimed", "reclaimed", "unavailable", "not_pending"]) })
)
const RefundRow = decodeRow(
  Schema.Struct({
    outcome: Schema.Literals([
      "requested",
      "existing",
      "order_not_refundable",
      "ticket_not_refundable",
      "nothing_to_refund"
    ]),
    refund: Schema.Unknown
  })
)
const CheckInRow = decodeRow(
  Schema.Struct({
    outcome: Schema.Literals(["admitted", "already_admitted", "voided", "other_event", "not_found"]),
    ticket: Schema.Unknown
  })
)
const ConfirmingRow = decodeRow(
  Schema.UndefinedOr(Schema.Struct({ status: OrderStatus, unitsClaimed: Schema.Boolean, doc: Schema.Unknown }))
)

const uuidArray = (ids: ReadonlyArray<string>) => `{${ids.join(",")}}`

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
      // The attendee names go onto the order's lines in the transaction that opens it (0029_attendee_names.sql).
      open: ({ orderId, reservationId, customerId, holdUntil, attendeeNames = [] }) =>
        Effect.gen(function* () {
          const at = yield* now
          const row = yield* Effect.flatMap(
            traced.rowsOf(sql`open_order(${orderId}, ${reservationId}, ${customerId}, ${holdUntil}, ${at})`),
            OpenRow
          )
          if (row.outcome === "opened" && attendeeNames.some((name) => name !== null))
            yield* sql`UPDATE order_lines l SET attendee_name = x.name #>> '{}'
              FROM jsonb_array_elements(${JSON.stringify(attendeeNames)}::jsonb) WITH ORDINALITY AS x(name, position)
              WHERE l.order_id = ${orderId} AND l.position = x.position`
          return row
        }).pipe(
          sql.withTransaction,
          retryConflicts,
          Effect.orDie,
          Effect.map((row): OpenOutcome => {
            switch (row.outcome) {
              case "opened":
                return { _tag: "Opened", order: decodeOrder(row.orderDoc) }
              case "existing":
                return { _tag: "Existing", order: decodeOrder(row.orderDoc) }
              case "hold_not_active":
                return { _tag: "HoldNotActive" }
            }
          }),
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
        Effect.flatMap(now, (at) => traced.valueOf(sql`claim_units(${orderId}, ${at})`)).pipe(
          retryConflicts,
          Effect.orDie,
          Effect.flatMap(ClaimRow),
          Effect.map((row): ClaimOutcome => {
            switch (row.value) {
              case "claimed":
                return { _tag: "Claimed" }
              case "reclaimed":
                return { _tag: "Reclaimed" }
              case "unavailable":
              case "not_pending":
                return { _tag: "Unavailable" }
            }
          }),
          Effect.withSpan("OrderRepository.claimUnits")
        ),
      releaseUnits: (orderId) =>
        traced
          .valueOf<void>(sql`release_units(${orderId})`)
          .pipe(retryConflicts, Effect.asVoid, Effect.orDie, Effect.withSpan("OrderRepository.releaseUnits")),
      // In TypeScript (ARCHITECTURE.md, "Where the order rules run"): lock the order, decide, write.
      confirm: (orderId, at) =>
        Effect.gen(function* () {
          const trace = yield* traced.fromItem
          const row = yield* Effect.flatMap(
            sql`SELECT o.status, o.units_claimed, order_json(o.id) AS doc FROM orders o, ${trace}
                WHERE o.id = ${orderId} FOR UPDATE OF o`,
            ConfirmingRow
          )
          if (row === undefined) return yield* Effect.die(new Error(`order ${orderId} does not exist`))
          switch (decideConfirm({ status: row.status, unitsClaimed: row.unitsClaimed })) {
            case "as_is":
              return decodeOrder(row.doc)
            case "no_claimed_units":
              return yield* Effect.die(new Error(`order ${orderId} has no claimed units`))
            case "confirm":
              break
          }
          const order = decodeOrder(row.doc)
          const names = new Map(
            (yield* sql<{ position: number; attendeeName: string | null }>`
              SELECT position, attendee_name FROM order_lines WHERE order_id = ${orderId}`).map((l) => [
              l.position,
              l.attendeeName
            ])
          )
          const tickets = ticketsOf(
            order,
            at,
            order.lines.map(() => crypto.randomUUID() as TicketId),
            order.lines.map((line) => names.get(line.position) ?? null)
          )
          yield* sql`UPDATE orders SET status = 'confirmed', confirmed_at = ${at} WHERE id = ${orderId}`
          const rows = tickets.map((t, i) => ({
            id: t.id,
            orderId: t.orderId,
            position: order.lines[i]?.position ?? i + 1,
            eventId: t.eventId,
            customerId: t.customerId,
            ticketTypeId: t.ticketTypeId,
            seatId: t.seatId,
            priceMinor: t.priceMinor,
            currency: t.currency,
            issuedAt: t.issuedAt,
            attendeeName: t.attendeeName
          }))
          if (Arr.isArrayNonEmpty(rows))
            yield* sql`INSERT INTO tickets ${sql.insert(rows)} ON CONFLICT (order_id, position) DO NOTHING`
          return yield* mustFind(orderId)
        }).pipe(sql.withTransaction, retryConflicts, Effect.orDie, Effect.withSpan("OrderRepository.confirm")),
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
          .rowsOf(
            sql`request_refund(${refundId}, ${orderId},
            ${ticketIds ? uuidArray(ticketIds) : null}::uuid[], ${requestedBy}, ${includeCheckedIn}, ${at})`
          )
          .pipe(
            retryConflicts,
            Effect.orDie,
            Effect.flatMap(RefundRow),
            Effect.map((row): RefundRequestOutcome => {
              switch (row.outcome) {
                case "requested":
                  return { _tag: "Requested", refund: decodeRefund(row.refund) }
                case "existing":
                  return { _tag: "Existing", refund: decodeRefund(row.refund) }
                default:
                  return { _tag: "NotRefundable", code: row.outcome }
              }
            }),
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
      refundOf: (refundId) =>
        sql<{ doc: unknown }>`SELECT refund_json(id) AS doc FROM refunds WHERE id = ${refundId}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]?.doc), decodeRefund)),
          Effect.orDie,
          Effect.withSpan("OrderRepository.refundOf")
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
      renameTicket: (ticketId, customerId, name) =>
        sql<{ doc: unknown }>`UPDATE tickets t SET attendee_name = ${name}
            WHERE t.id = ${ticketId} AND t.customer_id = ${customerId} AND t.status = 'valid'
              AND t.checked_in_at IS NULL
            RETURNING ticket_json(t) AS doc`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]?.doc), decodeTicket)),
          retryConflicts,
          Effect.orDie,
          Effect.withSpan("OrderRepository.renameTicket")
        ),
      checkIn: (ticketId, eventId, by, at) =>
        traced.rowsOf(sql`check_in(${ticketId}, ${eventId}, ${by}, ${at})`).pipe(
          Effect.orDie,
          Effect.flatMap(CheckInRow),
          Effect.map((row): CheckInOutcome => {
            switch (row.outcome) {
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
              case "not_found":
                return { _tag: "NotFound" }
            }
          }),
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

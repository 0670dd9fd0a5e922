import { Effect, Layer, Option, Ref } from "effect"
import { Order, RefundRecord } from "../../domain/orders/Order.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import {
  canBeMarkedReconciled,
  isDueForReconciliation,
  type ReconciliationOutcome,
  settledAt
} from "../../domain/orders/Reconciliation.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { MemoryStore, MemoryStoreLive, type MemoryTables } from "../memory/MemoryStore.ts"
import {
  byCreatedThenId,
  cancelIn,
  checkInIn,
  claimIn,
  confirmIn,
  documentOf,
  type Outcome,
  openIn,
  put,
  refundIn,
  releaseIn,
  renameIn,
  trusted
} from "./OrderTransitionsMemory.ts"

/** The in-memory twin of OrderRepositoryPg, over the shared MemoryStore. */
export const OrderRepositoryMemory = Layer.effect(
  OrderRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    const read = <A>(f: (s: MemoryTables) => A) => Effect.map(Ref.get(store), f)
    /** A step that may meet what the SQL function raises on (a missing order, say): that is a defect here too. */
    const stepOrDie = <A>(step: (s: MemoryTables) => readonly [Outcome<A>, MemoryTables]) =>
      Effect.flatMap(Ref.modify(store, step), (outcome) =>
        "defect" in outcome ? Effect.die(new Error(outcome.defect)) : Effect.succeed(outcome.ok)
      )

    // What the reconciliation recorded, by order id: kept beside the shared tables (no other adapter reads it).
    const reconciled = yield* Ref.make(
      new Map<string, { readonly at: Date; readonly outcome: ReconciliationOutcome }>()
    )

    return OrderRepository.of({
      open: (input) => Effect.flatMap(now, (at) => stepOrDie((s) => openIn(s, input, at))),
      attachPayment: (orderId, payment) =>
        Ref.update(store, (s) => {
          const stored = s.orders.get(orderId)
          if (!stored) return s
          return put(s, "orders", orderId, { ...stored, order: new Order({ ...stored.order, payment }, trusted) })
        }),
      findById: (id) => read((s) => Option.fromNullishOr(documentOf(s, id))),
      findByReservation: (id) =>
        read((s) =>
          Option.flatMapNullishOr(Option.fromNullishOr(s.ordersByReservation.get(id)), (o) => documentOf(s, o))
        ),
      listByCustomer: (customerId, page) =>
        read((s) => {
          const before = page.before
          return [...s.orders.values()]
            .map((o) => o.order)
            .filter(
              (o) =>
                o.customerId === customerId &&
                (before === undefined ||
                  o.createdAt.getTime() < before.createdAt.getTime() ||
                  (o.createdAt.getTime() === before.createdAt.getTime() && o.id < before.id))
            )
            .sort((a, b) => byCreatedThenId(b, a))
            .slice(0, page.limit)
            .map((o) => documentOf(s, o.id) as Order)
        }),
      claimUnits: (orderId) => Effect.flatMap(now, (at) => Ref.modify(store, (s) => claimIn(s, orderId, at))),
      releaseUnits: (orderId) => Ref.update(store, (s) => releaseIn(s, orderId)),
      confirm: (orderId, at) => stepOrDie((s) => confirmIn(s, orderId, at)),
      cancel: (orderId, reason, at) => stepOrDie((s) => cancelIn(s, orderId, reason, at)),
      requestRefund: (input) => Ref.modify(store, (s) => refundIn(s, input)),
      pendingRefundOf: (refundId) =>
        read((s) =>
          Option.filter(
            Option.map(Option.fromNullishOr(s.refunds.get(refundId)), (r) => r.refund),
            (r) => r.status === "pending"
          )
        ),
      refundOf: (refundId) => read((s) => Option.map(Option.fromNullishOr(s.refunds.get(refundId)), (r) => r.refund)),
      completeRefund: (refundId, providerRefundId, at) =>
        Ref.update(store, (s) => {
          const row = s.refunds.get(refundId)
          if (row?.refund.status !== "pending") return s
          return put(s, "refunds", refundId, {
            ...row,
            refund: new RefundRecord({ ...row.refund, status: "completed" }, trusted),
            providerRefundId,
            completedAt: at
          })
        }),
      pendingRefunds: (olderThan, limit) =>
        read((s) =>
          [...s.refunds.values()]
            .map((r) => r.refund)
            .filter((r) => r.status === "pending" && r.createdAt.getTime() < olderThan.getTime())
            .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
            .slice(0, limit)
        ),
      pendingOrders: (olderThan, limit) =>
        read((s) =>
          [...s.orders.values()]
            .map((o) => o.order)
            .filter((o) => o.status === "pending_payment" && o.createdAt.getTime() < olderThan.getTime())
            .sort(byCreatedThenId)
            .slice(0, limit)
            .map((o) => o.id as OrderId)
        ),
      paidOrdersOfEvent: (eventId, afterId, limit) =>
        read((s) =>
          [...s.orders.values()]
            .map((o) => o.order)
            .filter(
              (o) =>
                o.eventId === eventId &&
                (o.status === "confirmed" || o.status === "partially_refunded") &&
                (afterId === undefined || o.id > afterId)
            )
            .map((o) => o.id)
            .sort()
            .slice(0, limit)
        ),
      findTicket: (id) => read((s) => Option.map(Option.fromNullishOr(s.tickets.get(id)), (row) => row.ticket)),
      renameTicket: (ticketId, customerId, name) =>
        Effect.map(
          Ref.modify(store, (s) => renameIn(s, ticketId, customerId, name)),
          Option.fromNullishOr
        ),
      checkIn: (ticketId, eventId, by, at) => Ref.modify(store, (s) => checkInIn(s, ticketId, eventId, by, at)),
      unreconciledOrders: (settledBefore, limit) =>
        Effect.flatMap(Ref.get(reconciled), (marks) =>
          read((s) =>
            [...s.orders.keys()]
              .map((id) => documentOf(s, id) as Order)
              .filter((o) => isDueForReconciliation(o, marks.get(o.id)?.at ?? null, settledBefore))
              .sort(
                (a, b) =>
                  (settledAt(a)?.getTime() ?? 0) - (settledAt(b)?.getTime() ?? 0) ||
                  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
              )
              .slice(0, limit)
          )
        ),
      markReconciled: (orderId, outcome, at) =>
        Effect.flatMap(
          read((s) => documentOf(s, orderId)),
          (order) =>
            Ref.modify(reconciled, (marks) => {
              if (order === undefined || !canBeMarkedReconciled(order, marks.get(orderId)?.at ?? null))
                return [false, marks] as const
              return [true, new Map(marks).set(orderId, { at, outcome })] as const
            })
        ),
      reconciliationOf: (orderId) =>
        Effect.map(Ref.get(reconciled), (marks) => Option.fromNullishOr(marks.get(orderId))),
      recordPaymentEvent: (eventId, type, at) =>
        Ref.modify(store, (s) => {
          if (s.paymentEvents.has(eventId)) return [false, s] as const
          return [true, put(s, "paymentEvents", eventId, { type, receivedAt: at })] as const
        }),
      paymentEventSeen: (eventId) => read((s) => s.paymentEvents.has(eventId))
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

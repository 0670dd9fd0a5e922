import { randomUUID } from "node:crypto"
import { Context, Duration, Effect, Layer, Option } from "effect"
import { WorkflowEngine } from "effect/workflow"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { AuditEntry, AuditLog, actedBy } from "../../domain/audit/AuditLog.ts"
import { canManage, canView } from "../../domain/catalog/EventAccess.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { openIntent } from "../../domain/orders/CheckoutSaga.ts"
import { CheckoutSettings } from "../../domain/orders/CheckoutSettings.ts"
import { CheckoutWorkflow, EventRefundsWorkflow, RefundWorkflow } from "../../domain/orders/CheckoutWorkflow.ts"
import {
  AlreadyCheckedIn,
  CheckInRefused,
  HoldNotCheckoutable,
  OrderNotFound,
  RefundRefused,
  TicketNotFound
} from "../../domain/orders/errors.ts"
import { Order } from "../../domain/orders/Order.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { canViewOrder, refundPermission } from "../../domain/orders/OrderRules.ts"
import { TicketCodes } from "../../domain/orders/TicketCodes.ts"
import { PaymentGateway, PaymentProviderUnavailable } from "../../domain/payments/PaymentGateway.ts"
import { InventoryCache } from "../../domain/reservations/InventoryCache.ts"
import type { EventId, OrderId, ReservationId, TicketId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { currentTraceparent } from "../sql/TraceContext.ts"
import { makeAttendeeNames } from "./AttendeeNamesService.ts"
import { OrdersConfig } from "./OrdersConfig.ts"

/** The hold outlives the payment window by this much, so the saga always decides before the hold would expire. */
const HOLD_GRACE = Duration.seconds(60)

const orderNotFound = () => new OrderNotFound({ message: "no such order" })
const ticketNotFound = () => new TicketNotFound({ message: "no such ticket" })

/**
 * Orders, tickets, refunds and check-in: the requests customers, organizers and door staff make. Long-running work
 * is handed to the sagas (CheckoutWorkflow, RefundWorkflow, EventRefundsWorkflow) through the workflow engine.
 */
export class Orders extends Context.Service<Orders>()("goticket/Orders", {
  make: Effect.gen(function* () {
    const orders = yield* OrderRepository
    const events = yield* EventRepository
    const gateway = yield* PaymentGateway
    const codes = yield* TicketCodes
    const cache = yield* InventoryCache
    const settings = yield* CheckoutSettings
    const config = yield* OrdersConfig
    const engine = yield* WorkflowEngine.WorkflowEngine
    const audit = yield* AuditLog
    const attendeeNames = yield* makeAttendeeNames(config.attendeeNameCutoffHours)
    const run = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      Effect.provideService(effect, WorkflowEngine.WorkflowEngine, engine)

    const visibleOrder = (actor: Actor, orderId: OrderId) =>
      Effect.gen(function* () {
        const order = yield* orders.findById(orderId).pipe(Effect.flatMap(Effect.fromOption(orderNotFound)))
        if (order.customerId === actor.userId) return order // the common case (a customer polling) reads one row
        const event = yield* events.findById(order.eventId)
        if (!canViewOrder(actor, order, Option.getOrUndefined(event))) return yield* orderNotFound()
        return order
      })

    /**
     * Opens the order of a live hold (once per hold: a retry answers the same order), starts its checkout saga and
     * returns the payment intent the client confirms. The intent is created with the same idempotency key as the
     * saga's own step, so whichever runs first creates it and the other gets the same one.
     */
    const checkout = Effect.fn("Orders.checkout")(function* (
      actor: Actor,
      reservationId: ReservationId,
      attendees?: ReadonlyArray<string | null> | undefined
    ) {
      yield* Effect.annotateCurrentSpan("goticket.reservation.id", reservationId)
      // Decided before anything is stored: names that do not fit are refused with nothing changed.
      const names = yield* attendeeNames.forCheckout(actor, reservationId, attendees)
      const holdUntil = new Date(
        (yield* now).getTime() + Duration.toMillis(Duration.sum(settings.paymentWindow, HOLD_GRACE))
      )
      const opened = yield* orders.open({
        orderId: randomUUID() as OrderId,
        reservationId,
        customerId: actor.userId,
        holdUntil,
        attendeeNames: names
      })
      if (opened._tag === "HoldNotActive")
        return yield* new HoldNotCheckoutable({
          code: "hold_not_active",
          message: "this hold is not yours, or has ended: hold the tickets again"
        })
      const order = opened.order
      yield* Effect.annotateCurrentSpan({ "goticket.order.id": order.id, "goticket.event.id": order.eventId })
      // A retry of a checkout that went on already: its saga runs (a no-op if it does), its answer is the order.
      if (order.status !== "pending_payment" || order.payment !== null) {
        yield* run(
          CheckoutWorkflow.execute({ orderId: order.id, traceparent: yield* currentTraceparent }, { discard: true })
        )
        return order
      }
      // The intent first, then the saga: the saga finds it attached and does not ask the provider again. Should
      // this request die before the saga starts, the sweeper starts it (it opens the intent itself if need be).
      const intent = yield* openIntent(gateway, order.id, order.totalMinor, order.currency).pipe(
        Effect.retry({ times: 2, while: (e) => e._tag === "PaymentProviderUnavailable" }),
        Effect.catchTag("PaymentOperationRefused", (e) => Effect.die(e)),
        Effect.mapError(
          () =>
            new PaymentProviderUnavailable({
              message: "the payment provider is unavailable: retry checkout in a moment (your hold is kept)"
            })
        )
      )
      const payment = { provider: gateway.provider, intentId: intent.id, confirmUrl: intent.confirmUrl }
      yield* orders.attachPayment(order.id, payment)
      yield* run(
        CheckoutWorkflow.execute({ orderId: order.id, traceparent: yield* currentTraceparent }, { discard: true })
      )
      return new Order({ ...order, payment }, { disableChecks: true })
    })

    const get = Effect.fn("Orders.get")(function* (actor: Actor, orderId: OrderId) {
      yield* Effect.annotateCurrentSpan("goticket.order.id", orderId)
      return yield* visibleOrder(actor, orderId)
    })

    const list = Effect.fn("Orders.list")(function* (
      actor: Actor,
      page: { readonly limit: number; readonly before?: { readonly createdAt: Date; readonly id: string } | undefined }
    ) {
      return yield* orders.listByCustomer(actor.userId, page)
    })

    /** The ticket, with its code when the caller owns it (organizers see the ticket, never its code). */
    const ticket = Effect.fn("Orders.ticket")(function* (actor: Actor, ticketId: TicketId) {
      const found = yield* orders.findTicket(ticketId).pipe(Effect.flatMap(Effect.fromOption(ticketNotFound)))
      if (found.customerId === actor.userId) return { ticket: found, code: yield* codes.sign(found.id, found.eventId) }
      const event = yield* events.findById(found.eventId)
      if (actor.isAdmin || (Option.isSome(event) && canManage(actor, event.value))) return { ticket: found, code: null }
      return yield* ticketNotFound()
    })

    /**
     * The codes of an order's tickets for the caller who owns it (by ticket id), so that the order itself hands the
     * buyer their tickets; nothing for anyone else (organizers and staff see tickets, never their codes).
     */
    const ownerCodes = (actor: Actor, order: Order): Effect.Effect<ReadonlyMap<TicketId, string>> =>
      order.customerId !== actor.userId || order.tickets.length === 0
        ? Effect.succeed(new Map())
        : Effect.map(
            Effect.forEach(order.tickets, (t) =>
              Effect.map(codes.sign(t.id, t.eventId), (code) => [t.id, code] as const)
            ),
            (entries) => new Map(entries)
          )

    /** The code of the caller's own valid ticket, for its QR image. */
    const ticketCode = Effect.fn("Orders.ticketCode")(function* (actor: Actor, ticketId: TicketId) {
      const found = yield* orders.findTicket(ticketId).pipe(Effect.flatMap(Effect.fromOption(ticketNotFound)))
      if (found.customerId !== actor.userId) return yield* ticketNotFound()
      return yield* codes.sign(found.id, found.eventId)
    })

    /**
     * Voids the tickets and gives their units back at once (so a ticket cannot be refunded twice), then hands the
     * money back through the Refund saga. The Idempotency-Key names the refund: a retry answers the same refund.
     */
    const refund = Effect.fn("Orders.refund")(function* (
      actor: Actor,
      orderId: OrderId,
      ticketIds: ReadonlyArray<TicketId> | undefined,
      idempotencyKey: string | undefined
    ) {
      yield* Effect.annotateCurrentSpan("goticket.order.id", orderId)
      const order = yield* visibleOrder(actor, orderId)
      const event = yield* events.findById(order.eventId).pipe(
        Effect.flatMap((found) => Effect.fromOption(found)),
        Effect.orDie
      )
      const at = yield* now
      const refundId = idempotencyKey ? `${actor.userId}:${idempotencyKey}` : randomUUID()
      const permission = refundPermission({
        actor,
        order,
        event,
        now: at,
        cutoffHours: event.refundCutoffHours ?? config.customerRefundCutoffHours
      })
      const refundEntry = (outcome: "success" | "denied", summary: AuditEntry["summary"]) =>
        new AuditEntry({
          ...actedBy(actor),
          action: "order.refund_requested",
          outcome,
          resourceType: "order",
          resourceId: orderId,
          eventId: order.eventId,
          summary
        })
      if (typeof permission !== "string") {
        // A retry of a refund that went through finds the order refunded already: answer the refund it made.
        // (pending or completed: a retry after the money went back is answered the same).
        const existing = idempotencyKey ? yield* orders.refundOf(refundId) : Option.none()
        if (Option.isSome(existing)) return existing.value
        yield* audit.record(
          refundEntry("denied", { before: { status: order.status }, after: { refused: permission.code } })
        )
        return yield* permission
      }
      const requested = yield* audit.audited(
        orders.requestRefund({ refundId, orderId, ticketIds, requestedBy: actor.userId, includeCheckedIn: false, at }),
        (outcome) => {
          switch (outcome._tag) {
            case "Requested":
              return refundEntry("success", {
                before: { status: order.status },
                after: {
                  refundId: outcome.refund.id,
                  amountMinor: outcome.refund.amountMinor,
                  currency: order.currency,
                  ticketIds: outcome.refund.ticketIds,
                  refundStatus: outcome.refund.status
                }
              })
            case "NotRefundable":
              return refundEntry("denied", { before: { status: order.status }, after: { refused: outcome.code } })
            case "Existing":
              return null
          }
        }
      )
      if (requested._tag === "NotRefundable")
        return yield* new RefundRefused({
          code: requested.code,
          message:
            requested.code === "ticket_not_refundable"
              ? "some of these tickets are not valid tickets of this order, or were used already"
              : requested.code === "nothing_to_refund"
                ? "every ticket of this order was refunded or used already"
                : "this order cannot be refunded"
        })
      yield* run(RefundWorkflow.execute({ refundId, orderId }, { discard: true }))
      yield* cache.invalidate(order.eventId)
      yield* cache.clearSoldOut(order.lines.map((l) => l.ticketTypeId))
      return requested.refund
    })

    /** After an event is cancelled: refund every paid order, one saga each (resumable, idempotent per order). */
    const refundCancelledEvent = Effect.fn("Orders.refundCancelledEvent")(function* (actor: Actor, eventId: EventId) {
      yield* run(EventRefundsWorkflow.execute({ eventId, requestedBy: actor.userId }, { discard: true }))
    })

    /** A scan's audit entry: the ticket admitted, or the scan refused (never the code itself). */
    const scanEntry = (actor: Actor, eventId: EventId, ticketId: TicketId | null, refused: string | null) =>
      new AuditEntry({
        ...actedBy(actor),
        action: refused === null ? "ticket.checked_in" : "ticket.check_in_refused",
        outcome: refused === null ? "success" : "denied",
        resourceType: "ticket",
        resourceId: ticketId,
        eventId,
        summary: refused === null ? { after: { status: "checked_in" } } : { after: { refused } }
      })

    /** Admits a ticket once; door staff and the organizer may scan. Every scan is audited, admitted or refused. */
    const checkIn = Effect.fn("Orders.checkIn")(function* (actor: Actor, eventId: EventId, code: string) {
      yield* Effect.annotateCurrentSpan("goticket.event.id", eventId)
      const event = yield* events
        .findById(eventId)
        .pipe(Effect.flatMap(Effect.fromOption(() => new EventNotFound({ message: "no such event" }))))
      if (!canManage(actor, event) && !(yield* events.isStaff(eventId, actor.userId))) {
        yield* audit.record(scanEntry(actor, eventId, null, "not_staff"))
        // Someone else's draft does not exist for the caller, here as everywhere else.
        if (!canView(actor, event)) return yield* new EventNotFound({ message: "no such event" })
        return yield* new Forbidden({ message: "only the event's staff and organizer may check tickets in" })
      }
      const named = yield* codes.verify(code)
      if (Option.isNone(named)) {
        yield* audit.record(scanEntry(actor, eventId, null, "forged_code"))
        return yield* new CheckInRefused({ code: "forged_code", message: "this code was not issued by GoTicket" })
      }
      const ticketId = named.value.ticketId
      if (named.value.eventId !== eventId) {
        yield* audit.record(scanEntry(actor, eventId, ticketId, "other_event"))
        return yield* new CheckInRefused({ code: "other_event", message: "this ticket is for another event" })
      }
      const outcome = yield* audit.audited(orders.checkIn(ticketId, eventId, actor.userId, yield* now), (o) =>
        scanEntry(
          actor,
          eventId,
          ticketId,
          o._tag === "Admitted"
            ? null
            : o._tag === "AlreadyAdmitted"
              ? "already_checked_in"
              : o._tag === "Voided"
                ? "ticket_voided"
                : o._tag === "OtherEvent"
                  ? "other_event"
                  : "forged_code"
        )
      )
      switch (outcome._tag) {
        case "Admitted":
          return outcome.ticket
        case "AlreadyAdmitted":
          return yield* new AlreadyCheckedIn({
            code: "already_checked_in",
            firstCheckedInAt: outcome.at,
            message: `this ticket was checked in already, at ${outcome.at.toISOString()}`
          })
        case "Voided":
          return yield* new CheckInRefused({ code: "ticket_voided", message: "this ticket was refunded and is void" })
        case "OtherEvent":
          return yield* new CheckInRefused({ code: "other_event", message: "this ticket is for another event" })
        case "NotFound":
          return yield* new CheckInRefused({ code: "forged_code", message: "no ticket has this code" })
      }
    })

    return {
      checkout,
      get,
      list,
      ticket,
      ticketCode,
      ownerCodes,
      refund,
      refundCancelledEvent,
      checkIn,
      renameTicket: attendeeNames.rename
    }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

import { Cause, Duration, Effect, Option, Stream } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import QRCode from "qrcode"
import { type Actor, CurrentActor } from "../../domain/accounts/Actor.ts"
import type { Order, RefundRecord, Ticket } from "../../domain/orders/Order.ts"
import { decodeCursor } from "../../domain/shared/Cursor.ts"
import { pageOf } from "../../domain/shared/Page.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { type OrderStatusEvent, OrderWatch } from "../../services/orders/OrderWatch.ts"
import { PaymentWebhooks } from "../../services/orders/PaymentWebhooks.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import {
  type CheckoutView,
  DEFAULT_WAIT_MS,
  type OrderStatusEvent as OrderStatusEventSchema,
  type OrderView,
  type RefundView,
  type TicketView
} from "../api/OrdersApi.ts"
import { makeConfirmationResend } from "./confirmationResends.ts"

const DEFAULT_PAGE_SIZE = 20

/** A ticket as the API shows it: the domain's ticket without its customer, with where its QR image is. */
export const ticketView = ({ customerId: _, ...t }: Ticket): typeof TicketView.Type => ({
  ...t,
  qrUrl: `/v1/tickets/${t.id}/qr.svg`
})

/**
 * An order as the API shows it: the domain's order without its customer, lines without their position; `codes` are
 * the tickets' codes for their owner (Orders.ownerCodes), else empty.
 */
export const orderView = (
  { customerId: _, lines, tickets, ...o }: Order,
  codes: ReadonlyMap<string, string> = new Map()
): typeof OrderView.Type => ({
  ...o,
  lines: lines.map(({ position: _position, ...line }) => line),
  tickets: tickets.map((t) => ({ ...ticketView(t), code: codes.get(t.id) ?? null }))
})

/** A checkout's answer: the order it opened, under the name the client follows it by. */
const checkoutView = ({ id, status, totalMinor, currency, payment }: Order): typeof CheckoutView.Type => ({
  orderId: id,
  status,
  totalMinor,
  currency,
  payment
})

/** A refund as the API shows it: the domain's record as it is. */
export const refundView = (r: RefundRecord): typeof RefundView.Type => r

const statusEvent = (e: OrderStatusEvent, codes: ReadonlyMap<string, string>): typeof OrderStatusEventSchema.Type => ({
  id: String(e.sequence),
  event: "status",
  data: { status: e.order.status, settled: e.settled, order: orderView(e.order, codes) }
})

/**
 * A stream that fails ends quietly for the client (who reconnects with its Last-Event-ID), its cause logged here:
 * the framework would otherwise send the cause itself to the client as a failure event.
 */
const endOnFailure = <A, E>(stream: Stream.Stream<A, E>): Stream.Stream<A> =>
  Stream.catchCause(stream, (cause) =>
    Cause.hasInterruptsOnly(cause)
      ? Stream.failCause(cause as Cause.Cause<never>)
      : Stream.fromEffectDrain(Effect.logError("order status stream failed", cause))
  )

export const OrdersLive = HttpApiBuilder.group(GoTicketApi, "orders", (handlers) =>
  Effect.gen(function* () {
    const orders = yield* Orders
    const watch = yield* OrderWatch
    const resend = yield* makeConfirmationResend
    /** The order as `actor` sees it: its owner gets the tickets' codes. */
    const viewFor = (actor: Actor, order: Order) =>
      Effect.map(orders.ownerCodes(actor, order), (codes) => orderView(order, codes))
    return handlers
      .handle("checkout", ({ params, payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          orders.checkout(actor, params.reservationId, payload === undefined ? undefined : payload.attendees)
        ).pipe(Effect.map(checkoutView))
      )
      .handle("list", ({ query }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          const limit = query.limit ?? DEFAULT_PAGE_SIZE
          const before = query.cursor === undefined ? Option.none() : decodeCursor(query.cursor)
          const page = yield* orders.list(actor, {
            limit: limit + 1,
            before: Option.getOrUndefined(Option.map(before, (p) => ({ createdAt: p.at, id: p.id })))
          })
          const { items, nextCursor } = pageOf(page, limit, (o) => ({ at: o.createdAt, id: o.id }))
          return { items: yield* Effect.forEach(items, (order) => viewFor(actor, order)), nextCursor }
        })
      )
      .handle("get", ({ params, query }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          (query.waitFor === undefined
            ? orders.get(actor, params.orderId)
            : watch.waitFor(actor, params.orderId, query.waitFor, Duration.millis(query.timeoutMs ?? DEFAULT_WAIT_MS))
          ).pipe(Effect.flatMap((order) => viewFor(actor, order)))
        )
      )
      .handle("events", ({ params, headers }) =>
        Effect.gen(function* () {
          // The feed's subscription lives in the request's scope, which closes once the stream is written out or
          // the client has gone away (the request is interrupted); its stream slot goes back when the stream ends.
          const actor = yield* CurrentActor
          const feed = yield* watch.feed(actor, params.orderId, headers["last-event-id"])
          return Option.match(feed, {
            onNone: () => undefined,
            onSome: (events) =>
              endOnFailure(
                Stream.mapEffect(events, (e) =>
                  Effect.map(orders.ownerCodes(actor, e.order), (codes) => statusEvent(e, codes))
                )
              )
          })
        })
      )
      .handle("resendConfirmation", ({ params }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          return yield* resend(actor, yield* orders.get(actor, params.orderId))
        })
      )
      .handle("refund", ({ params, payload, headers }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          orders.refund(actor, params.orderId, payload.ticketIds, headers["idempotency-key"])
        ).pipe(Effect.map(refundView))
      )
  })
)

export const TicketsLive = HttpApiBuilder.group(GoTicketApi, "tickets", (handlers) =>
  Effect.gen(function* () {
    const orders = yield* Orders
    return handlers
      .handle("get", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => orders.ticket(actor, params.ticketId)).pipe(
          Effect.map(({ ticket, code }) => ({ ...ticketView(ticket), code }))
        )
      )
      .handle("rename", ({ params, payload }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          yield* orders.renameTicket(actor, params.ticketId, payload.name)
          const { ticket, code } = yield* orders.ticket(actor, params.ticketId)
          return { ...ticketView(ticket), code }
        })
      )
      .handle("qr", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => orders.ticketCode(actor, params.ticketId)).pipe(
          Effect.flatMap((code) =>
            Effect.promise(() => QRCode.toString(code, { type: "svg", errorCorrectionLevel: "M", margin: 2 }))
          )
        )
      )
  })
)

export const CheckInsLive = HttpApiBuilder.group(GoTicketApi, "checkIns", (handlers) =>
  Effect.gen(function* () {
    const orders = yield* Orders
    return handlers.handle("checkIn", ({ payload }) =>
      Effect.flatMap(CurrentActor, (actor) => orders.checkIn(actor, payload.eventId, payload.code)).pipe(
        Effect.map(ticketView)
      )
    )
  })
)

/** The webhook is verified over its exact bytes, so the body is read raw rather than decoded by a schema. */
export const PaymentsLive = HttpApiBuilder.group(GoTicketApi, "payments", (handlers) =>
  Effect.gen(function* () {
    const webhooks = yield* PaymentWebhooks
    return handlers.handle("webhook", ({ headers, request }) =>
      Effect.gen(function* () {
        const body = yield* Effect.orDie(request.text)
        const outcome = yield* webhooks.receive(body, headers["sandbox-signature"])
        return { received: true, duplicate: outcome === "duplicate" }
      })
    )
  })
)

import { Context, Effect, Layer, Option } from "effect"
import type { User } from "../../domain/accounts/User.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import type { Event } from "../../domain/catalog/Event.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import type { DomainEvent, OrderCancelled, OrderConfirmed, OrderRefunded } from "../../domain/events/DomainEvents.ts"
import type { Mail, MailAttachment } from "../../domain/notifications/Mailer.ts"
import type { Order, Ticket } from "../../domain/orders/Order.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { TicketCodes } from "../../domain/orders/TicketCodes.ts"
import type { OrderId } from "../../domain/shared/Ids.ts"
import { escapeHtml, formatEventTime, formatMoney, htmlDocument, oneLine, paragraph } from "./MailFormat.ts"
import { qrPng } from "./QrPng.ts"

/** What composing a notification reads, through the ports. */
export type NotificationMailRequirements = OrderRepository | UserRepository | EventRepository | TicketCodes

/**
 * The Message-ID of the mail telling of the event in this envelope: the envelope id is unique per event and kept by
 * every redelivery, so a redelivered event gives the same Message-ID and the resend can be recognised.
 */
export const notificationMessageId = (envelopeId: string): string => `<${envelopeId}@goticket>`

/** The content id of a ticket's QR image, as the confirmation's HTML shows it (`cid:…`). */
export const ticketQrContentId = (ticket: Ticket): string => `qr-${ticket.id}@goticket`

/** Everything a mail about an order says, read now (the order as it is, not as it was when the event happened). */
interface OrderView {
  readonly order: Order
  readonly customer: User
  readonly event: Event
  readonly typeName: (ticket: Ticket) => string
}

const loadOrder = (orderId: OrderId) =>
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const users = yield* UserRepository
    const events = yield* EventRepository
    const found = yield* orders.findById(orderId)
    if (Option.isNone(found)) {
      yield* Effect.logWarning("notification: the order is not found; no mail")
      return Option.none<OrderView>()
    }
    const order = found.value
    const { customer, event, types } = yield* Effect.all(
      {
        customer: users.findById(order.customerId),
        event: events.findById(order.eventId),
        types: events.listTicketTypes(order.eventId)
      },
      { concurrency: "unbounded" }
    )
    if (Option.isNone(customer) || Option.isNone(event)) {
      yield* Effect.logWarning(
        `notification: the order's ${Option.isNone(customer) ? "customer" : "event"} is not found; no mail`
      )
      return Option.none<OrderView>()
    }
    const names = new Map(types.map((type) => [type.id as string, type.name]))
    return Option.some<OrderView>({
      order,
      customer: customer.value,
      event: event.value,
      typeName: (ticket) => names.get(ticket.ticketTypeId) ?? "Ticket"
    })
  }).pipe(Effect.annotateLogs({ orderId }))

const greeting = (customer: User) => (customer.name.trim() === "" ? "Hello," : `Hello ${customer.name.trim()},`)

/** The event's title, venue and start (on the venue's clock), as lines of text. */
const eventLines = (event: Event): ReadonlyArray<string> => [
  event.title,
  event.venue.address === null ? event.venue.name : `${event.venue.name}, ${event.venue.address}`,
  formatEventTime(event.startsAt, event.venue.timezone)
]

const eventHtml = (event: Event): string => {
  const [title = "", venue = "", start = ""] = eventLines(event)
  return `<p><strong>${escapeHtml(title)}</strong><br>${escapeHtml(venue)}<br>${escapeHtml(start)}</p>`
}

/** "GA", "Stalls, seat B-7": what a ticket is. */
const ticketLabel = (view: OrderView, ticket: Ticket): string =>
  ticket.seatLabel === null ? view.typeName(ticket) : `${view.typeName(ticket)}, seat ${ticket.seatLabel}`

const mailOf = (
  envelopeId: string,
  view: OrderView,
  content: {
    readonly subject: string
    readonly text: ReadonlyArray<string>
    readonly html: string
    readonly attachments?: ReadonlyArray<MailAttachment>
  }
): Mail => ({
  messageId: notificationMessageId(envelopeId),
  to: view.customer.email,
  subject: oneLine(content.subject),
  text: `${content.text.join("\n")}\n`,
  html: htmlDocument(oneLine(content.subject), content.html),
  attachments: content.attachments ?? []
})

// ---------------------------------------------------------------------------------------------------------------
// OrderConfirmed: the tickets.
// ---------------------------------------------------------------------------------------------------------------

const qrImage = (code: string) =>
  Effect.try({
    try: () => qrPng(code),
    catch: (error) => new Error(`could not draw the QR code of a ticket: ${String(error)}`)
  }).pipe(Effect.orDie)

const confirmationMail = (event: OrderConfirmed, envelopeId: string) =>
  Effect.gen(function* () {
    const view = yield* loadOrder(event.orderId)
    if (Option.isNone(view)) return Option.none<Mail>()
    const { order, event: show } = view.value
    const valid = order.tickets.filter((ticket) => ticket.status === "valid")
    if (valid.length === 0) {
      yield* Effect.logInfo("notification: the order has no valid ticket left; no confirmation").pipe(
        Effect.annotateLogs({ orderId: order.id })
      )
      return Option.none<Mail>()
    }
    const codes = yield* TicketCodes
    const tickets = yield* Effect.forEach(valid, (ticket, index) =>
      Effect.gen(function* () {
        const code = yield* codes.sign(ticket.id, ticket.eventId)
        const png = yield* qrImage(code)
        return { ticket, code, png, number: index + 1 }
      })
    )
    const count = tickets.length
    const heading = (number: number) => `Ticket ${number} of ${count}`
    const price = (ticket: Ticket) => formatMoney(ticket.priceMinor, ticket.currency)
    const total = formatMoney(order.totalMinor, order.currency)
    const refunded = order.refundedMinor > 0 ? formatMoney(order.refundedMinor, order.currency) : undefined

    const text = [
      greeting(view.value.customer),
      "",
      `Thank you for your order. Your ${count === 1 ? "ticket" : `${count} tickets`} for ${show.title}:`,
      "",
      ...eventLines(show),
      "",
      ...tickets.flatMap(({ ticket, code, number }) => [
        `${heading(number)}: ${ticketLabel(view.value, ticket)}, ${price(ticket)}`,
        `  Code: ${code}`,
        ""
      ]),
      `Total paid: ${total}`,
      ...(refunded === undefined ? [] : [`Refunded since: ${refunded}`]),
      `Order: ${order.id}`,
      "",
      "Show each ticket's QR code (attached to this mail) or its code at the entrance. A code admits one person, once:",
      "keep it to yourself."
    ]

    const ticketsHtml = tickets
      .map(
        ({ ticket, code, number }) =>
          `<table role="presentation" style="border: 1px solid #dddddd; border-radius: 6px; margin: 12px 0; width: 100%;">` +
          `<tr><td style="padding: 12px; vertical-align: top;">` +
          `<strong>${escapeHtml(heading(number))}</strong><br>${escapeHtml(ticketLabel(view.value, ticket))}<br>` +
          `${escapeHtml(price(ticket))}<br>` +
          `<code style="font-size: 12px; word-break: break-all;">${escapeHtml(code)}</code></td>` +
          `<td style="padding: 12px; width: 200px;">` +
          `<img src="cid:${escapeHtml(ticketQrContentId(ticket))}" width="200" height="200" ` +
          `alt="${escapeHtml(`QR code of ${heading(number).toLowerCase()}`)}"></td></tr></table>`
      )
      .join("\n")
    const html = [
      paragraph(greeting(view.value.customer)),
      paragraph(`Thank you for your order. Your ${count === 1 ? "ticket" : `${count} tickets`}:`),
      eventHtml(show),
      ticketsHtml,
      `<p><strong>Total paid: ${escapeHtml(total)}</strong>` +
        (refunded === undefined ? "" : `<br>Refunded since: ${escapeHtml(refunded)}`) +
        `<br>Order: ${escapeHtml(order.id)}</p>`,
      paragraph(
        "Show each ticket's QR code or its code at the entrance. A code admits one person, once: keep it to yourself."
      )
    ].join("\n")

    return Option.some(
      mailOf(envelopeId, view.value, {
        subject: `Your ${count === 1 ? "ticket" : "tickets"} for ${show.title}`,
        text,
        html,
        attachments: tickets.map(({ ticket, png }) => ({
          filename: `ticket-${ticket.id}.png`,
          contentType: "image/png",
          content: png,
          contentId: ticketQrContentId(ticket)
        }))
      })
    )
  })

// ---------------------------------------------------------------------------------------------------------------
// OrderRefunded: the money returned and the tickets it voided.
// ---------------------------------------------------------------------------------------------------------------

const refundMail = (event: OrderRefunded, envelopeId: string) =>
  Effect.gen(function* () {
    const view = yield* loadOrder(event.orderId)
    if (Option.isNone(view)) return Option.none<Mail>()
    const { order, event: show } = view.value
    const amount = formatMoney(event.amountMinor, event.currency)
    const voided = event.ticketIds.flatMap((id) => order.tickets.filter((ticket) => ticket.id === id))
    const stillValid = order.tickets.filter((ticket) => ticket.status === "valid").length
    const eventCancelled = order.cancelReason === "event_cancelled" || show.status === "cancelled"

    const intro = eventCancelled
      ? `${show.title} has been cancelled by its organiser. We are sorry: we have refunded ${amount} for your order.`
      : `We have refunded ${amount} for your order for ${show.title}.`
    const voidedLines = voided.map(
      (ticket) => `${ticketLabel(view.value, ticket)}, ${formatMoney(ticket.priceMinor, ticket.currency)}`
    )
    const remaining =
      stillValid === 0 || eventCancelled
        ? undefined
        : `Your other ${stillValid === 1 ? "ticket remains" : `${stillValid} tickets remain`} valid.`
    const timing = "The money goes back to the card you paid with; your bank may take a few days to show it."

    const text = [
      greeting(view.value.customer),
      "",
      intro,
      "",
      ...eventLines(show),
      "",
      ...(voided.length === 0
        ? []
        : ["These tickets are now void and will not admit anyone:", ...voidedLines.map((l) => `  - ${l}`), ""]),
      ...(remaining === undefined ? [] : [remaining, ""]),
      `Refunded: ${amount}`,
      `Order: ${order.id}`,
      "",
      timing
    ]
    const html = [
      paragraph(greeting(view.value.customer)),
      paragraph(intro),
      eventHtml(show),
      voided.length === 0
        ? ""
        : `${paragraph("These tickets are now void and will not admit anyone:")}\n<ul>${voidedLines
            .map((line) => `<li>${escapeHtml(line)}</li>`)
            .join("")}</ul>`,
      remaining === undefined ? "" : paragraph(remaining),
      `<p><strong>Refunded: ${escapeHtml(amount)}</strong><br>Order: ${escapeHtml(order.id)}</p>`,
      paragraph(timing)
    ]
      .filter((part) => part !== "")
      .join("\n")

    return Option.some(
      mailOf(envelopeId, view.value, {
        subject: eventCancelled
          ? `${show.title} is cancelled: ${amount} refunded`
          : `Refund of ${amount} for ${show.title}`,
        text,
        html
      })
    )
  })

// ---------------------------------------------------------------------------------------------------------------
// OrderCancelled: the order did not go through.
// ---------------------------------------------------------------------------------------------------------------

/** Why the order was cancelled, and what it means for the customer's money, by the order's cancel reason. */
const cancellationReasons: Record<string, { readonly why: string; readonly money: string }> = {
  payment_declined: {
    why: "your card was declined",
    money: "You have not been charged, and the tickets we were holding for you have been released."
  },
  payment_timed_out: {
    why: "the payment was not completed in time",
    money: "You have not been charged, and the tickets we were holding for you have been released."
  },
  units_unavailable: {
    why: "the tickets you had chosen were no longer available when your payment came through",
    money: "You have not been charged, and the hold on your tickets has been released."
  },
  payment_failed: {
    why: "the payment could not be processed",
    money: "You have not been charged, and the tickets we were holding for you have been released."
  },
  event_cancelled: {
    why: "the event has been cancelled by its organiser",
    money: "The payment for this order was not completed, so you have not been charged."
  }
}

const cancellationMail = (event: OrderCancelled, envelopeId: string) =>
  Effect.gen(function* () {
    const view = yield* loadOrder(event.orderId)
    if (Option.isNone(view)) return Option.none<Mail>()
    const { order, event: show } = view.value
    const known = cancellationReasons[event.reason]
    const intro =
      known === undefined
        ? `Your order for ${show.title} has been cancelled.`
        : `Your order for ${show.title} has been cancelled: ${known.why}.`
    const next =
      event.reason === "event_cancelled"
        ? "We are sorry it will not take place."
        : "If you still want to go, you are welcome to choose your tickets again while they are on sale."

    const text = [
      greeting(view.value.customer),
      "",
      intro,
      ...(known === undefined ? [] : [known.money]),
      "",
      ...eventLines(show),
      "",
      next,
      "",
      `Order: ${order.id}`
    ]
    const html = [
      paragraph(greeting(view.value.customer)),
      paragraph(intro),
      known === undefined ? "" : paragraph(known.money),
      eventHtml(show),
      paragraph(next),
      `<p>Order: ${escapeHtml(order.id)}</p>`
    ]
      .filter((part) => part !== "")
      .join("\n")

    return Option.some(
      mailOf(envelopeId, view.value, {
        subject:
          event.reason === "event_cancelled"
            ? `${show.title} is cancelled: your order was not completed`
            : `Your order for ${show.title} was cancelled`,
        text,
        html
      })
    )
  })

// ---------------------------------------------------------------------------------------------------------------
// The entry point.
// ---------------------------------------------------------------------------------------------------------------

/**
 * The mail telling the customer of this domain event, or none: an order confirmed (its valid tickets, each with its
 * code and QR image), refunded, or cancelled. Other events, or an order, customer or event that cannot be found
 * (logged), give none. What it says is read now through the ports; its Message-ID comes from `envelopeId` alone, so a
 * redelivered event gives the same one.
 */
export const notificationMailFor: (
  event: DomainEvent,
  envelopeId: string
) => Effect.Effect<Option.Option<Mail>, never, NotificationMailRequirements> = Effect.fn("NotificationMails.mailFor")(
  function* (event: DomainEvent, envelopeId: string) {
    yield* Effect.annotateCurrentSpan({ "event.type": event._tag, "event.id": envelopeId })
    switch (event._tag) {
      case "OrderConfirmed":
        return yield* confirmationMail(event, envelopeId)
      case "OrderRefunded":
        return yield* refundMail(event, envelopeId)
      case "OrderCancelled":
        return yield* cancellationMail(event, envelopeId)
      default:
        return Option.none<Mail>()
    }
  }
)

/** The same as a service: its ports are taken once, when the layer is built. */
export class NotificationMails extends Context.Service<NotificationMails>()("goticket/NotificationMails", {
  make: Effect.gen(function* () {
    const context = yield* Effect.context<NotificationMailRequirements>()
    return {
      mailFor: (event: DomainEvent, envelopeId: string): Effect.Effect<Option.Option<Mail>> =>
        Effect.provide(notificationMailFor(event, envelopeId), context)
    }
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

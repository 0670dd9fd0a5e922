import { Effect, Layer, Option, Ref, Semaphore } from "effect"
import { UserNotFound } from "../../domain/accounts/errors.ts"
import { SecurityTokens } from "../../domain/accounts/SecurityTokens.ts"
import { TwoFactorRepository } from "../../domain/accounts/TwoFactorRepository.ts"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { Ticket } from "../../domain/orders/Order.ts"
import { blocksErasure } from "../../domain/privacy/Erasure.ts"
import { ErasureRefused } from "../../domain/privacy/errors.ts"
import { PersonalData } from "../../domain/privacy/PersonalData.ts"
import {
  ExportedAccount,
  ExportedEvent,
  ExportedOrder,
  ExportedOrderLine,
  ExportedRefund,
  ExportedReservation,
  ExportedStaffRole,
  ExportedTicket,
  ExportedWebhook,
  PersonalDataExport
} from "../../domain/privacy/PersonalDataExport.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, UserId } from "../../domain/shared/Ids.ts"
import { WebhookRepository } from "../../domain/webhooks/WebhookRepository.ts"
import { MemoryStore, MemoryStoreLive, type MemoryTables } from "../memory/MemoryStore.ts"

/** The account's attendee names blanked, on its tickets and its orders' lines (the trigger of 0029 in PostgreSQL). */
const blankAttendeeNames = (s: MemoryTables, userId: string): Pick<MemoryTables, "tickets" | "orders"> => ({
  tickets: new Map(
    [...s.tickets].map(([id, row]) =>
      row.ticket.customerId === userId && row.ticket.attendeeName !== null
        ? [id, { ...row, ticket: new Ticket({ ...row.ticket, attendeeName: null }, { disableChecks: true }) }]
        : [id, row]
    )
  ),
  orders: new Map(
    [...s.orders].map(([id, row]) =>
      row.order.customerId === userId ? [id, { ...row, attendeeNames: row.attendeeNames?.map(() => null) }] : [id, row]
    )
  )
})

const newestFirst = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

const unknownAccount = () => new UserNotFound({ message: "this account does not exist (or was erased)" })

/** The sections of the export that live in the shared tables, built as the SQL of PersonalDataPg builds them. */
const sectionsOf = (s: MemoryTables, userId: string) => {
  const titleOf = (eventId: string) => s.events.get(eventId)?.title ?? ""
  const typeNameOf = (ticketTypeId: string) => s.ticketTypes.get(ticketTypeId)?.name ?? ""
  const stored = [...s.orders.values()].filter((o) => o.order.customerId === userId)
  stored.sort((a, b) => newestFirst(a.order, b.order))
  const orders = stored.map(
    ({ order }) =>
      new ExportedOrder({
        id: order.id,
        eventId: order.eventId,
        eventTitle: titleOf(order.eventId),
        reservationId: order.reservationId,
        status: order.status,
        totalMinor: order.totalMinor,
        refundedMinor: order.refundedMinor,
        currency: order.currency,
        payment: order.payment === null ? null : { provider: order.payment.provider, intentId: order.payment.intentId },
        cancelReason: order.cancelReason,
        createdAt: order.createdAt,
        confirmedAt: order.confirmedAt,
        cancelledAt: order.cancelledAt,
        lines: order.lines.map(
          (line) =>
            new ExportedOrderLine({
              position: line.position,
              ticketTypeId: line.ticketTypeId,
              ticketTypeName: typeNameOf(line.ticketTypeId),
              seatId: line.seatId,
              seatLabel: line.seatLabel,
              unitPriceMinor: line.unitPriceMinor
            })
        )
      })
  )
  const tickets = stored.flatMap(({ ticketIds }) =>
    ticketIds.flatMap((id) => {
      const ticket = s.tickets.get(id)?.ticket
      return ticket === undefined
        ? []
        : [
            new ExportedTicket({
              id: ticket.id,
              orderId: ticket.orderId,
              eventId: ticket.eventId,
              eventTitle: titleOf(ticket.eventId),
              ticketTypeId: ticket.ticketTypeId,
              ticketTypeName: typeNameOf(ticket.ticketTypeId),
              seatLabel: ticket.seatLabel,
              priceMinor: ticket.priceMinor,
              currency: ticket.currency,
              status: ticket.status,
              issuedAt: ticket.issuedAt,
              voidedAt: ticket.voidedAt,
              checkedInAt: ticket.checkedInAt,
              attendeeName: ticket.attendeeName
            })
          ]
    })
  )
  const reservations = [...s.reservations.values()]
    .filter((r) => r.customerId === userId)
    .sort(newestFirst)
    .map(
      (r) =>
        new ExportedReservation({
          id: r.id,
          eventId: r.eventId,
          eventTitle: titleOf(r.eventId),
          status: r.status,
          tickets: r.tickets,
          totalMinor: r.totalMinor,
          currency: r.currency,
          createdAt: r.createdAt,
          expiresAt: r.expiresAt,
          endedAt: r.endedAt
        })
    )
  const currencyOf = new Map(stored.map(({ order }) => [order.id as string, order.currency]))
  const refunds = [...s.refunds.values()]
    .filter(({ refund }) => currencyOf.has(refund.orderId))
    .sort((a, b) => newestFirst(a.refund, b.refund))
    .map(
      ({ refund, completedAt }) =>
        new ExportedRefund({
          id: refund.id,
          orderId: refund.orderId,
          amountMinor: refund.amountMinor,
          currency: currencyOf.get(refund.orderId) as ExportedRefund["currency"],
          ticketIds: refund.ticketIds,
          status: refund.status,
          createdAt: refund.createdAt,
          completedAt
        })
    )
  const eventsOrganized = [...s.events.values()]
    .filter((e) => e.organizerId === userId)
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(
      (e) =>
        new ExportedEvent({
          id: e.id,
          title: e.title,
          status: e.status,
          venueName: e.venue.name,
          startsAt: e.startsAt,
          endsAt: e.endsAt,
          createdAt: e.createdAt,
          publishedAt: e.publishedAt,
          cancelledAt: e.cancelledAt
        })
    )
  const staffRoles = [...s.staff].flatMap(([eventId, grants]) =>
    grants
      .filter((g) => g.userId === userId)
      .map(
        (g) =>
          new ExportedStaffRole({ eventId: eventId as EventId, eventTitle: titleOf(eventId), grantedAt: g.grantedAt })
      )
  )
  staffRoles.sort(
    (a, b) =>
      a.grantedAt.getTime() - b.grantedAt.getTime() || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)
  )
  return { orders, tickets, reservations, refunds, eventsOrganized, staffRoles }
}

/**
 * The in-memory twin of PersonalDataPg, over the shared MemoryStore. Accounts and webhook endpoints are not in
 * that store (UserRepositoryMemory and WebhookRepositoryMemory keep their own), so they are reached through their
 * ports: the account is read with `findById`, endpoints are listed (active ones only) and deactivated rather than
 * deleted, holds are released with ReservationRepository.end, its account-security tokens and two-factor set-up are
 * forgotten through SecurityTokens and TwoFactorRepository (as the erasure's trigger deletes them in PostgreSQL), and
 * an erased account is remembered here (it then reads as unknown to this port, though UserRepositoryMemory still
 * holds its original row). Erasures take turns.
 */
export const PersonalDataMemory = Layer.effect(
  PersonalData,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    const users = yield* UserRepository
    const webhooks = yield* WebhookRepository
    const holds = yield* ReservationRepository
    const securityTokens = yield* SecurityTokens
    const twoFactor = yield* TwoFactorRepository
    const erased = yield* Ref.make(new Map<string, Date>())
    const oneAtATime = yield* Semaphore.make(1)

    const liveAccount = (userId: UserId) =>
      Effect.gen(function* () {
        const user = yield* users.findById(userId)
        if (Option.isNone(user) || (yield* Ref.get(erased)).has(userId)) return yield* Effect.fail(unknownAccount())
        return user.value
      })

    return PersonalData.of({
      exportFor: (userId, at) =>
        Effect.gen(function* () {
          const user = yield* liveAccount(userId)
          const sections = sectionsOf(yield* Ref.get(store), userId)
          const endpoints = yield* webhooks.listByOrganizer(userId)
          return new PersonalDataExport({
            generatedAt: at,
            account: new ExportedAccount({
              id: user.id,
              email: user.email,
              name: user.name,
              accountType: user.accountType,
              isAdmin: user.isAdmin,
              createdAt: user.createdAt
            }),
            ...sections,
            webhooks: endpoints.map(
              (w) =>
                new ExportedWebhook({
                  id: w.id,
                  url: w.url,
                  eventTypes: w.eventTypes,
                  active: w.active,
                  createdAt: w.createdAt,
                  deactivatedAt: w.deactivatedAt
                })
            )
          })
        }),
      erase: (userId, at) =>
        Effect.gen(function* () {
          yield* liveAccount(userId)
          const s = yield* Ref.get(store)
          if ([...s.events.values()].some((e) => e.organizerId === userId && blocksErasure(e, at)))
            return yield* Effect.fail(ErasureRefused.upcomingEvents())
          const orders = [...s.orders.values()]
          if (orders.some(({ order }) => order.customerId === userId && order.status === "pending_payment"))
            return yield* Effect.fail(ErasureRefused.paymentInProgress())
          const live = [...s.reservations.values()].filter((r) => r.customerId === userId && r.status === "active")
          const releasedHolds = yield* holds.end(
            live.map((r) => r.id),
            "released",
            userId
          )
          for (const endpoint of yield* webhooks.listByOrganizer(userId)) yield* webhooks.deactivate(endpoint.id, at)
          // No way back in: pending links and challenges, the two-factor secret and its recovery codes.
          yield* securityTokens.forgetUser(userId)
          yield* twoFactor.remove(userId)
          yield* Ref.update(store, (tables) => ({
            ...tables,
            staff: new Map(
              [...tables.staff].map(([eventId, grants]) => [eventId, grants.filter((g) => g.userId !== userId)])
            ),
            idempotencyKeys: new Map([...tables.idempotencyKeys].filter(([key]) => !key.startsWith(`${userId}:`))),
            ...blankAttendeeNames(tables, userId)
          }))
          yield* Ref.update(erased, (accounts) => new Map(accounts).set(userId, at))
          return { releasedHolds }
        }).pipe(oneAtATime.withPermits(1))
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

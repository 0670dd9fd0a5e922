import { Effect, Option, Result } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import {
  type AttendeeNamesPolicy,
  attendeeNamesOf,
  decideRename,
  lineTypesOfHold,
  type NameIssue,
  renameCutoff
} from "../../domain/orders/AttendeeNames.ts"
import { AttendeeNameLocked, AttendeeNamesInvalid, TicketNotFound } from "../../domain/orders/errors.ts"
import { OrderRepository } from "../../domain/orders/OrderRepository.ts"
import { ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, TicketId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"

const invalid = (issues: ReadonlyArray<NameIssue>) => {
  const first = issues[0] as NameIssue
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problems)` : ""
  return new AttendeeNamesInvalid({
    issues,
    message: `body field ${first.path.join(".")} ${first.message}${more}`
  })
}

const lockedMessage: Record<AttendeeNameLocked["code"], string> = {
  names_not_taken: "this ticket type does not take attendee names",
  name_cutoff_passed: "the attendee name can no longer be changed: the cut-off before the event has passed",
  ticket_not_valid: "this ticket was refunded or used already: its name can no longer be changed"
}

/**
 * The attendee names of checkout and of a ticket (AttendeeNames rules): the names a checkout opens its order with,
 * decided before anything is stored, and a buyer's change of a ticket's name. Used by Orders.
 */
export const makeAttendeeNames = (cutoffHours: number) =>
  Effect.gen(function* () {
    const orders = yield* OrderRepository
    const events = yield* EventRepository
    const holds = yield* ReservationRepository

    const policiesOf = (eventId: EventId) =>
      Effect.map(
        events.listTicketTypes(eventId),
        (types) => new Map(types.map((t) => [t.id as string, t.attendeeNames]))
      )

    /**
     * The names for the order of the caller's live hold, one per line; nothing to decide (an empty list) when the
     * hold is not the caller's live one, which the order's opening refuses by itself.
     */
    const forCheckout = Effect.fn("AttendeeNames.forCheckout")(function* (
      actor: Actor,
      reservationId: ReservationId,
      attendees: ReadonlyArray<string | null> | undefined
    ) {
      const hold = yield* holds.findById(reservationId)
      if (Option.isNone(hold) || hold.value.customerId !== actor.userId || hold.value.status !== "active") return []
      const policies = yield* policiesOf(hold.value.eventId)
      const lineTypes = lineTypesOfHold(hold.value)
      const names = attendeeNamesOf(
        lineTypes.map((t): AttendeeNamesPolicy => policies.get(t) ?? "off"),
        attendees
      )
      if (Result.isFailure(names)) return yield* invalid(names.failure)
      return names.success
    })

    /** The caller's own ticket renamed (null clears an optional name); anyone else's ticket does not exist here. */
    const rename = Effect.fn("AttendeeNames.rename")(function* (actor: Actor, ticketId: TicketId, name: string | null) {
      const notFound = () => new TicketNotFound({ message: "no such ticket" })
      const ticket = yield* orders.findTicket(ticketId).pipe(Effect.flatMap(Effect.fromOption(notFound)))
      if (ticket.customerId !== actor.userId) return yield* notFound()
      const event = yield* events.findById(ticket.eventId).pipe(Effect.flatMap(Effect.fromOption(notFound)))
      const policies = yield* policiesOf(ticket.eventId)
      const decision = decideRename({
        ticket,
        policy: policies.get(ticket.ticketTypeId) ?? "off",
        startsAt: event.startsAt,
        cutoffHours,
        now: yield* now,
        name
      })
      switch (decision._tag) {
        case "Invalid":
          return yield* invalid([{ ...decision.issue, path: ["name"] }])
        case "Refused":
          return yield* new AttendeeNameLocked({
            code: decision.code,
            message:
              decision.code === "name_cutoff_passed"
                ? `${lockedMessage.name_cutoff_passed} (${renameCutoff(event.startsAt, cutoffHours).toISOString()})`
                : lockedMessage[decision.code]
          })
        case "Rename": {
          const renamed = yield* orders.renameTicket(ticketId, actor.userId, decision.name)
          // Voided or checked in between the read and the write.
          if (Option.isNone(renamed))
            return yield* new AttendeeNameLocked({ code: "ticket_not_valid", message: lockedMessage.ticket_not_valid })
          return renamed.value
        }
      }
    })

    return { forCheckout, rename }
  })

import { Clock, Context, Effect, Exit, Layer, Option } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { canManage, canView } from "../../domain/catalog/EventAccess.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { VoidedTickets } from "../../domain/door/VoidedTickets.ts"
import { TicketCodes } from "../../domain/orders/TicketCodes.ts"
import type { EventId, TicketId } from "../../domain/shared/Ids.ts"
import { Orders } from "../orders/Orders.ts"

/** One scan a gate made offline. */
export interface OfflineScan {
  readonly code: string
  readonly scannedAt: Date
}

/** What became of one scan: it admitted the ticket, came after the one that did, or was refused. */
export interface ScanOutcome extends OfflineScan {
  readonly outcome: "admitted" | "conflict" | "refused"
  readonly ticketId: TicketId | null
  readonly firstCheckedInAt: Date | null
  readonly refusal: string | null
}

/**
 * The door beyond one scan at a time: uploads of scans a gate made offline, and the event's void list for gates
 * that validate offline. Every scan is `Orders.checkIn` (exactly once per ticket, audited), as a live scan is.
 */
export class Door extends Context.Service<Door>()("goticket/Door", {
  make: Effect.gen(function* () {
    const orders = yield* Orders
    const events = yield* EventRepository
    const voided = yield* VoidedTickets
    const codes = yield* TicketCodes

    /** The event, if the actor may scan for it (its organizer, its staff, an admin). */
    const scannable = (actor: Actor, eventId: EventId) =>
      Effect.gen(function* () {
        const event = yield* events.findById(eventId)
        if (Option.isNone(event) || !canView(actor, event.value))
          return yield* new EventNotFound({ message: "no such event" })
        if (!canManage(actor, event.value) && !(yield* events.isStaff(eventId, actor.userId)))
          return yield* new Forbidden({ message: "only the event's staff and organizer may check tickets in" })
        return event.value
      })

    /**
     * Applies a gate's offline scans in the order they were made: the first scan of a ticket to reach the server
     * admits it; any later one, in this upload or recorded before, is a conflict naming when it was admitted.
     * Answers in the order of the upload.
     */
    const uploadScans = Effect.fn("Door.uploadScans")(function* (
      actor: Actor,
      eventId: EventId,
      scans: ReadonlyArray<OfflineScan>
    ) {
      yield* scannable(actor, eventId)
      const order = scans.map((scan, index) => ({ scan, index }))
      order.sort((a, b) => a.scan.scannedAt.getTime() - b.scan.scannedAt.getTime() || a.index - b.index)
      const outcomes = new Array<ScanOutcome>(scans.length)
      for (const { scan, index } of order) {
        const exit = yield* Effect.exit(orders.checkIn(actor, eventId, scan.code))
        if (Exit.isSuccess(exit)) {
          outcomes[index] = {
            ...scan,
            outcome: "admitted",
            ticketId: exit.value.id,
            firstCheckedInAt: null,
            refusal: null
          }
          continue
        }
        const failure = Option.getOrUndefined(Exit.findErrorOption(exit))
        if (failure?._tag === "AlreadyCheckedIn") {
          const named = yield* codes.verify(scan.code)
          outcomes[index] = {
            ...scan,
            outcome: "conflict",
            ticketId: Option.match(named, { onNone: () => null, onSome: (n) => n.ticketId }),
            firstCheckedInAt: failure.firstCheckedInAt,
            refusal: null
          }
        } else if (failure?._tag === "CheckInRefused") {
          outcomes[index] = {
            ...scan,
            outcome: "refused",
            ticketId: null,
            firstCheckedInAt: null,
            refusal: failure.code
          }
        } else return yield* Effect.failCause(exit.cause)
      }
      return outcomes
    })

    /** The codes of the event's voided tickets, signed as printed: a gate offline refuses them. */
    const voidedCodes = Effect.fn("Door.voidedCodes")(function* (actor: Actor, eventId: EventId) {
      yield* scannable(actor, eventId)
      const at = new Date(yield* Clock.currentTimeMillis)
      const ids = yield* voided.ofEvent(eventId)
      const signed = yield* Effect.forEach(ids, (id) => codes.sign(id, eventId))
      return { eventId, at, codes: signed }
    })

    return { uploadScans, voidedCodes } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

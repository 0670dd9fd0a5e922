import { Context, Effect, Layer, Option } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { TicketTypeNotFound } from "../../domain/catalog/errors.ts"
import type { EventId, TicketTypeId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { notOnWaitingList, waitingListClosed, waitingListNotSoldOut } from "../../domain/waitinglist/errors.ts"
import type { WaitingListEntryId } from "../../domain/waitinglist/WaitingList.ts"
import { WaitingListRepository } from "../../domain/waitinglist/WaitingListRepository.ts"
import { checkJoin } from "../../domain/waitinglist/WaitingListRules.ts"
import { Catalog } from "../catalog/Catalog.ts"
import { WaitingListConfig } from "./WaitingListConfig.ts"

const noSuchType = (ticketTypeId: string) =>
  new TicketTypeNotFound({ message: `No ticket type ${ticketTypeId} in this event` })

/**
 * The waiting lists of sold-out ticket types: customers join, see their place and leave; organizers see how many
 * wait and switch a list off or on. Offers are made by the repository when units come back.
 */
export class WaitingLists extends Context.Service<WaitingLists>()("goticket/WaitingLists", {
  make: Effect.gen(function* () {
    const catalog = yield* Catalog
    const repository = yield* WaitingListRepository
    const config = yield* WaitingListConfig

    /** The ticket type of an event the customer may see. */
    const typeOf = Effect.fnUntraced(function* (actor: Actor, eventId: EventId, ticketTypeId: TicketTypeId) {
      const { ticketTypes } = yield* catalog.details(Option.some(actor), eventId)
      const type = ticketTypes.find((t) => t.id === ticketTypeId)
      if (type === undefined) return yield* noSuchType(ticketTypeId)
      return type
    })

    const standingOf = Effect.fnUntraced(function* (actor: Actor, ticketTypeId: TicketTypeId) {
      const standing = yield* repository.standing(actor.userId, ticketTypeId)
      if (Option.isNone(standing)) return yield* notOnWaitingList()
      return standing.value
    })

    const join = Effect.fn("WaitingLists.join")(function* (actor: Actor, eventId: EventId, ticketTypeId: TicketTypeId) {
      const type = yield* typeOf(actor, eventId, ticketTypeId)
      const open = yield* repository.isOpen(ticketTypeId)
      // The rules first, on what the catalog shows; the repository decides again atomically.
      const already = yield* repository.standing(actor.userId, ticketTypeId)
      if (Option.isNone(already))
        yield* Effect.fromResult(
          checkJoin(
            type,
            Option.getOrElse(open, () => false)
          )
        )
      const outcome = yield* repository.join(
        crypto.randomUUID() as WaitingListEntryId,
        actor.userId,
        ticketTypeId,
        config.offerHours,
        yield* now
      )
      switch (outcome._tag) {
        case "NotFound":
          return yield* noSuchType(ticketTypeId)
        case "Closed":
          return yield* waitingListClosed()
        case "NotSoldOut":
          return yield* waitingListNotSoldOut(type.available)
        default:
          return { joined: outcome._tag === "Joined", standing: yield* standingOf(actor, ticketTypeId) }
      }
    })

    const standing = Effect.fn("WaitingLists.standing")(function* (
      actor: Actor,
      eventId: EventId,
      ticketTypeId: TicketTypeId
    ) {
      yield* typeOf(actor, eventId, ticketTypeId)
      return yield* standingOf(actor, ticketTypeId)
    })

    const leave = Effect.fn("WaitingLists.leave")(function* (
      actor: Actor,
      eventId: EventId,
      ticketTypeId: TicketTypeId
    ) {
      yield* typeOf(actor, eventId, ticketTypeId)
      if (!(yield* repository.leave(actor.userId, ticketTypeId, yield* now))) return yield* notOnWaitingList()
    })

    /** Per general-admission ticket type of a managed event: whether its list is open and how many wait. */
    const summary = Effect.fn("WaitingLists.summary")(function* (actor: Actor, eventId: EventId) {
      const { ticketTypes } = yield* catalog.managed(actor, eventId)
      return yield* Effect.forEach(
        ticketTypes.filter((t) => !t.seated),
        (t) =>
          Effect.zipWith(repository.length(t.id), repository.isOpen(t.id), (waiting, open) => ({
            ticketTypeId: t.id,
            name: t.name,
            open: Option.getOrElse(open, () => false),
            waiting,
            withheld: t.withheld
          }))
      )
    })

    const setOpen = Effect.fn("WaitingLists.setOpen")(function* (
      actor: Actor,
      eventId: EventId,
      ticketTypeId: TicketTypeId,
      open: boolean
    ) {
      const { ticketTypes } = yield* catalog.managed(actor, eventId)
      const type = ticketTypes.find((t) => t.id === ticketTypeId && !t.seated)
      if (type === undefined || !(yield* repository.setOpen(ticketTypeId, open))) return yield* noSuchType(ticketTypeId)
      if (open) yield* repository.offerFreeUnits(ticketTypeId, yield* now)
      const all = yield* summary(actor, eventId)
      return (
        all.find((s) => s.ticketTypeId === ticketTypeId) ?? {
          ticketTypeId,
          name: type.name,
          open,
          waiting: 0,
          withheld: 0
        }
      )
    })

    /** One pass of the expiry job's waiting-list step: offers not used in time pass on, in batches. */
    const expireOffers = Effect.fn("WaitingLists.expireOffers")(function* (batch: number) {
      let total = 0
      for (;;) {
        const given = yield* repository.expireOffers(yield* now, batch)
        total += given
        if (given < batch) return total
      }
    })

    return { join, standing, leave, summary, setOpen, expireOffers } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

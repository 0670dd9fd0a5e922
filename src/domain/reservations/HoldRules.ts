import { Result } from "effect"
import type { Event } from "../catalog/Event.ts"
import { endOf } from "../catalog/EventRules.ts"
import type { TicketType } from "../catalog/TicketType.ts"
import type { Currency } from "../shared/Money.ts"
import { type HoldRefused, invalidHold, LimitExceeded, notOnSale, salesClosed } from "./errors.ts"
import type { HoldRequest } from "./HoldRequest.ts"

/** A hold request that passed every rule that can be checked before touching inventory. */
export type PlannedHold =
  | {
      readonly _tag: "GeneralAdmission"
      readonly items: ReadonlyArray<{ readonly ticketTypeId: string; readonly quantity: number }>
      readonly tickets: number
      readonly totalMinor: number
      readonly currency: Currency
    }
  | { readonly _tag: "ChosenSeats"; readonly seatIds: ReadonlyArray<string> }
  | {
      readonly _tag: "BestAvailable"
      readonly ticketType: TicketType
      readonly quantity: number
      readonly sectionId: string | undefined
      readonly allowSeparated: boolean
    }

const fail = (e: HoldRefused) => Result.fail(e)

/** On sale means: published, not over, and inside the sales window (which closes at the event's end by default). */
export const checkOnSale = (event: Event, now: Date): Result.Result<void, HoldRefused> => {
  if (event.status !== "published" || endOf(event).getTime() <= now.getTime()) return fail(notOnSale())
  if (event.salesStartAt !== null && now.getTime() < event.salesStartAt.getTime())
    return fail(salesClosed(`sales open at ${event.salesStartAt.toISOString()}`))
  const close = event.salesEndAt ?? endOf(event)
  if (now.getTime() >= close.getTime()) return fail(salesClosed("sales for this event have closed"))
  return Result.succeed(undefined)
}

const maxPerOrder = (t: TicketType) =>
  new LimitExceeded({
    code: "max_per_order_exceeded",
    limit: t.maxPerOrder,
    message: `at most ${t.maxPerOrder} "${t.name}" tickets per order`
  })

export const customerLimitExceeded = (limit: number) =>
  new LimitExceeded({
    code: "customer_limit_exceeded",
    limit,
    message: `at most ${limit} tickets per customer for this event`
  })

/** Checks a hold request against the event and its ticket types, and prices general admission. */
export const planHold = (
  event: Event,
  ticketTypes: ReadonlyArray<TicketType>,
  request: HoldRequest,
  customerLimit: number,
  now: Date
): Result.Result<PlannedHold, HoldRefused> => {
  const onSale = checkOnSale(event, now)
  if (Result.isFailure(onSale)) return Result.fail(onSale.failure)
  const byId = new Map(ticketTypes.map((t) => [t.id as string, t]))

  if ("items" in request) {
    const seen = new Set<string>()
    let tickets = 0
    let totalMinor = 0
    for (const item of request.items) {
      const type = byId.get(item.ticketTypeId)
      if (!type) return fail(invalidHold(`ticket type ${item.ticketTypeId} does not belong to this event`))
      if (type.seated) return fail(invalidHold(`"${type.name}" is seated: choose seats or ask for bestAvailable`))
      if (seen.has(type.id)) return fail(invalidHold(`ticket type ${type.id} appears twice; give one quantity`))
      seen.add(type.id)
      if (item.quantity > type.maxPerOrder) return fail(maxPerOrder(type))
      tickets += item.quantity
      totalMinor += item.quantity * type.priceMinor
    }
    if (tickets > customerLimit) return fail(customerLimitExceeded(customerLimit))
    const currency = (ticketTypes[0] as TicketType).currency
    return Result.succeed({ _tag: "GeneralAdmission", items: request.items, tickets, totalMinor, currency })
  }

  if ("seats" in request) {
    if (new Set(request.seats).size !== request.seats.length) return fail(invalidHold("a seat appears twice"))
    if (request.seats.length > customerLimit) return fail(customerLimitExceeded(customerLimit))
    return Result.succeed({ _tag: "ChosenSeats", seatIds: request.seats })
  }

  const wanted = request.bestAvailable
  const type = byId.get(wanted.ticketTypeId)
  if (!type) return fail(invalidHold(`ticket type ${wanted.ticketTypeId} does not belong to this event`))
  if (!type.seated) return fail(invalidHold(`"${type.name}" is general admission: ask for items instead`))
  if (wanted.quantity > type.maxPerOrder) return fail(maxPerOrder(type))
  if (wanted.quantity > customerLimit) return fail(customerLimitExceeded(customerLimit))
  return Result.succeed({
    _tag: "BestAvailable",
    ticketType: type,
    quantity: wanted.quantity,
    sectionId: wanted.sectionId,
    allowSeparated: wanted.allowSeparated ?? false
  })
}

/** Chosen seats may mix ticket types; each type's maxPerOrder still applies to its share. */
export const checkSeatsPerType = (
  ticketTypes: ReadonlyArray<TicketType>,
  seatTypes: ReadonlyArray<string>
): Result.Result<void, HoldRefused> => {
  const counts = new Map<string, number>()
  for (const t of seatTypes) counts.set(t, (counts.get(t) ?? 0) + 1)
  for (const type of ticketTypes) if ((counts.get(type.id) ?? 0) > type.maxPerOrder) return fail(maxPerOrder(type))
  return Result.succeed(undefined)
}

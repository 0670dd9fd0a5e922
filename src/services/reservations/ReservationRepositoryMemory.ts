import { Effect, Layer, Option, Ref, Result } from "effect"
import { Seat } from "../../domain/catalog/Seating.ts"
import { TicketType } from "../../domain/catalog/TicketType.ts"
import { byVenuePosition } from "../../domain/catalog/VenueOrder.ts"
import type { SeatCandidate } from "../../domain/reservations/BestAvailable.ts"
import { notOnSale, salesClosed, seatUnavailable, soldOut } from "../../domain/reservations/errors.ts"
import { endsNow, givenBack, isDue } from "../../domain/reservations/HoldEnding.ts"
import { checkOnSale, customerLimitExceeded } from "../../domain/reservations/HoldRules.ts"
import { Reservation } from "../../domain/reservations/Reservation.ts"
import {
  type EndedHold,
  type LiveKey,
  type PlaceHold,
  type PlaceOutcome,
  ReservationRepository
} from "../../domain/reservations/ReservationRepository.ts"
import type { TicketTypeId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { holdEndGivesBack } from "../../domain/vouchers/RedemptionReturn.ts"
import { MemoryStore, MemoryStoreLive, type MemoryTables } from "../memory/MemoryStore.ts"
import { giveBackIn } from "../vouchers/RedemptionsMemory.ts"
import { drawsBackIn } from "../vouchers/WithheldDrawsMemory.ts"

type Step = readonly [PlaceOutcome, MemoryTables]

/** Entities rebuilt from entities already valid (a changed count or status): their schema checks are skipped. */
const trusted = { disableChecks: true } as const

/** What place_hold does in PostgreSQL, as one atomic step over the in-memory tables. */
export const placeIn = (s: MemoryTables, hold: PlaceHold, now: Date): Step => {
  const refuse = (reason: Extract<PlaceOutcome, { _tag: "Refused" }>["reason"]): Step => [
    { _tag: "Refused", reason },
    s
  ]
  const keyId = hold.idempotency ? `${hold.customerId}:reservation:${hold.idempotency.key}` : undefined
  const existingKey = keyId ? s.idempotencyKeys.get(keyId) : undefined
  if (existingKey && existingKey.expiresAt.getTime() > now.getTime())
    return existingKey.requestHash === hold.idempotency?.requestHash
      ? [{ _tag: "Replayed", reservation: s.reservations.get(existingKey.resourceId) as Reservation }, s]
      : [{ _tag: "KeyReused" }, s]

  // HoldRules.checkOnSale, refused with the reasons place_hold gives (ReservationRepositoryPg).
  const event = s.events.get(hold.eventId)
  if (!event) return refuse(notOnSale())
  const onSale = checkOnSale(event, now)
  if (Result.isFailure(onSale)) return refuse(onSale.failure._tag === "SalesClosed" ? salesClosed() : notOnSale())

  const counterKey = `${hold.customerId}:${hold.eventId}`
  const counted = s.customerTickets.get(counterKey) ?? 0
  const requested = hold.seatIds ? hold.seatIds.length : (hold.items ?? []).reduce((n, i) => n + i.quantity, 0)
  if (counted + requested > hold.customerLimit) return refuse(customerLimitExceeded(hold.customerLimit))

  const ticketTypes = new Map(s.ticketTypes)
  let seats = s.seats
  const seatHolders = new Map(s.seatHolders)
  const items: Array<{ ticketTypeId: TicketTypeId; quantity: number; unitPriceMinor: number }> = []
  const reserved: Array<Reservation["seats"][number]> = []

  if (!hold.seatIds) {
    for (const item of [...(hold.items ?? [])].sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1))) {
      const type = ticketTypes.get(item.ticketTypeId)
      if (!type || type.eventId !== hold.eventId || type.seated || type.available < item.quantity)
        return refuse(soldOut(item.ticketTypeId))
      ticketTypes.set(type.id, new TicketType({ ...type, held: type.held + item.quantity }, trusted))
      items.push({ ticketTypeId: type.id, quantity: item.quantity, unitPriceMinor: type.priceMinor })
    }
  } else {
    const eventSeats = s.seats.get(hold.eventId) ?? []
    const wanted = new Set(hold.seatIds)
    const sections = new Map((s.sections.get(hold.eventId) ?? []).map((c) => [c.id as string, c]))
    // In venue order (section, row, seat), as PostgreSQL lists a reservation's seats; the store keeps them as given.
    const taking = eventSeats
      .filter((seat) => wanted.has(seat.id) && seat.status === "available")
      .sort((a, b) =>
        byVenuePosition(
          { section: sections.get(a.sectionId)?.position ?? 0, row: a.rowPosition, seat: a.position },
          { section: sections.get(b.sectionId)?.position ?? 0, row: b.rowPosition, seat: b.position }
        )
      )
    if (taking.length < wanted.size) return refuse(seatUnavailable())
    for (const seat of taking) {
      const type = ticketTypes.get(seat.ticketTypeId) as TicketType
      ticketTypes.set(type.id, new TicketType({ ...type, held: type.held + 1 }, trusted))
      seatHolders.set(seat.id, hold.reservationId)
      reserved.push({
        seatId: seat.id,
        ticketTypeId: seat.ticketTypeId,
        unitPriceMinor: type.priceMinor,
        section: sections.get(seat.sectionId)?.name ?? "",
        row: seat.row,
        label: seat.label
      })
    }
    seats = new Map(s.seats).set(
      hold.eventId,
      eventSeats.map((seat) => (wanted.has(seat.id) ? new Seat({ ...seat, status: "held" }, trusted) : seat))
    )
  }

  const anyType = [...ticketTypes.values()].find((t) => t.eventId === hold.eventId) as TicketType
  const reservation = new Reservation(
    {
      id: hold.reservationId,
      customerId: hold.customerId,
      eventId: hold.eventId,
      status: "active",
      tickets: requested,
      totalMinor:
        items.reduce((n, i) => n + i.quantity * i.unitPriceMinor, 0) +
        reserved.reduce((n, r) => n + r.unitPriceMinor, 0),
      currency: anyType.currency,
      expiresAt: hold.expiresAt,
      createdAt: now,
      endedAt: null,
      items: items.sort((a, b) => (a.ticketTypeId < b.ticketTypeId ? -1 : 1)),
      seats: reserved
    },
    trusted
  )
  return [
    { _tag: "Held", reservation },
    {
      ...s,
      ticketTypes,
      seats,
      seatHolders,
      reservations: new Map(s.reservations).set(reservation.id, reservation),
      customerTickets: new Map(s.customerTickets).set(counterKey, counted + requested),
      idempotencyKeys:
        keyId && hold.idempotency
          ? new Map(s.idempotencyKeys).set(keyId, {
              requestHash: hold.idempotency.requestHash,
              resourceId: hold.reservationId,
              expiresAt: hold.idempotency.expiresAt
            })
          : s.idempotencyKeys
    }
  ]
}

/**
 * What end_holds does: ends the active ones among `ids` (HoldEnding.endsNow) and gives back what they held, and
 * their voucher redemptions (RedemptionReturn.holdEndGivesBack; the trigger of 0020_vouchers.sql) and the units they
 * drew from a voucher's withheld pool, back to that pool (WithheldDraws; end_holds of 0027).
 */
export const endIn = (
  s: MemoryTables,
  ids: ReadonlyArray<string>,
  status: "released" | "expired",
  now: Date,
  customerId?: string
): readonly [ReadonlyArray<EndedHold>, MemoryTables] => {
  const ending = ids
    .map((id) => s.reservations.get(id))
    .filter((r): r is Reservation => r !== undefined && endsNow(r, customerId))
  if (ending.length === 0) return [[], s]
  const reservations = new Map(s.reservations)
  const ticketTypes = new Map(s.ticketTypes)
  const seats = new Map(s.seats)
  const seatHolders = new Map(s.seatHolders)
  const customerTickets = new Map(s.customerTickets)
  const ended: Array<EndedHold> = []
  const redemptionsBack: Array<string> = []
  for (const r of ending) {
    if (holdEndGivesBack(r.status, status)) redemptionsBack.push(r.id)
    reservations.set(r.id, new Reservation({ ...r, status, endedAt: now }, trusted))
    const back = givenBack(r)
    for (const [typeId, n] of back.units) {
      const type = ticketTypes.get(typeId) as TicketType
      ticketTypes.set(typeId, new TicketType({ ...type, held: type.held - n }, trusted))
    }
    if (back.seatIds.length > 0) {
      const freed = new Set(back.seatIds)
      for (const id of freed) seatHolders.delete(id)
      seats.set(
        r.eventId,
        (seats.get(r.eventId) ?? []).map((seat) =>
          freed.has(seat.id) ? new Seat({ ...seat, status: "available" }, trusted) : seat
        )
      )
    }
    const key = `${r.customerId}:${r.eventId}`
    customerTickets.set(key, (customerTickets.get(key) ?? 0) - back.tickets)
    ended.push({ id: r.id, eventId: r.eventId, ticketTypeIds: back.units.map(([t]) => t) })
  }
  const [, next] = giveBackIn({ ...s, reservations, ticketTypes, seats, seatHolders, customerTickets }, redemptionsBack)
  return [ended, drawsBackIn(next, redemptionsBack)]
}

/** The order of `liveKeys`: by customer, then key. */
const compareKeys = (a: LiveKey, b: LiveKey) =>
  a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0

/** The in-memory twin of ReservationRepositoryPg, over the shared MemoryStore. */
export const ReservationRepositoryMemory = Layer.effect(
  ReservationRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    return ReservationRepository.of({
      place: (hold) => Effect.flatMap(now, (at) => Ref.modify(store, (s) => placeIn(s, hold, at))),
      findById: (id) => Effect.map(Ref.get(store), (s) => Option.fromNullishOr(s.reservations.get(id))),
      discount: (id, amountMinor) =>
        Ref.modify(store, (s): [Option.Option<Reservation>, MemoryTables] => {
          const held = s.reservations.get(id)
          if (held === undefined || held.status !== "active") return [Option.none(), s]
          const reservation = new Reservation(
            { ...held, totalMinor: held.totalMinor - Math.min(Math.max(0, amountMinor), held.totalMinor) },
            trusted
          )
          return [Option.some(reservation), { ...s, reservations: new Map(s.reservations).set(id, reservation) }]
        }),
      end: (ids, status, customerId) =>
        Effect.flatMap(now, (at) => Ref.modify(store, (s) => endIn(s, ids, status, at, customerId))),
      expireDue: (at, limit) =>
        Ref.modify(store, (s) => {
          const due = [...s.reservations.values()]
            .filter((r) => isDue(r, at))
            .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
            .slice(0, limit)
          const [ended, next] = endIn(
            s,
            due.map((r) => r.id),
            "expired",
            at
          )
          const maxLagMs = due.reduce((max, r) => Math.max(max, at.getTime() - r.expiresAt.getTime()), 0)
          return [{ ended, maxLagMs }, next] as const
        }),
      hasLiveKey: (customerId, key) =>
        Effect.zipWith(Ref.get(store), now, (s, at) => {
          const found = s.idempotencyKeys.get(`${customerId}:reservation:${key}`)
          return found !== undefined && found.expiresAt.getTime() > at.getTime()
        }),
      liveKeys: (after, limit) =>
        Effect.zipWith(Ref.get(store), now, (s, at) => {
          const live: Array<LiveKey> = []
          for (const [id, found] of s.idempotencyKeys) {
            // `${customerId}:${scope}:${key}`: the customer id is a UUID, the key may hold colons.
            const first = id.indexOf(":")
            const second = id.indexOf(":", first + 1)
            if (id.slice(first + 1, second) !== "reservation" || found.expiresAt.getTime() <= at.getTime()) continue
            const entry = { customerId: id.slice(0, first), key: id.slice(second + 1), expiresAt: found.expiresAt }
            if (after === undefined || compareKeys(entry, after) > 0) live.push(entry)
          }
          return live.sort(compareKeys).slice(0, limit)
        }),
      purgeExpiredKeys: (at, limit) =>
        Ref.modify(store, (s) => {
          const expired = [...s.idempotencyKeys]
            .filter(([, k]) => k.expiresAt.getTime() <= at.getTime())
            .slice(0, limit)
          if (expired.length === 0) return [0, s] as const
          const idempotencyKeys = new Map(s.idempotencyKeys)
          for (const [id] of expired) idempotencyKeys.delete(id)
          return [expired.length, { ...s, idempotencyKeys }] as const
        }),
      availableSeats: (eventId, ticketTypeId, sectionId, limit) =>
        Effect.map(Ref.get(store), (s) => {
          const sections = new Map((s.sections.get(eventId) ?? []).map((c) => [c.id as string, c.position]))
          const all = s.seats.get(eventId) ?? []
          const rowSizes = new Map<string, number>()
          for (const seat of all) {
            const key = `${seat.sectionId}:${seat.rowPosition}`
            rowSizes.set(key, (rowSizes.get(key) ?? 0) + 1)
          }
          return all
            .filter(
              (seat) =>
                seat.status === "available" &&
                seat.ticketTypeId === ticketTypeId &&
                (sectionId === undefined || seat.sectionId === sectionId)
            )
            .map(
              (seat): SeatCandidate => ({
                id: seat.id,
                sectionPosition: sections.get(seat.sectionId) ?? 0,
                rowPosition: seat.rowPosition,
                position: seat.position,
                rowSize: rowSizes.get(`${seat.sectionId}:${seat.rowPosition}`) ?? 0
              })
            )
            .sort((a, b) =>
              byVenuePosition(
                { section: a.sectionPosition, row: a.rowPosition, seat: a.position },
                { section: b.sectionPosition, row: b.rowPosition, seat: b.position }
              )
            )
            .slice(0, limit)
        }),
      seatTypes: (eventId, seatIds) =>
        Effect.map(Ref.get(store), (s) => {
          const wanted = new Set(seatIds)
          return (s.seats.get(eventId) ?? [])
            .filter((seat) => wanted.has(seat.id))
            .map((seat) => ({ seatId: seat.id as string, ticketTypeId: seat.ticketTypeId as string }))
        })
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

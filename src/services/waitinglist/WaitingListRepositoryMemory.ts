import { Effect, Layer, Option, Ref } from "effect"
import type { TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import { Voucher, type VoucherId } from "../../domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { poolDue } from "../../domain/vouchers/WithheldDraws.ts"
import { WaitingListEntry } from "../../domain/waitinglist/WaitingList.ts"
import { type JoinOutcome, WaitingListRepository } from "../../domain/waitinglist/WaitingListRepository.ts"
import { checkJoin, offerExpiry, offerOpen, offersFor } from "../../domain/waitinglist/WaitingListRules.ts"
import { MemoryStore, MemoryStoreLive } from "../memory/MemoryStore.ts"
import { generateCodes } from "../vouchers/Vouchers.ts"
import { poolGivenUpIn } from "../vouchers/WithheldDrawsMemory.ts"

interface Lists {
  readonly entries: ReadonlyMap<string, WaitingListEntry & { readonly voucherId: string | null }>
  readonly next: number
  /** Ticket types whose list the organizer switched off. */
  readonly closed: ReadonlySet<string>
}

type Stored = WaitingListEntry & { readonly voucherId: string | null }
const trusted = { disableChecks: true } as const
const live = (e: Stored) => e.status === "waiting" || e.status === "offered"
const withVoucher = (entry: WaitingListEntry, voucherId: string | null): Stored =>
  Object.assign(entry, { voucherId }) as Stored

/**
 * The in-memory twin of WaitingListRepositoryPg, over the shared MemoryStore (ticket types) and the voucher port
 * (offers are vouchers). Memory adapters do not react to units coming back by themselves: offers are made when
 * offerFreeUnits is called (PostgreSQL makes them in the freeing transaction), by the same rule (offersFor).
 */
export const WaitingListRepositoryMemory = Layer.effect(
  WaitingListRepository,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    const vouchers = yield* VoucherRepository
    const lists = yield* Ref.make<Lists>({ entries: new Map(), next: 1, closed: new Set() })

    const liveEntry = (l: Lists, customerId: string, typeId: string) =>
      [...l.entries.values()].find((e) => e.customerId === customerId && e.ticketTypeId === typeId && live(e))

    const offerFreeUnits = (ticketTypeId: TicketTypeId, at: Date): Effect.Effect<number> =>
      Effect.gen(function* () {
        const s = yield* Ref.get(store)
        const l = yield* Ref.get(lists)
        const type = s.ticketTypes.get(ticketTypeId)
        const event = type === undefined ? undefined : s.events.get(type.eventId)
        if (type === undefined || event === undefined || type.seated || l.closed.has(ticketTypeId)) return 0
        const chosen = offersFor(
          [...l.entries.values()].filter((e) => e.ticketTypeId === ticketTypeId),
          type.available
        )
        if (chosen.length === 0) return 0
        const codes = generateCodes(chosen.length)
        const offers = chosen.map(
          (entry, i) =>
            new Voucher(
              {
                id: crypto.randomUUID() as VoucherId,
                eventId: type.eventId,
                code: codes[i] as string,
                kind: "fixed",
                value: 0,
                ticketTypeIds: [type.id],
                validFrom: null,
                validUntil: offerExpiry(at, entry.offerHours),
                maxRedemptions: 1,
                redeemed: 0,
                createdBy: event.organizerId,
                createdAt: at,
                reservedUnits: 1,
                reservedLeft: 1,
                accountId: entry.customerId
              },
              trusted
            )
        )
        // Storing the offers withholds their units (one each), if they are still free.
        if (!(yield* vouchers.insertAll(offers))) return 0
        yield* Ref.update(lists, (current) => {
          const entries = new Map(current.entries)
          chosen.forEach((entry, i) => {
            const offer = offers[i] as Voucher
            entries.set(
              entry.id,
              withVoucher(
                new WaitingListEntry(
                  {
                    ...entry,
                    status: "offered",
                    offerCode: offer.code,
                    offeredAt: at,
                    offerExpiresAt: offer.validUntil
                  },
                  trusted
                ),
                offer.id
              )
            )
          })
          return { ...current, entries }
        })
        return chosen.length
      })

    /** A live entry leaves; an open offer's unit still in its pool is withheld no more (leave_waiting_list). */
    const leaves = (entry: Stored) =>
      Effect.gen(function* () {
        yield* Ref.update(lists, (l) => ({
          ...l,
          entries: new Map(l.entries).set(
            entry.id,
            withVoucher(new WaitingListEntry({ ...entry, status: "left" }, trusted), entry.voucherId)
          )
        }))
        // The offer's pool is given up: a unit still in it is withheld no more (one in a hold or order stays there).
        if (entry.status === "offered" && entry.voucherId !== null) {
          const voucherId = entry.voucherId
          yield* Ref.update(store, (s) => poolGivenUpIn(s, voucherId))
        }
      })

    return WaitingListRepository.of({
      join: (entryId, customerId, ticketTypeId, offerHours, at) =>
        Effect.gen(function* () {
          const s = yield* Ref.get(store)
          const type = s.ticketTypes.get(ticketTypeId)
          const event = type === undefined ? undefined : s.events.get(type.eventId)
          if (type === undefined || event === undefined || event.status !== "published" || type.seated)
            return { _tag: "NotFound" } satisfies JoinOutcome
          return yield* Ref.modify(lists, (l): [JoinOutcome, Lists] => {
            const existing = liveEntry(l, customerId, ticketTypeId)
            if (existing !== undefined) return [{ _tag: "Already", entryId: existing.id }, l]
            const checked = checkJoin(type, !l.closed.has(ticketTypeId))
            if (checked._tag === "Failure")
              return [{ _tag: checked.failure._tag === "WaitingListClosed" ? "Closed" : "NotSoldOut" }, l]
            const entry = new WaitingListEntry(
              {
                id: entryId,
                eventId: type.eventId,
                ticketTypeId,
                customerId,
                position: l.next,
                status: "waiting",
                offerHours,
                joinedAt: at,
                offerCode: null,
                offeredAt: null,
                offerExpiresAt: null
              },
              trusted
            )
            return [
              { _tag: "Joined", entryId },
              { ...l, next: l.next + 1, entries: new Map(l.entries).set(entryId, withVoucher(entry, null)) }
            ]
          })
        }),
      leave: (customerId, ticketTypeId, at) =>
        Effect.gen(function* () {
          const entry = liveEntry(yield* Ref.get(lists), customerId, ticketTypeId)
          if (entry === undefined) return false
          yield* leaves(entry)
          yield* offerFreeUnits(ticketTypeId, at)
          return true
        }),
      standing: (customerId: UserId, ticketTypeId: TicketTypeId) =>
        Effect.map(Ref.get(lists), (l) => {
          const entry = liveEntry(l, customerId, ticketTypeId)
          if (entry === undefined) return Option.none()
          const waiting = [...l.entries.values()].filter(
            (e) => e.ticketTypeId === ticketTypeId && e.status === "waiting"
          )
          return Option.some({
            entryId: entry.id,
            status: entry.status as "waiting" | "offered",
            position: entry.status === "waiting" ? waiting.filter((e) => e.position <= entry.position).length : 0,
            waiting: waiting.length,
            offerExpiresAt: entry.offerExpiresAt
          })
        }),
      length: (ticketTypeId) =>
        Effect.map(
          Ref.get(lists),
          (l) => [...l.entries.values()].filter((e) => e.ticketTypeId === ticketTypeId && e.status === "waiting").length
        ),
      entries: (ticketTypeId) =>
        Effect.map(Ref.get(lists), (l) =>
          [...l.entries.values()]
            .filter((e) => e.ticketTypeId === ticketTypeId)
            .sort((a, b) => a.position - b.position)
            .map(({ voucherId: _, ...e }) => new WaitingListEntry(e, trusted))
        ),
      setOpen: (ticketTypeId, open) =>
        Effect.gen(function* () {
          const type = (yield* Ref.get(store)).ticketTypes.get(ticketTypeId)
          if (type === undefined || type.seated) return false
          yield* Ref.update(lists, (l) => {
            const closed = new Set(l.closed)
            if (open) closed.delete(ticketTypeId)
            else closed.add(ticketTypeId)
            return { ...l, closed }
          })
          return true
        }),
      isOpen: (ticketTypeId) =>
        Effect.gen(function* () {
          const type = (yield* Ref.get(store)).ticketTypes.get(ticketTypeId)
          if (type === undefined) return Option.none()
          return Option.some(!(yield* Ref.get(lists)).closed.has(ticketTypeId))
        }),
      offerFreeUnits,
      expireOffers: (at, limit) =>
        Effect.gen(function* () {
          // As expire_withheld: first the pools past their voucher's validity (WithheldDraws.poolDue) are given up,
          // in voucher id order, up to `limit`; their units are withheld no more.
          const [given, gaveUp] = yield* Ref.modify(store, (s) => {
            const due = [...s.vouchers.values()]
              .filter((v) => poolDue(v, at))
              .sort((a, b) => (a.id < b.id ? -1 : 1))
              .slice(0, limit)
            const units = due.reduce((n, v) => n + v.reservedLeft, 0)
            const next = due.reduce((t, v) => poolGivenUpIn(t, v.id), s)
            return [[units, due], next] as const
          })
          // Then the offers past their time end: lapsed when their pool was just given up, used when their unit is
          // in a hold or an order (their pool empty); one whose pool is left for a later step stays offered.
          const vouchersNow = (yield* Ref.get(store)).vouchers
          const givenUp = new Set<string>(gaveUp.map((v) => v.id))
          const ended: Array<readonly [Stored, "lapsed" | "used"]> = []
          for (const e of (yield* Ref.get(lists)).entries.values()) {
            if (e.status !== "offered" || offerOpen(e.offerExpiresAt, at) || e.voucherId === null) continue
            if (givenUp.has(e.voucherId)) ended.push([e, "lapsed"])
            else if (vouchersNow.get(e.voucherId)?.reservedLeft === 0) ended.push([e, "used"])
          }
          yield* Ref.update(lists, (l) => {
            const entries = new Map(l.entries)
            for (const [e, status] of ended)
              entries.set(e.id, withVoucher(new WaitingListEntry({ ...e, status }, trusted), e.voucherId))
            return { ...l, entries }
          })
          const types = new Set([
            ...gaveUp.map((v) => v.ticketTypeIds[0] as string),
            ...ended.map(([e]) => e.ticketTypeId as string)
          ])
          for (const typeId of types) yield* offerFreeUnits(typeId as TicketTypeId, at)
          return given
        })
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

import { createHash } from "node:crypto"
import { Context, Effect, Layer, Option, Result } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { canView } from "../../domain/catalog/EventAccess.ts"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { chooseSeats, type SeatCandidate } from "../../domain/reservations/BestAvailable.ts"
import {
  type HoldRefused,
  IdempotencyKeyReused,
  ReservationNotFound,
  seatUnavailable,
  soldOut
} from "../../domain/reservations/errors.ts"
import type { HoldRequest } from "../../domain/reservations/HoldRequest.ts"
import { checkSeatsPerType, type PlannedHold, planHold } from "../../domain/reservations/HoldRules.ts"
import { InventoryCache } from "../../domain/reservations/InventoryCache.ts"
import type { Reservation } from "../../domain/reservations/Reservation.ts"
import {
  type EndedHold,
  type PlaceHold,
  type PlaceOutcome,
  ReservationRepository
} from "../../domain/reservations/ReservationRepository.ts"
import type { ReservationId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { WithheldHolds } from "../../domain/vouchers/WithheldHolds.ts"
import { ReservationConfig } from "../config/ReservationConfig.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import { makeVoucherHolds } from "../vouchers/VoucherHolds.ts"
import { type CatalogSnapshot, CatalogSnapshots } from "./CatalogSnapshots.ts"
import { countedHold } from "./HoldMetrics.ts"
import { makeSeatClaims } from "./SeatClaims.ts"

const BEST_AVAILABLE_ATTEMPTS = 4
/**
 * Seats read from the front of the venue for a best-available choice: 200 leaves room for the spread's 16 blocks
 * of up to 4 seats many times over; 400 cost ~80 MB more peak RSS and ~7 % more CPU in the seated flash sale for
 * the same number of lost races (bench:flash-sale, BENCH_RUNS=seated, three alternating pairs).
 */
const CANDIDATE_WINDOW = 200
/** Concurrent buyers of best-available seats are spread over this many of the best blocks that share no seat. */
const BEST_AVAILABLE_SPREAD = 16

/** Same request, same hash: keys order-independent, so `{a, b}` and `{b, a}` are one request. */
export const requestHash = (request: unknown): string => {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === "object"
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])])
          )
        : value
  return createHash("sha256")
    .update(JSON.stringify(canonical(request)))
    .digest("base64url")
}

/**
 * The hash of a request that cannot change (the hold route shares one frozen request per body text, so a sale's
 * buyers send a handful), computed once per request object.
 */
const frozenHashes = new WeakMap<object, string>()
const hashOf = (request: HoldRequest): string => {
  if (!Object.isFrozen(request)) return requestHash(request)
  let hash = frozenHashes.get(request)
  if (hash === undefined) {
    hash = requestHash(request)
    frozenHashes.set(request, hash)
  }
  return hash
}

const saltOf = (id: string) => Number.parseInt(id.slice(0, 8), 16)

/**
 * The hold saga. Each step is named; none needs compensation because the one step that changes anything,
 * `place`, is a single atomic transaction that takes everything or nothing:
 *   1. plan     — pure rules: on sale, ticket types, per-order and per-customer limits, price
 *   2. gate     — a sold-out flag in the cache refuses at once, without PostgreSQL; otherwise the key is marked
 *   3. place    — the guarded hold in PostgreSQL (units or seats, customer count, idempotency key)
 *   4. announce — flag sold out on refusal, forget cached views on success
 */
export class Reservations extends Context.Service<Reservations>()("goticket/Reservations", {
  make: Effect.gen(function* () {
    const repository = yield* ReservationRepository
    const cache = yield* InventoryCache
    const snapshots = yield* CatalogSnapshots
    const config = yield* ReservationConfig
    const placeWithVoucher = yield* makeVoucherHolds
    const withheldHolds = yield* Effect.serviceOption(WithheldHolds)
    const seatClaims = makeSeatClaims()

    // The refusal most often sent in a flash sale: one immutable error per ticket type instead of a new Error
    // (and its stack trace) per attempt.
    const refusals = new Map<string, ReturnType<typeof soldOut>>()
    const soldOutRefusal = (ticketTypeId: string) => {
      let refusal = refusals.get(ticketTypeId)
      if (refusal === undefined) {
        if (refusals.size > 10_000) refusals.clear()
        refusal = soldOut(ticketTypeId)
        refusals.set(ticketTypeId, refusal)
      }
      return refusal
    }

    const load = (id: ReservationId) =>
      Effect.flatMap(repository.findById(id), (found) =>
        Option.isSome(found)
          ? Effect.succeed<Reservation>(found.value)
          : Effect.fail(new ReservationNotFound({ message: `No reservation with id ${id}` }))
      )

    const forget = (ended: ReadonlyArray<EndedHold>) =>
      Effect.forEach(
        ended,
        (hold) => Effect.andThen(cache.clearSoldOut(hold.ticketTypeIds), cache.invalidate(hold.eventId)),
        { discard: true }
      )

    /**
     * Best available: read the front of the venue's available seats (enough for a good choice, not all 10,000),
     * choose, and try to take them; another buyer may win those seats first, so choose again on fresh data.
     * Only when the front has no fitting block is the whole venue read.
     */
    const placeSeats = Effect.fnUntraced(function* (
      base: Omit<PlaceHold, "items" | "seatIds">,
      plan: Extract<PlannedHold, { _tag: "BestAvailable" }>
    ) {
      const window = Math.max(CANDIDATE_WINDOW, plan.quantity * 50)
      for (let attempt = 0; attempt < BEST_AVAILABLE_ATTEMPTS; attempt++) {
        const choose = (candidates: ReadonlyArray<SeatCandidate>) =>
          chooseSeats(candidates, plan.quantity, {
            allowSeparated: plan.allowSeparated,
            salt: saltOf(base.reservationId) + attempt * 7919,
            spread: BEST_AVAILABLE_SPREAD
          })
        // Seats another buyer of this process is placing are left out (SeatClaims), unless that leaves no choice.
        const chooseUnclaimed = (candidates: ReadonlyArray<SeatCandidate>) => {
          const unclaimed = seatClaims.unclaimed(plan.ticketType.id, candidates)
          const chosen = unclaimed === candidates ? Option.none() : choose(unclaimed)
          return Option.isSome(chosen) ? chosen : choose(candidates)
        }
        let candidates = yield* repository.availableSeats(base.eventId, plan.ticketType.id, plan.sectionId, window)
        if (candidates.length === 0) return { _tag: "Refused" as const, reason: soldOut(plan.ticketType.id) }
        let chosen = chooseUnclaimed(candidates)
        if (Option.isNone(chosen) && candidates.length === window) {
          candidates = yield* repository.availableSeats(base.eventId, plan.ticketType.id, plan.sectionId)
          chosen = chooseUnclaimed(candidates)
        }
        if (Option.isNone(chosen))
          return {
            _tag: "Refused" as const,
            reason:
              candidates.length < plan.quantity
                ? seatUnavailable(`only ${candidates.length} seats of this type are left`)
                : seatUnavailable(
                    "no block of adjacent seats is left; allow separated seats to get the best single ones"
                  )
          }
        const outcome = yield* seatClaims.placing(
          plan.ticketType.id,
          chosen.value,
          repository.place({ ...base, seatIds: chosen.value, seatTypeIds: [plan.ticketType.id] })
        )
        if (outcome._tag !== "Refused" || outcome.reason._tag !== "SeatUnavailable") return outcome
      }
      return {
        _tag: "Refused" as const,
        reason: seatUnavailable("the best seats were taken while we tried; try again")
      }
    })

    /** Chosen seats: every seat must exist at this event, and each ticket type's rules hold for its seats. */
    const placeChosen = Effect.fnUntraced(function* (
      base: Omit<PlaceHold, "items" | "seatIds">,
      seatIds: ReadonlyArray<string>,
      ticketTypes: CatalogSnapshot["ticketTypes"]
    ) {
      const types = yield* repository.seatTypes(base.eventId, seatIds)
      if (types.length < seatIds.length)
        return {
          _tag: "Refused" as const,
          reason: seatUnavailable("some of these seats do not exist at this event")
        }
      const perType = checkSeatsPerType(
        ticketTypes,
        types.map((t) => t.ticketTypeId)
      )
      if (Result.isFailure(perType)) return { _tag: "Refused" as const, reason: perType.failure }
      return yield* repository.place({ ...base, seatIds, seatTypeIds: types.map((t) => t.ticketTypeId) })
    })

    // On every hold's path, refusals included: a span without the stack trace Effect.fn captures per call, nor the
    // stack frame withSpan adds (HotPathSpan).
    const hold = Effect.fnUntraced(function* (actor: Actor, request: HoldRequest, idempotencyKey: string) {
      yield* Effect.annotateCurrentSpan("goticket.event.id", request.eventId)
      // 1. plan (a refusal is checked again on a fresh snapshot: the cached one may be a second old)
      const at = yield* now
      const planOn = (snapshot: Option.Option<CatalogSnapshot>) =>
        Option.isNone(snapshot) || !canView(actor, snapshot.value.event)
          ? Result.fail<EventNotFound | HoldRefused>(EventNotFound.forId(request.eventId))
          : Result.map(
              planHold(snapshot.value.event, snapshot.value.ticketTypes, request, config.customerTicketLimit, at),
              (plan) => ({ plan, ticketTypes: snapshot.value.ticketTypes })
            )
      const first = planOn(yield* snapshots.get(request.eventId))
      const { plan, ticketTypes } = Result.isSuccess(first)
        ? first.success
        : yield* Effect.flatMap(snapshots.fresh(request.eventId), (fresh) => Effect.fromResult(planOn(fresh)))

      // 2. gate
      const gated =
        plan._tag === "GeneralAdmission"
          ? plan.items.map((i) => i.ticketTypeId)
          : plan._tag === "BestAvailable"
            ? [plan.ticketType.id]
            : []
      const keyTtlMs = config.idempotencyKeyTtlHours * 3_600_000
      // One round trip: the sold-out flags, and the key's mark written (so that a retry of this hold replays) when
      // none is set. A retry of a hold that went through (perhaps the one that sold it out) must replay, not be
      // refused: its key was marked before it was placed. Only when the cache cannot say (Redis down, or its marks
      // not known complete: lost in a restart or flush, or a mark write failed, until rebuilt) does the database decide.
      // A hold with a voucher code skips the flags when a type it asks for has withheld units (its voucher may be the
      // one they are withheld for, a waiting-list offer or a reserved quota, while the type is sold out to everyone
      // else: the database decides); its key is marked all the same. Refused by a flag, such a hold looks again past
      // the second-old snapshot (an offer made a moment ago), so only a type with nothing withheld refuses it.
      const withheldIn = (types: ReadonlyArray<{ readonly id: string; readonly withheld: number }>) =>
        types.some((t) => t.withheld > 0 && gated.includes(t.id))
      const mayDrawWithheld = request.voucherCode !== undefined && withheldIn(ticketTypes)
      let marked = true
      if (gated.length > 0 && mayDrawWithheld) marked = yield* cache.markKey(actor.userId, idempotencyKey, keyTtlMs)
      else if (gated.length > 0) {
        const gate = yield* cache.gateHold(gated, actor.userId, idempotencyKey, keyTtlMs)
        if (gate._tag === "Open") marked = gate.marked
        else {
          const retry =
            gate.key === "marked" ||
            (gate.key === "unknown" && (yield* repository.hasLiveKey(actor.userId, idempotencyKey)))
          const unlocked =
            !retry &&
            request.voucherCode !== undefined &&
            withheldIn(yield* snapshots.ticketTypesNow(request.eventId).pipe(Effect.orDie))
          if (!retry && !unlocked) return yield* soldOutRefusal(gate.ticketTypeId)
          marked = yield* cache.markKey(actor.userId, idempotencyKey, keyTtlMs)
        }
      }

      // 3. place
      const reservationId = crypto.randomUUID() as ReservationId
      const base = {
        reservationId,
        customerId: actor.userId,
        eventId: request.eventId,
        expiresAt: new Date(at.getTime() + config.holdTtlSeconds * 1000),
        customerLimit: config.customerTicketLimit,
        idempotency: {
          key: idempotencyKey,
          requestHash: hashOf(request),
          expiresAt: new Date(at.getTime() + keyTtlMs)
        }
      }
      const placement: Effect.Effect<PlaceOutcome> =
        plan._tag === "GeneralAdmission"
          ? repository.place({ ...base, items: plan.items })
          : plan._tag === "ChosenSeats"
            ? placeChosen(base, plan.seatIds, ticketTypes)
            : placeSeats(base, plan)
      // A key recorded without its mark: once the transaction is over (whatever its outcome), the cache stops
      // trusting its marks until they are rebuilt from the database, so that a retry of this hold still replays.
      const guarded = marked ? placement : Effect.ensuring(placement, cache.distrustMarks)
      // A hold with a voucher code takes its redemption around `place` (VoucherHolds); a plain one goes straight on.
      const outcome =
        request.voucherCode === undefined
          ? yield* guarded
          : yield* placeWithVoucher(
              {
                code: request.voucherCode,
                eventId: request.eventId,
                reservationId,
                customerId: actor.userId,
                idempotencyKey,
                at,
                ticketTypeIds: plan._tag === "ChosenSeats" ? undefined : gated
              },
              guarded,
              plan._tag === "GeneralAdmission" && Option.isSome(withheldHolds)
                ? (voucherId) => {
                    const drawn = withheldHolds.value.place({ ...base, items: plan.items }, voucherId)
                    return marked ? drawn : Effect.ensuring(drawn, cache.distrustMarks)
                  }
                : undefined
            )

      // 4. announce
      switch (outcome._tag) {
        case "Held":
          yield* Effect.annotateCurrentSpan("goticket.reservation.id", outcome.reservation.id)
          yield* cache.invalidate(request.eventId)
          return { reservation: outcome.reservation, replayed: false }
        case "Replayed":
          yield* Effect.annotateCurrentSpan("goticket.reservation.id", outcome.reservation.id)
          return { reservation: outcome.reservation, replayed: true }
        case "KeyReused":
          return yield* new IdempotencyKeyReused({
            message: "this Idempotency-Key was already used for a different request; use a new key"
          })
        case "Refused":
          if (outcome.reason._tag === "SoldOut") yield* cache.markSoldOut(outcome.reason.ticketTypeId)
          return yield* Effect.fail(outcome.reason)
      }
    }, hotPathSpan("Reservations.hold"))

    /** Owners only: someone else's hold is not found. */
    const get = Effect.fn("Reservations.get")(function* (actor: Actor, id: ReservationId) {
      const reservation = yield* load(id)
      if (reservation.customerId !== actor.userId && !actor.isAdmin)
        return yield* new ReservationNotFound({ message: `No reservation with id ${id}` })
      return reservation
    })

    /** Gives the seats back at once. Releasing an ended hold again is harmless and answers the same. */
    const release = Effect.fn("Reservations.release")(function* (actor: Actor, id: ReservationId) {
      yield* Effect.annotateCurrentSpan("goticket.reservation.id", id)
      const reservation = yield* get(actor, id)
      const ended = yield* repository.end([id], "released", reservation.customerId)
      yield* forget(ended)
      return yield* load(id)
    })

    /** One pass of the expiry job: expires due holds in batches until none is left, then forgets expired keys. */
    const expireDue = Effect.fn("Reservations.expireDue")(function* (batch: number) {
      let total = 0
      let maxLagMs = 0
      for (;;) {
        const result = yield* repository.expireDue(yield* now, batch)
        yield* forget(result.ended)
        total += result.ended.length
        maxLagMs = Math.max(maxLagMs, result.maxLagMs)
        if (result.ended.length < batch) break
      }
      const keysForgotten = yield* repository.purgeExpiredKeys(yield* now, batch)
      return { expired: total, maxLagMs, keysForgotten }
    })

    return { hold: countedHold(hold), get, release, expireDue } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

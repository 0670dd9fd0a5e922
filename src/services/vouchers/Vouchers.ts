import { randomBytes } from "node:crypto"
import { Context, Effect, Layer, Option } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import type { EventId, TicketTypeId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { invalidVoucher } from "../../domain/vouchers/errors.ts"
import { Voucher, type VoucherId } from "../../domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { checkVoucherSpec, codeFromBytes, normalizeCode, type VoucherSpec } from "../../domain/vouchers/VoucherRules.ts"
import { Catalog } from "../catalog/Catalog.ts"

/** Generated batches that collide with a stored code (about 2^-59 per pair) are drawn again, at most this often. */
const ATTEMPTS = 3

/** `count` distinct codes from the operating system's cryptographic random source (VoucherRules.codeFromBytes). */
export const generateCodes = (count: number): ReadonlyArray<string> => {
  const codes = new Set<string>()
  while (codes.size < count) {
    const code = codeFromBytes(randomBytes(32))
    if (Option.isSome(code)) codes.add(code.value)
  }
  return [...codes]
}

const CSV_HEADER = "code,kind,value,ticketTypeIds,validFrom,validUntil,maxRedemptions,redeemed,createdAt"

/** The vouchers as CSV (RFC 4180): codes, numbers, ids and instants only, none needing quotes. */
export const vouchersCsv = (vouchers: ReadonlyArray<Voucher>): string =>
  [
    CSV_HEADER,
    ...vouchers.map((v) =>
      [
        v.code,
        v.kind,
        v.value,
        v.ticketTypeIds.join(" "),
        v.validFrom?.toISOString() ?? "",
        v.validUntil?.toISOString() ?? "",
        v.maxRedemptions,
        v.redeemed,
        v.createdAt.toISOString()
      ].join(",")
    )
  ].join("\r\n") + "\r\n"

/** An event's vouchers for its organizer (or an admin): created in batches, listed with their redemptions, exported. */
export class Vouchers extends Context.Service<Vouchers>()("goticket/Vouchers", {
  make: Effect.gen(function* () {
    const catalog = yield* Catalog
    const repository = yield* VoucherRepository

    const create = Effect.fn("Vouchers.create")(function* (actor: Actor, eventId: EventId, spec: VoucherSpec) {
      const { ticketTypes } = yield* catalog.managed(actor, eventId)
      yield* Effect.fromResult(
        checkVoucherSpec(
          spec,
          ticketTypes.map((t) => t.id)
        )
      )
      // A reserved quota withholds units of one general-admission type, which must be there to take.
      const reserved = spec.reservedUnits ?? null
      const reservedType = reserved === null ? undefined : ticketTypes.find((t) => t.id === spec.ticketTypeIds[0])
      if (reservedType?.seated === true)
        return yield* invalidVoucher("only general-admission units can be reserved for a voucher")
      const short = () =>
        invalidVoucher(
          `only ${reservedType?.available ?? 0} units of this ticket type are left to reserve (${spec.count} × ${reserved} asked)`
        )
      if (reserved !== null && (reservedType?.available ?? 0) < reserved * spec.count) return yield* short()
      const at = yield* now
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const codes = spec.code === null ? generateCodes(spec.count) : [normalizeCode(spec.code)]
        const vouchers = codes.map(
          (code) =>
            new Voucher(
              {
                id: crypto.randomUUID() as VoucherId,
                eventId,
                code,
                kind: spec.kind,
                value: spec.value,
                ticketTypeIds: [...new Set(spec.ticketTypeIds as ReadonlyArray<TicketTypeId>)],
                validFrom: spec.validFrom,
                validUntil: spec.validUntil,
                maxRedemptions: spec.maxRedemptions,
                redeemed: 0,
                createdBy: actor.userId,
                createdAt: at,
                reservedUnits: reserved,
                reservedLeft: reserved ?? 0,
                accountId: null
              },
              { disableChecks: true }
            )
        )
        if (yield* repository.insertAll(vouchers)) return vouchers
        // Refused for the units (taken meanwhile) rather than for a code: said so.
        if (
          reserved !== null &&
          (yield* catalog.managed(actor, eventId)).ticketTypes.some(
            (t) => t.id === reservedType?.id && t.available < reserved * spec.count
          )
        )
          return yield* short()
        if (spec.code !== null) return yield* invalidVoucher("this event has a voucher with this code already")
      }
      return yield* Effect.die(new Error(`${ATTEMPTS} batches of generated voucher codes collided with stored codes`))
    })

    const list = Effect.fn("Vouchers.list")(function* (actor: Actor, eventId: EventId) {
      yield* catalog.managed(actor, eventId)
      return yield* repository.listForEvent(eventId)
    })

    const csv = Effect.fn("Vouchers.csv")(function* (actor: Actor, eventId: EventId) {
      return vouchersCsv(yield* list(actor, eventId))
    })

    return { create, list, csv } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

import { Effect, Layer, Ref } from "effect"
import { TicketType } from "../../domain/catalog/TicketType.ts"
import { soldOut } from "../../domain/reservations/errors.ts"
import { type PlaceOutcome, ReservationRepository } from "../../domain/reservations/ReservationRepository.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { WithheldHolds } from "../../domain/vouchers/WithheldHolds.ts"
import { MemoryStore, MemoryStoreLive, type MemoryTables } from "../memory/MemoryStore.ts"

const trusted = { disableChecks: true } as const

/**
 * The in-memory twin of WithheldHoldsPg: the voucher's units leave the type's withheld count for the hold (refused
 * as sold out when fewer are withheld, or the voucher is another account's), and come back to it if the hold is not
 * placed. It does not follow the hold afterwards: a memory hold that ends gives its units to the public.
 */
export const WithheldHoldsMemory = Layer.effect(
  WithheldHolds,
  Effect.gen(function* () {
    const store = yield* MemoryStore
    const vouchers = yield* VoucherRepository
    const repository = yield* ReservationRepository

    const move = (typeId: string, by: number) =>
      Ref.modify(store, (s): [boolean, MemoryTables] => {
        const type = s.ticketTypes.get(typeId)
        if (type === undefined || type.withheld + by < 0) return [false, s]
        return [
          true,
          {
            ...s,
            ticketTypes: new Map(s.ticketTypes).set(
              typeId,
              new TicketType({ ...type, withheld: type.withheld + by }, trusted)
            )
          }
        ]
      })

    return WithheldHolds.of({
      place: (hold, voucherId) =>
        Effect.gen(function* () {
          const voucher = (yield* vouchers.listForEvent(hold.eventId)).find((v) => v.id === voucherId)
          const typeId = voucher?.ticketTypeIds[0]
          const units = (hold.items ?? []).filter((i) => i.ticketTypeId === typeId).reduce((n, i) => n + i.quantity, 0)
          if (
            voucher === undefined ||
            typeId === undefined ||
            units === 0 ||
            (voucher.accountId !== null && voucher.accountId !== hold.customerId) ||
            !(yield* move(typeId, -units))
          )
            return { _tag: "Refused", reason: soldOut(typeId ?? "") } satisfies PlaceOutcome
          const outcome = yield* repository.place(hold)
          if (outcome._tag !== "Held") yield* move(typeId, units)
          return outcome
        })
    })
  })
).pipe(Layer.provide(MemoryStoreLive))

import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import type { Voucher } from "../../domain/vouchers/Voucher.ts"
import { Vouchers } from "../../services/vouchers/Vouchers.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import type { VoucherView } from "../api/VouchersApi.ts"

export const voucherView = (v: Voucher): typeof VoucherView.Type => ({
  id: v.id,
  eventId: v.eventId,
  code: v.code,
  kind: v.kind,
  value: v.value,
  ticketTypeIds: v.ticketTypeIds,
  validFrom: v.validFrom,
  validUntil: v.validUntil,
  maxRedemptions: v.maxRedemptions,
  redeemed: v.redeemed,
  createdAt: v.createdAt,
  reservedUnits: v.reservedUnits,
  reservedLeft: v.reservedLeft
})

export const VouchersLive = HttpApiBuilder.group(GoTicketApi, "vouchers", (handlers) =>
  Effect.gen(function* () {
    const vouchers = yield* Vouchers
    return handlers
      .handle("create", ({ params, payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          vouchers.create(actor, params.eventId, {
            kind: payload.kind,
            value: payload.value,
            ticketTypeIds: payload.ticketTypeIds ?? [],
            validFrom: payload.validFrom ?? null,
            validUntil: payload.validUntil ?? null,
            maxRedemptions: payload.maxRedemptions ?? 1,
            count: payload.count ?? 1,
            code: payload.code ?? null,
            reservedUnits: payload.reservedUnits ?? null
          })
        ).pipe(Effect.map((created) => ({ count: created.length, vouchers: created.map(voucherView) })))
      )
      .handle("list", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => vouchers.list(actor, params.eventId)).pipe(
          Effect.map((list) => list.map(voucherView))
        )
      )
      .handle("export", ({ params }) => Effect.flatMap(CurrentActor, (actor) => vouchers.csv(actor, params.eventId)))
  })
)

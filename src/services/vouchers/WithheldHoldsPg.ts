import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { now } from "../../domain/shared/Now.ts"
import { WithheldHolds } from "../../domain/vouchers/WithheldHolds.ts"
import { type PlaceHoldRow, placeOutcome } from "../reservations/PlaceHoldAnswer.ts"

/** place_withheld_hold (migrations/0027_withheld_units_waiting_list.sql): the voucher's pool, then place_hold. */
export const WithheldHoldsPg = Layer.effect(
  WithheldHolds,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return WithheldHolds.of({
      place: (hold, voucherId) =>
        Effect.flatMap(
          now,
          (at) =>
            sql<PlaceHoldRow>`
              SELECT * FROM place_withheld_hold(${voucherId}, ${hold.reservationId}, ${hold.customerId},
                ${hold.eventId}, ${JSON.stringify(hold.items ?? [])}::jsonb, ${hold.expiresAt}, ${hold.customerLimit},
                ${hold.idempotency?.key ?? null}, ${hold.idempotency?.requestHash ?? null},
                ${hold.idempotency?.expiresAt ?? null}, ${at})`
        ).pipe((call) => placeOutcome(call, hold.customerLimit), Effect.withSpan("WithheldHolds.place"))
    })
  })
)

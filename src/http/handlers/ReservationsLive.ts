import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { type Actor, CurrentActor } from "../../domain/accounts/Actor.ts"
import type { HoldRequest } from "../../domain/reservations/HoldRequest.ts"
import type { Reservation } from "../../domain/reservations/Reservation.ts"
import { Reservations } from "../../services/reservations/Reservations.ts"
import { TrafficControl } from "../../services/security/TrafficControl.ts"
import { VoucherThrottle } from "../../services/security/VoucherThrottle.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import type { ReservationView } from "../api/ReservationsApi.ts"
import { enforceRate } from "./rateLimits.ts"

/** A hold as the API shows it: the reservation without its customer and end (ReservationView). */
export const reservationView = ({ customerId: _, endedAt: _ended, ...r }: Reservation): typeof ReservationView.Type => r

/**
 * `POST /v1/reservations` once the request is decoded and its caller known: the per-event rate, the hold, its view.
 * The one implementation, served by the HttpApi handler below and by the lean route (HoldRoute.ts) alike.
 */
export const makeHoldHandler = Effect.gen(function* () {
  const reservations = yield* Reservations
  const traffic = yield* TrafficControl
  const vouchers = yield* VoucherThrottle
  const held = (outcome: { readonly reservation: Reservation }) => reservationView(outcome.reservation)
  // On every hold's path (the refusals of a flash sale included): combinators rather than generators, a few µs each.
  const hold = (actor: Actor, payload: HoldRequest, idempotencyKey: string) =>
    payload.voucherCode === undefined
      ? Effect.map(reservations.hold(actor, payload, idempotencyKey), held)
      : // A code: wrong ones are counted per customer, and refused 429 once too many were wrong.
        Effect.flatMap(vouchers.check(actor.userId), (rated) =>
          Effect.andThen(
            enforceRate(rated),
            reservations.hold(actor, payload, idempotencyKey).pipe(
              Effect.tapErrorTag("VoucherNotValid", () => vouchers.failed(actor.userId)),
              Effect.map(held)
            )
          )
        )
  return (actor: Actor, payload: HoldRequest, idempotencyKey: string) =>
    Effect.flatMap(traffic.admitHold(actor.userId, payload.eventId), (rated) =>
      rated === undefined
        ? hold(actor, payload, idempotencyKey)
        : Effect.andThen(enforceRate(rated), hold(actor, payload, idempotencyKey))
    )
})

export const ReservationsLive = HttpApiBuilder.group(GoTicketApi, "reservations", (handlers) =>
  Effect.gen(function* () {
    const reservations = yield* Reservations
    const hold = yield* makeHoldHandler
    return handlers
      .handle("hold", ({ headers, payload }) =>
        Effect.flatMap(CurrentActor, (actor) => hold(actor, payload, headers["idempotency-key"]))
      )
      .handle("get", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => reservations.get(actor, params.reservationId)).pipe(
          Effect.map(reservationView)
        )
      )
      .handle("release", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => reservations.release(actor, params.reservationId)).pipe(
          Effect.map(reservationView)
        )
      )
  })
)

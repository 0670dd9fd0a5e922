import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import type { Reservation } from "../../domain/reservations/Reservation.ts"
import { Reservations } from "../../services/reservations/Reservations.ts"
import { TrafficControl } from "../../services/security/TrafficControl.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import type { ReservationView } from "../api/ReservationsApi.ts"
import { enforceRate } from "./rateLimits.ts"

export const reservationView = (r: Reservation): typeof ReservationView.Type => ({
  id: r.id,
  eventId: r.eventId,
  status: r.status,
  expiresAt: r.expiresAt,
  createdAt: r.createdAt,
  tickets: r.tickets,
  items: r.items,
  seats: r.seats,
  totalMinor: r.totalMinor,
  currency: r.currency
})

export const ReservationsLive = HttpApiBuilder.group(GoTicketApi, "reservations", (handlers) =>
  Effect.gen(function* () {
    const reservations = yield* Reservations
    const traffic = yield* TrafficControl
    return handlers
      .handle("hold", ({ headers, payload }) =>
        Effect.gen(function* () {
          const actor = yield* CurrentActor
          yield* enforceRate(yield* traffic.admitHold(actor.userId, payload.eventId))
          const { reservation } = yield* reservations.hold(actor, payload, headers["idempotency-key"])
          return reservationView(reservation)
        })
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

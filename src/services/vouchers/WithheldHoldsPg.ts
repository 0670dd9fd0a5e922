import { Effect, Layer, Schedule } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { notOnSale, salesClosed, soldOut } from "../../domain/reservations/errors.ts"
import { customerLimitExceeded } from "../../domain/reservations/HoldRules.ts"
import { Reservation } from "../../domain/reservations/Reservation.ts"
import type { PlaceOutcome } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, SeatId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { now } from "../../domain/shared/Now.ts"
import { WithheldHolds } from "../../domain/vouchers/WithheldHolds.ts"
import { pgErrorOf } from "../sql/errors.ts"

/** What reservation_json() (or place_hold's built answer) holds. */
interface ReservationJson {
  readonly id: string
  readonly customerId: string
  readonly eventId: string
  readonly status: "active" | "released" | "expired" | "converted"
  readonly tickets: number
  readonly totalMinor: string | number
  readonly currency: string
  readonly expiresAt: string
  readonly createdAt: string
  readonly endedAt: string | null
  readonly items: ReadonlyArray<{ ticketTypeId: string; quantity: number; unitPriceMinor: number }>
  readonly seats: ReadonlyArray<{
    seatId: string
    ticketTypeId: string
    unitPriceMinor: number
    section: string
    row: string
    label: string
  }>
}

const reservationOf = (r: ReservationJson) =>
  new Reservation(
    {
      id: r.id as ReservationId,
      customerId: r.customerId as UserId,
      eventId: r.eventId as EventId,
      status: r.status,
      tickets: r.tickets,
      totalMinor: Number(r.totalMinor),
      currency: r.currency as Currency,
      expiresAt: new Date(r.expiresAt),
      createdAt: new Date(r.createdAt),
      endedAt: r.endedAt === null ? null : new Date(r.endedAt),
      items: r.items.map((i) => ({ ...i, ticketTypeId: i.ticketTypeId as TicketTypeId })),
      seats: r.seats.map((s) => ({ ...s, seatId: s.seatId as SeatId, ticketTypeId: s.ticketTypeId as TicketTypeId }))
    },
    { disableChecks: true }
  )

const raised = (error: SqlError.SqlError): string | undefined => {
  const cause = pgErrorOf(error)
  return cause.code === "P0001" ? cause.message : undefined
}
const isRetryable = (error: SqlError.SqlError) => {
  const code = pgErrorOf(error).code
  return code === "40P01" || code === "40001" || raised(error) === "idempotency_race"
}

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
            sql<{ outcome: string; detail: string | null; reservation: ReservationJson | null }>`
              SELECT * FROM place_withheld_hold(${voucherId}, ${hold.reservationId}, ${hold.customerId},
                ${hold.eventId}, ${JSON.stringify(hold.items ?? [])}::jsonb, ${hold.expiresAt}, ${hold.customerLimit},
                ${hold.idempotency?.key ?? null}, ${hold.idempotency?.requestHash ?? null},
                ${hold.idempotency?.expiresAt ?? null}, ${at})`
        ).pipe(
          Effect.retry({ schedule: Schedule.recurs(3), while: isRetryable }),
          Effect.map(([row]): PlaceOutcome => {
            switch (row?.outcome) {
              case "held":
                return { _tag: "Held", reservation: reservationOf(row.reservation as ReservationJson) }
              case "replayed":
                return { _tag: "Replayed", reservation: reservationOf(row.reservation as ReservationJson) }
              case "key_reused":
                return { _tag: "KeyReused" }
              case "sold_out":
                return { _tag: "Refused", reason: soldOut(row.detail ?? "") }
              case "limit_exceeded":
                return { _tag: "Refused", reason: customerLimitExceeded(hold.customerLimit) }
              case "sales_closed":
                return { _tag: "Refused", reason: salesClosed() }
              default:
                return { _tag: "Refused", reason: notOnSale() }
            }
          }),
          Effect.catchIf(
            (e) => raised(e) !== undefined,
            (e): Effect.Effect<PlaceOutcome> => {
              const reason = raised(e)
              const detail = pgErrorOf(e).detail ?? ""
              if (reason === "sold_out") return Effect.succeed({ _tag: "Refused", reason: soldOut(detail) })
              if (reason === "limit_exceeded")
                return Effect.succeed({ _tag: "Refused", reason: customerLimitExceeded(hold.customerLimit) })
              return Effect.die(e)
            }
          ),
          Effect.orDie,
          Effect.withSpan("WithheldHolds.place")
        )
    })
  })
)

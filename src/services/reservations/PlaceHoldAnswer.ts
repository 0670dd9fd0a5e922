import { Effect, Schedule } from "effect"
import type { SqlError } from "effect/sql"
import { notOnSale, salesClosed, seatUnavailable, soldOut } from "../../domain/reservations/errors.ts"
import { customerLimitExceeded } from "../../domain/reservations/HoldRules.ts"
import { Reservation } from "../../domain/reservations/Reservation.ts"
import type { PlaceOutcome } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, SeatId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { pgErrorOf } from "../sql/errors.ts"

/** What reservation_json() (and place_hold's own answer) returns: timestamps arrive as ISO strings inside the JSON. */
export interface ReservationRow {
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

export const reservationFromRow = (r: ReservationRow) =>
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
    // Built by reservation_json() from rows the database constrains: the schema checks are skipped.
    { disableChecks: true }
  )

/** One row of place_hold (or place_withheld_hold, which calls it). */
export interface PlaceHoldRow {
  readonly outcome: string
  readonly detail: string | null
  readonly reservation: ReservationRow | null
}

/** PostgreSQL raises these from place_hold after it changed something, so that the whole hold rolls back. */
const raised = (error: SqlError.SqlError): string | undefined => {
  const cause = pgErrorOf(error)
  return cause.code === "P0001" ? cause.message : undefined
}
const isRetryable = (error: SqlError.SqlError) => {
  const code = pgErrorOf(error).code
  return code === "40P01" || code === "40001" || raised(error) === "idempotency_race"
}

/**
 * A call of place_hold as the hold saga sees it: retried on a deadlock, a serialization failure or a lost race for
 * the Idempotency-Key (it rolled back whole), its answer or its raised refusal made a PlaceOutcome.
 */
export const placeOutcome = (
  call: Effect.Effect<ReadonlyArray<PlaceHoldRow>, SqlError.SqlError>,
  customerLimit: number
): Effect.Effect<PlaceOutcome> =>
  call.pipe(
    Effect.retry({ schedule: Schedule.recurs(3), while: isRetryable }),
    Effect.map(([row]): PlaceOutcome => {
      switch (row?.outcome) {
        case "held":
          return { _tag: "Held", reservation: reservationFromRow(row.reservation as ReservationRow) }
        case "replayed":
          return { _tag: "Replayed", reservation: reservationFromRow(row.reservation as ReservationRow) }
        case "key_reused":
          return { _tag: "KeyReused" }
        case "sold_out":
          return { _tag: "Refused", reason: soldOut(row.detail ?? "") }
        case "seat_unavailable":
          return { _tag: "Refused", reason: seatUnavailable() }
        case "limit_exceeded":
          return { _tag: "Refused", reason: customerLimitExceeded(customerLimit) }
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
        if (reason === "seat_unavailable") return Effect.succeed({ _tag: "Refused", reason: seatUnavailable() })
        if (reason === "limit_exceeded")
          return Effect.succeed({ _tag: "Refused", reason: customerLimitExceeded(customerLimit) })
        return Effect.die(e)
      }
    ),
    Effect.orDie
  )

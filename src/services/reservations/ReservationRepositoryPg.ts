import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { SeatCandidate } from "../../domain/reservations/BestAvailable.ts"
import type { Reservation } from "../../domain/reservations/Reservation.ts"
import {
  type EndedHold,
  type PlaceHold,
  type PlaceOutcome,
  ReservationRepository
} from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId } from "../../domain/shared/Ids.ts"
import { now } from "../../domain/shared/Now.ts"
import { hotPathSpan } from "../observability/HotPathSpan.ts"
import { tracedCall } from "../sql/TraceContext.ts"
import { groupedHolds } from "./GroupedHolds.ts"
import { type PlaceHoldRow, placeOutcome, type ReservationRow, reservationFromRow } from "./PlaceHoldAnswer.ts"

const uuidArray = (ids: ReadonlyArray<string>) => `{${ids.join(",")}}`

export const ReservationRepositoryPg = Layer.effect(
  ReservationRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const traced = tracedCall(sql)
    const untransformed = sql.withoutTransforms()

    const endedDetails = (ids: ReadonlyArray<string>) =>
      ids.length === 0
        ? Effect.succeed<ReadonlyArray<EndedHold>>([])
        : sql<{ id: string; eventId: string; ticketTypeIds: ReadonlyArray<string> }>`
            SELECT r.id, r.event_id,
              ARRAY(SELECT i.ticket_type_id FROM reservation_items i WHERE i.reservation_id = r.id
                    UNION SELECT s.ticket_type_id FROM reservation_seats s WHERE s.reservation_id = r.id) AS ticket_type_ids
            FROM reservations r WHERE r.id = ANY (${uuidArray(ids)}::uuid[])`.pipe(
            Effect.map((rows) =>
              rows.map((r) => ({
                id: r.id as ReservationId,
                eventId: r.eventId as EventId,
                ticketTypeIds: r.ticketTypeIds
              }))
            )
          )

    // The time is the Effect Clock's (domain/shared/Now.ts), passed to the functions instead of the database's now().
    const placeOnce = (hold: PlaceHold, at: Date) =>
      traced.rowsOf<PlaceHoldRow>(sql`place_hold(${hold.reservationId}, ${hold.customerId}, ${hold.eventId},
          ${hold.items ? JSON.stringify(hold.items) : null}::jsonb,
          ${hold.seatIds ? uuidArray(hold.seatIds) : null}::uuid[],
          ${hold.expiresAt}, ${hold.customerLimit},
          ${hold.idempotency?.key ?? null}, ${hold.idempotency?.requestHash ?? null},
          ${hold.idempotency?.expiresAt ?? null}, ${at})`)

    const grouped = yield* groupedHolds(sql, placeOnce)

    const place = (hold: PlaceHold): Effect.Effect<PlaceOutcome> =>
      placeOutcome(
        Effect.flatMap(now, (at) => grouped(hold, at)),
        hold.customerLimit
      ).pipe(hotPathSpan("ReservationRepository.place"))

    return ReservationRepository.of({
      place,
      findById: (id) =>
        sql<{ reservation: ReservationRow | null }>`SELECT reservation_json(${id}) AS reservation`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]?.reservation), reservationFromRow)),
          Effect.orDie,
          Effect.withSpan("ReservationRepository.findById")
        ),
      discount: (id, amountMinor) =>
        Effect.gen(function* () {
          const changed =
            yield* sql`UPDATE reservations SET total_minor = total_minor - least(${amountMinor}, total_minor)
            WHERE id = ${id} AND status = 'active' RETURNING id`
          if (changed.length === 0) return Option.none<Reservation>()
          const rows = yield* sql<{ reservation: ReservationRow | null }>`SELECT reservation_json(${id}) AS reservation`
          return Option.map(Option.fromNullishOr(rows[0]?.reservation), reservationFromRow)
        }).pipe(Effect.orDie, Effect.withSpan("ReservationRepository.discount")),
      end: (ids, status, customerId) =>
        Effect.flatMap(now, (at) =>
          traced.valueOf<string>(
            sql`end_holds(${uuidArray(ids)}::uuid[], ${status}, ${customerId ?? null}::uuid, false, ${at})`
          )
        ).pipe(
          Effect.flatMap((rows) => endedDetails(rows.map((r) => r.value))),
          Effect.orDie,
          Effect.withSpan("ReservationRepository.end", { attributes: { count: ids.length, status } })
        ),
      expireDue: (now, limit) =>
        Effect.gen(function* () {
          const rows = yield* sql<{ id: string; expiresAt: Date }>`
            WITH ended AS (
              SELECT end_holds(ARRAY(SELECT id FROM reservations WHERE status = 'active' AND expires_at <= ${now}
                                     ORDER BY expires_at LIMIT ${limit}), 'expired', NULL, true, ${now}) AS id)
            SELECT r.id, r.expires_at FROM reservations r JOIN ended USING (id)`
          const ended = yield* endedDetails(rows.map((r) => r.id))
          const maxLagMs = rows.reduce((max, r) => Math.max(max, now.getTime() - r.expiresAt.getTime()), 0)
          return { ended, maxLagMs }
        }).pipe(Effect.orDie, Effect.withSpan("ReservationRepository.expireDue")),
      hasLiveKey: (customerId, key) =>
        Effect.flatMap(
          now,
          (at) => sql`SELECT 1 FROM idempotency_keys
            WHERE user_id = ${customerId} AND scope = 'reservation' AND key = ${key} AND expires_at > ${at}`
        ).pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("ReservationRepository.hasLiveKey")
        ),
      // Keyset pages in primary-key order: each page is one range scan of the key's index.
      liveKeys: (after, limit) =>
        Effect.flatMap(
          now,
          (at) => sql<{ userId: string; key: string; expiresAt: Date }>`
          SELECT user_id, key, expires_at FROM idempotency_keys
          WHERE scope = 'reservation' AND expires_at > ${at}
            ${after === undefined ? sql`` : sql`AND (user_id, scope, key) > (${after.customerId}::uuid, 'reservation', ${after.key})`}
          ORDER BY user_id, scope, key
          LIMIT ${limit}`
        ).pipe(
          Effect.map((rows) => rows.map((r) => ({ customerId: r.userId, key: r.key, expiresAt: r.expiresAt }))),
          Effect.orDie,
          Effect.withSpan("ReservationRepository.liveKeys")
        ),
      purgeExpiredKeys: (now, limit) =>
        sql<{ n: number }>`WITH gone AS (
            DELETE FROM idempotency_keys WHERE ctid IN (
              SELECT ctid FROM idempotency_keys WHERE expires_at <= ${now} LIMIT ${limit})
            RETURNING 1)
          SELECT count(*)::int AS n FROM gone`.pipe(
          Effect.map((rows) => rows[0]?.n ?? 0),
          Effect.orDie,
          Effect.withSpan("ReservationRepository.purgeExpiredKeys")
        ),
      availableSeats: (eventId, ticketTypeId, sectionId, limit) =>
        // The rows come back with the candidate's own field names, so the client's name transform (a new object
        // per row) is skipped for the up to hundreds of rows every attempt reads.
        untransformed<SeatCandidate>`
          SELECT s.id, s.section_position AS "sectionPosition", s.row_position AS "rowPosition", s.position,
            s.row_size AS "rowSize"
          FROM seats s
          WHERE s.event_id = ${eventId} AND s.ticket_type_id = ${ticketTypeId} AND s.status = 'available'
            ${
              // In venue order, read from one partial index (seats_best_available_idx; within one section,
              // seats_available_idx): only the rows returned are visited, never the whole seat map.
              sectionId
                ? sql`AND s.section_id = ${sectionId} ORDER BY s.row_position, s.position`
                : sql`ORDER BY s.section_position, s.row_position, s.position`
            }
          ${limit === undefined ? sql`` : sql`LIMIT ${limit}`}`.pipe(
          Effect.orDie,
          Effect.withSpan("ReservationRepository.availableSeats")
        ),
      seatTypes: (eventId, seatIds) =>
        sql<{ seatId: string; ticketTypeId: string }>`
          SELECT id AS seat_id, ticket_type_id FROM seats
          WHERE event_id = ${eventId} AND id = ANY (${uuidArray(seatIds)}::uuid[])`.pipe(
          Effect.orDie,
          Effect.withSpan("ReservationRepository.seatTypes")
        )
    })
  })
)

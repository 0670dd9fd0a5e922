import { Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { UserNotFound } from "../../domain/accounts/errors.ts"
import { ERASED_NAME, erasedEmail, UNUSABLE_PASSWORD_HASH } from "../../domain/privacy/Erasure.ts"
import { ErasureRefused } from "../../domain/privacy/errors.ts"
import { type Erasure, PersonalData } from "../../domain/privacy/PersonalData.ts"
import { PersonalDataExport } from "../../domain/privacy/PersonalDataExport.ts"
import type { EndedHold } from "../../domain/reservations/ReservationRepository.ts"
import type { EventId, ReservationId, UserId } from "../../domain/shared/Ids.ts"
import { tracedCall } from "../sql/TraceContext.ts"

const decodeExport = Schema.decodeUnknownSync(PersonalDataExport)

const unknownAccount = () => new UserNotFound({ message: "this account does not exist (or was erased)" })

/**
 * The export in one statement (one snapshot): every section is a sub-select building its JSON, in the order the
 * document promises. Money and counts are JSON numbers (bigint columns would arrive as strings otherwise).
 */
const exportQuery = (sql: SqlClient.SqlClient, userId: UserId) => sql<{ account: unknown; doc: unknown }>`
  SELECT
    (SELECT jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name, 'accountType', u.account_type,
              'isAdmin', u.is_admin, 'createdAt', u.created_at)
       FROM users u WHERE u.id = ${userId} AND u.erased_at IS NULL) AS account,
    jsonb_build_object(
      'orders', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                 'id', o.id, 'eventId', o.event_id, 'eventTitle', e.title, 'reservationId', o.reservation_id,
                 'status', o.status, 'totalMinor', o.total_minor, 'refundedMinor', o.refunded_minor,
                 'currency', o.currency,
                 'payment', CASE WHEN o.payment_intent_id IS NULL THEN NULL ELSE
                   jsonb_build_object('provider', o.payment_provider, 'intentId', o.payment_intent_id) END,
                 'cancelReason', o.cancel_reason, 'createdAt', o.created_at, 'confirmedAt', o.confirmed_at,
                 'cancelledAt', o.cancelled_at,
                 'lines', coalesce((
                   SELECT jsonb_agg(jsonb_build_object('position', l.position, 'ticketTypeId', l.ticket_type_id,
                            'ticketTypeName', tt.name, 'seatId', l.seat_id, 'seatLabel', seat_label(l.seat_id),
                            'unitPriceMinor', l.unit_price_minor) ORDER BY l.position)
                     FROM order_lines l JOIN ticket_types tt ON tt.id = l.ticket_type_id WHERE l.order_id = o.id),
                   '[]'::jsonb)) ORDER BY o.created_at DESC, o.id DESC)
          FROM orders o JOIN events e ON e.id = o.event_id WHERE o.customer_id = ${userId}), '[]'::jsonb),
      'tickets', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                 'id', t.id, 'orderId', t.order_id, 'eventId', t.event_id, 'eventTitle', e.title,
                 'ticketTypeId', t.ticket_type_id, 'ticketTypeName', tt.name, 'seatLabel', seat_label(t.seat_id),
                 'priceMinor', t.price_minor, 'currency', t.currency, 'status', t.status, 'issuedAt', t.issued_at,
                 'voidedAt', t.voided_at, 'checkedInAt', t.checked_in_at, 'attendeeName', t.attendee_name)
                 ORDER BY o.created_at DESC, o.id DESC, t.position)
          FROM tickets t JOIN orders o ON o.id = t.order_id JOIN events e ON e.id = t.event_id
            JOIN ticket_types tt ON tt.id = t.ticket_type_id
          WHERE t.customer_id = ${userId}), '[]'::jsonb),
      'reservations', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                 'id', r.id, 'eventId', r.event_id, 'eventTitle', e.title, 'status', r.status, 'tickets', r.tickets,
                 'totalMinor', r.total_minor, 'currency', r.currency, 'createdAt', r.created_at,
                 'expiresAt', r.expires_at, 'endedAt', r.ended_at) ORDER BY r.created_at DESC, r.id DESC)
          FROM reservations r JOIN events e ON e.id = r.event_id WHERE r.customer_id = ${userId}), '[]'::jsonb),
      'refunds', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                 'id', f.id, 'orderId', f.order_id, 'amountMinor', f.amount_minor, 'currency', o.currency,
                 'ticketIds', to_jsonb(f.ticket_ids), 'status', f.status, 'createdAt', f.created_at,
                 'completedAt', f.completed_at) ORDER BY f.created_at DESC, f.id DESC)
          FROM refunds f JOIN orders o ON o.id = f.order_id WHERE o.customer_id = ${userId}), '[]'::jsonb),
      'eventsOrganized', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                 'id', e.id, 'title', e.title, 'status', e.status, 'venueName', e.venue_name,
                 'startsAt', e.starts_at, 'endsAt', e.ends_at, 'createdAt', e.created_at,
                 'publishedAt', e.published_at, 'cancelledAt', e.cancelled_at) ORDER BY e.starts_at, e.id)
          FROM events e WHERE e.organizer_id = ${userId}), '[]'::jsonb),
      'staffRoles', coalesce((
        SELECT jsonb_agg(jsonb_build_object('eventId', s.event_id, 'eventTitle', e.title, 'grantedAt', s.granted_at)
                 ORDER BY s.granted_at, s.event_id)
          FROM event_staff s JOIN events e ON e.id = s.event_id WHERE s.user_id = ${userId}), '[]'::jsonb),
      'webhooks', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                 'id', w.id, 'url', w.url, 'eventTypes', to_jsonb(w.event_types), 'active', w.active,
                 'createdAt', w.created_at, 'deactivatedAt', w.deactivated_at) ORDER BY w.created_at, w.id)
          FROM webhook_endpoints w WHERE w.organizer_id = ${userId}), '[]'::jsonb)
    ) AS doc`

/**
 * PersonalData on PostgreSQL: the export as one read, the erasure as `erase_account` (migrations/0009_privacy.sql;
 * its triggers forget the account's security tokens (0017) and blank the attendee names of its tickets (0029)).
 */
export const PersonalDataPg = Layer.effect(
  PersonalData,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const traced = tracedCall(sql)

    return PersonalData.of({
      exportFor: (userId, at) =>
        exportQuery(sql, userId).pipe(
          Effect.orDie,
          Effect.flatMap(([row]) =>
            row?.account == null
              ? Effect.fail(unknownAccount())
              : Effect.sync(() =>
                  decodeExport({ ...(row.doc as object), generatedAt: at.toISOString(), account: row.account })
                )
          ),
          Effect.withSpan("PersonalData.exportFor")
        ),
      erase: (userId, at) =>
        traced
          .rowsOf<{ outcome: string; released: ReadonlyArray<EndedHold> | null }>(
            sql`erase_account(${userId}, ${erasedEmail(crypto.randomUUID())}, ${ERASED_NAME},
              ${UNUSABLE_PASSWORD_HASH}, ${at})`
          )
          .pipe(
            // No retry here: the erasure runs inside the audit transaction, which reruns as a whole on a conflict.
            Effect.orDie,
            Effect.flatMap(([row]): Effect.Effect<Erasure, UserNotFound | ErasureRefused> => {
              switch (row?.outcome) {
                case "erased":
                  return Effect.succeed({
                    releasedHolds: (row.released ?? []).map((hold) => ({
                      id: hold.id as ReservationId,
                      eventId: hold.eventId as EventId,
                      ticketTypeIds: hold.ticketTypeIds
                    }))
                  })
                case "upcoming_events":
                  return Effect.fail(ErasureRefused.upcomingEvents())
                case "payment_in_progress":
                  return Effect.fail(ErasureRefused.paymentInProgress())
                default:
                  return Effect.fail(unknownAccount())
              }
            }),
            Effect.withSpan("PersonalData.erase")
          )
    })
  })
)

import { Array as Arr, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { Event, Venue } from "../../domain/catalog/Event.ts"
import { EventRepository, type EventRepositoryShape } from "../../domain/catalog/EventRepository.ts"
import { CapacityBelowCommitted, EventChangedConcurrently } from "../../domain/catalog/errors.ts"
import { Seat, Section } from "../../domain/catalog/Seating.ts"
import { TicketType } from "../../domain/catalog/TicketType.ts"
import type { AttendeeNamesPolicy } from "../../domain/orders/AttendeeNames.ts"
import { decodeCursor } from "../../domain/shared/Cursor.ts"
import type { EventId, SeatId, SectionId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import type { Currency } from "../../domain/shared/Money.ts"
import { pageOf } from "../../domain/shared/Page.ts"
import { userFromRow } from "../accounts/UserRepositoryPg.ts"
import { tracedCall } from "../sql/TraceContext.ts"

interface EventRow {
  readonly id: string
  readonly organizerId: string
  readonly title: string
  readonly description: string | null
  readonly venueName: string
  readonly venueAddress: string | null
  readonly venueTimezone: string
  readonly startsAt: Date
  readonly endsAt: Date | null
  readonly salesStartAt: Date | null
  readonly salesEndAt: Date | null
  readonly refundCutoffHours: number | null
  readonly status: "draft" | "published" | "cancelled"
  readonly version: number
  readonly createdAt: Date
  readonly updatedAt: Date
  readonly publishedAt: Date | null
  readonly cancelledAt: Date | null
}

interface TicketTypeRow {
  readonly id: string
  readonly eventId: string
  readonly name: string
  readonly priceMinor: string | number | bigint
  readonly currency: string
  readonly capacity: number
  readonly maxPerOrder: number
  readonly seated: boolean
  readonly held: number
  readonly sold: number
  readonly createdAt: Date
  readonly withheld?: number
  readonly attendeeNames: AttendeeNamesPolicy
}

const eventFromRow = (r: EventRow): Event =>
  new Event(
    {
      id: r.id as EventId,
      organizerId: r.organizerId as UserId,
      title: r.title,
      description: r.description,
      venue: new Venue(
        { name: r.venueName, address: r.venueAddress, timezone: r.venueTimezone },
        { disableChecks: true }
      ),
      startsAt: r.startsAt,
      endsAt: r.endsAt,
      salesStartAt: r.salesStartAt,
      salesEndAt: r.salesEndAt,
      status: r.status,
      version: r.version,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      publishedAt: r.publishedAt,
      cancelledAt: r.cancelledAt,
      refundCutoffHours: r.refundCutoffHours
    },
    { disableChecks: true }
  )

const eventToRow = (e: Event) => ({
  id: e.id,
  organizerId: e.organizerId,
  title: e.title,
  description: e.description,
  venueName: e.venue.name,
  venueAddress: e.venue.address,
  venueTimezone: e.venue.timezone,
  startsAt: e.startsAt,
  endsAt: e.endsAt,
  salesStartAt: e.salesStartAt,
  salesEndAt: e.salesEndAt,
  status: e.status === "ended" ? "published" : e.status,
  version: e.version,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  publishedAt: e.publishedAt,
  cancelledAt: e.cancelledAt,
  refundCutoffHours: e.refundCutoffHours
})

export const ticketTypeFromRow = (r: TicketTypeRow): TicketType =>
  new TicketType(
    {
      id: r.id as TicketTypeId,
      eventId: r.eventId as EventId,
      name: r.name,
      priceMinor: Number(r.priceMinor),
      currency: r.currency as Currency,
      capacity: r.capacity,
      maxPerOrder: r.maxPerOrder,
      seated: r.seated,
      held: r.held,
      sold: r.sold,
      createdAt: r.createdAt,
      withheld: r.withheld ?? 0,
      attendeeNames: r.attendeeNames
    },
    { disableChecks: true }
  )

/** Seats per INSERT: 9 parameters a seat, and @effect/sql-pg binds at most 32,767 parameters a statement. */
const SEAT_BATCH = 3_000

export const EventRepositoryPg = Layer.effect(
  EventRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const traced = tracedCall(sql)

    const page = (rows: ReadonlyArray<EventRow>, limit: number) =>
      pageOf(rows.map(eventFromRow), limit, (e) => ({ at: e.startsAt, id: e.id }))
    const after = (cursor: string | undefined) =>
      Option.match(Option.flatMap(Option.fromNullishOr(cursor), decodeCursor), {
        onNone: () => sql`true`,
        onSome: (c) => sql`(starts_at, id) > (${c.at}, ${c.id})`
      })

    const repository: EventRepositoryShape = {
      insert: (event) =>
        sql`INSERT INTO events ${sql.insert(eventToRow(event))}`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("EventRepository.insert")
        ),
      update: (event) => {
        const { id, version, createdAt, organizerId, ...fields } = eventToRow(event)
        return Effect.flatMap(
          traced.fromItem,
          (trace) => sql<EventRow>`UPDATE events SET ${sql.update({ ...fields, version: version + 1 })}
          FROM ${trace} WHERE id = ${id} AND version = ${version} RETURNING events.*`
        ).pipe(
          Effect.orDie,
          Effect.flatMap((rows) =>
            rows[0]
              ? Effect.succeed(eventFromRow(rows[0]))
              : Effect.fail(
                  new EventChangedConcurrently({
                    message: "the event was changed by another request; read it and retry"
                  })
                )
          ),
          Effect.withSpan("EventRepository.update")
        )
      },
      findById: (id) =>
        sql<EventRow>`SELECT * FROM events WHERE id = ${id}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), eventFromRow)),
          Effect.orDie,
          Effect.withSpan("EventRepository.findById")
        ),
      listByOrganizer: (organizerId, { cursor, limit }) =>
        sql<EventRow>`SELECT * FROM events WHERE organizer_id = ${organizerId} AND ${after(cursor)}
          ORDER BY starts_at, id LIMIT ${limit + 1}`.pipe(
          Effect.map((rows) => page(rows, limit)),
          Effect.orDie,
          Effect.withSpan("EventRepository.listByOrganizer")
        ),
      searchPublished: ({ text, from, to, cursor, limit }) => {
        const pattern = text ? `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined
        return sql<EventRow>`SELECT * FROM events WHERE ${sql.and([
          sql`status = 'published'`,
          from ? sql`starts_at >= ${from}` : sql`true`,
          to ? sql`starts_at <= ${to}` : sql`true`,
          pattern
            ? sql`(title ILIKE ${pattern} OR description ILIKE ${pattern} OR venue_name ILIKE ${pattern})`
            : sql`true`,
          after(cursor)
        ])} ORDER BY starts_at, id LIMIT ${limit + 1}`.pipe(
          Effect.map((rows) => page(rows, limit)),
          Effect.orDie,
          Effect.withSpan("EventRepository.searchPublished")
        )
      },
      insertTicketType: (t) =>
        sql`INSERT INTO ticket_types ${sql.insert({
          id: t.id,
          eventId: t.eventId,
          name: t.name,
          priceMinor: t.priceMinor,
          currency: t.currency,
          capacity: t.capacity,
          maxPerOrder: t.maxPerOrder,
          seated: t.seated,
          held: t.held,
          sold: t.sold,
          createdAt: t.createdAt,
          attendeeNames: t.attendeeNames
        })}`.pipe(Effect.asVoid, Effect.orDie, Effect.withSpan("EventRepository.insertTicketType")),
      listTicketTypes: (eventId) =>
        sql<TicketTypeRow>`SELECT * FROM ticket_types WHERE event_id = ${eventId} ORDER BY created_at, id`.pipe(
          Effect.map(Arr.map(ticketTypeFromRow)),
          Effect.orDie,
          Effect.withSpan("EventRepository.listTicketTypes")
        ),
      updateTicketType: (id, change) =>
        Effect.gen(function* () {
          const capacity = change.capacity ?? null
          const rows = yield* sql<TicketTypeRow>`UPDATE ticket_types SET
              name = COALESCE(${change.name ?? null}, name),
              price_minor = COALESCE(${change.priceMinor ?? null}::bigint, price_minor),
              capacity = COALESCE(${capacity}::int, capacity),
              max_per_order = COALESCE(${change.maxPerOrder ?? null}::int, max_per_order),
              attendee_names = COALESCE(${change.attendeeNames ?? null}, attendee_names)
            WHERE id = ${id} AND (${capacity}::int IS NULL OR held + sold + withheld <= ${capacity}::int)
            RETURNING *`
          if (rows[0]) return Option.some(ticketTypeFromRow(rows[0]))
          const current = yield* sql<{
            committed: number
          }>`SELECT held + sold + withheld AS committed FROM ticket_types WHERE id = ${id}`
          if (!current[0]) return Option.none()
          const committed = current[0].committed
          return yield* new CapacityBelowCommitted({
            committed,
            message: `capacity cannot drop below the ${committed} tickets already held or sold`
          })
        }).pipe(Effect.catchTag("SqlError", Effect.die), Effect.withSpan("EventRepository.updateTicketType")),
      replaceSeating: (eventId, sections, seats) =>
        Effect.gen(function* () {
          yield* sql`DELETE FROM seats WHERE event_id = ${eventId}`
          yield* sql`DELETE FROM sections WHERE event_id = ${eventId}`
          if (Arr.isReadonlyArrayNonEmpty(sections))
            yield* sql`INSERT INTO sections ${sql.insert(
              Arr.map(sections, (s) => ({ id: s.id, eventId: s.eventId, name: s.name, position: s.position }))
            )}`
          // Each seat carries its section's place in the venue: best available reads seats in venue order from one
          // index (migrations/0016_best_available_index.sql).
          const sectionPositions = new Map(sections.map((s) => [s.id, s.position]))
          for (const batch of Arr.chunksOf(seats, SEAT_BATCH))
            yield* sql`INSERT INTO seats ${sql.insert(
              Arr.map(batch, (s) => ({
                id: s.id,
                eventId: s.eventId,
                sectionId: s.sectionId,
                sectionPosition: sectionPositions.get(s.sectionId) ?? 0,
                rowLabel: s.row,
                rowPosition: s.rowPosition,
                label: s.label,
                position: s.position,
                ticketTypeId: s.ticketTypeId,
                status: s.status
              }))
            )}`
          yield* sql`UPDATE seats s SET row_size = c.n
            FROM (SELECT section_id, row_position, count(*)::int AS n FROM seats WHERE event_id = ${eventId} GROUP BY 1, 2) c
            WHERE s.event_id = ${eventId} AND s.section_id = c.section_id AND s.row_position = c.row_position`
          yield* sql`UPDATE ticket_types t SET
              capacity = CASE WHEN c.n > 0 THEN c.n WHEN t.seated THEN 0 ELSE t.capacity END,
              seated = c.n > 0
            FROM (SELECT tt.id, count(s.id)::int AS n FROM ticket_types tt
                  LEFT JOIN seats s ON s.ticket_type_id = tt.id
                  WHERE tt.event_id = ${eventId} GROUP BY tt.id) c
            WHERE t.id = c.id`
        }).pipe(
          sql.withTransaction,
          // A seat map arrives in one bulk insert; fresh statistics keep the seat lookups of the sale on their index.
          Effect.tap(() => sql`ANALYZE seats`),
          Effect.orDie,
          Effect.withSpan("EventRepository.replaceSeating")
        ),
      seatMap: (eventId) =>
        Effect.all(
          {
            sections: sql<{ id: string; eventId: string; name: string; position: number }>`
              SELECT * FROM sections WHERE event_id = ${eventId} ORDER BY position`,
            seats: sql<{
              id: string
              eventId: string
              sectionId: string
              rowLabel: string
              rowPosition: number
              label: string
              position: number
              ticketTypeId: string
              status: "available" | "held" | "sold"
            }>`SELECT s.* FROM seats s JOIN sections c ON c.id = s.section_id
               WHERE s.event_id = ${eventId} ORDER BY c.position, s.row_position, s.position`
          },
          { concurrency: 2 }
        ).pipe(
          Effect.map(({ sections, seats }) => ({
            sections: sections.map(
              (s) =>
                new Section(
                  { id: s.id as SectionId, eventId: s.eventId as EventId, name: s.name, position: s.position },
                  { disableChecks: true }
                )
            ),
            seats: seats.map(
              (s) =>
                new Seat(
                  {
                    id: s.id as SeatId,
                    eventId: s.eventId as EventId,
                    sectionId: s.sectionId as SectionId,
                    row: s.rowLabel,
                    rowPosition: s.rowPosition,
                    label: s.label,
                    position: s.position,
                    ticketTypeId: s.ticketTypeId as TicketTypeId,
                    status: s.status
                  },
                  { disableChecks: true }
                )
            )
          })),
          Effect.orDie,
          Effect.withSpan("EventRepository.seatMap")
        ),
      grantStaff: (eventId, userId, grantedBy, at) =>
        sql`INSERT INTO event_staff ${sql.insert({ eventId, userId, grantedBy, grantedAt: at })}
          ON CONFLICT (event_id, user_id) DO NOTHING`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("EventRepository.grantStaff")
        ),
      isStaff: (eventId, userId) =>
        sql`SELECT 1 FROM event_staff WHERE event_id = ${eventId} AND user_id = ${userId}`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("EventRepository.isStaff")
        ),
      listStaff: (eventId) =>
        sql<{
          id: string
          email: string
          name: string
          accountType: "customer" | "organizer"
          isAdmin: boolean
          createdAt: Date
          emailVerifiedAt: Date | null
          grantedAt: Date
        }>`SELECT u.id, u.email, u.name, u.account_type, u.is_admin, u.created_at, u.email_verified_at, s.granted_at
           FROM event_staff s JOIN users u ON u.id = s.user_id
           WHERE s.event_id = ${eventId} ORDER BY s.granted_at, u.id`.pipe(
          Effect.map(Arr.map((row) => ({ user: userFromRow(row), grantedAt: row.grantedAt }))),
          Effect.orDie,
          Effect.withSpan("EventRepository.listStaff")
        )
    }
    return repository
  })
)

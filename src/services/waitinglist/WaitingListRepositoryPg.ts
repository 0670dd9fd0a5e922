import { Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { EventId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import { type EntryStatus, WaitingListEntry, type WaitingListEntryId } from "../../domain/waitinglist/WaitingList.ts"
import { type JoinOutcome, WaitingListRepository } from "../../domain/waitinglist/WaitingListRepository.ts"

interface EntryRow {
  readonly id: string
  readonly eventId: string
  readonly ticketTypeId: string
  readonly customerId: string
  readonly position: string | number | bigint
  readonly status: string
  readonly offerHours: number
  readonly joinedAt: Date
  readonly offerCode: string | null
  readonly offeredAt: Date | null
  readonly offerExpiresAt: Date | null
}

const entryOf = (r: EntryRow) =>
  new WaitingListEntry(
    {
      id: r.id as WaitingListEntryId,
      eventId: r.eventId as EventId,
      ticketTypeId: r.ticketTypeId as TicketTypeId,
      customerId: r.customerId as UserId,
      position: Number(r.position),
      status: r.status as EntryStatus,
      offerHours: r.offerHours,
      joinedAt: r.joinedAt,
      offerCode: r.offerCode,
      offeredAt: r.offeredAt,
      offerExpiresAt: r.offerExpiresAt
    },
    // Rows the table's constraints keep valid: the schema checks are skipped.
    { disableChecks: true }
  )

/**
 * The waiting lists in `waiting_list_entries`, their offers in `vouchers` (migrations/0027_withheld_units_waiting_list.sql).
 * Offers are made by the database itself, in every transaction that frees units of a ticket type (a trigger).
 */
export const WaitingListRepositoryPg = Layer.effect(
  WaitingListRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    return WaitingListRepository.of({
      join: (entryId, customerId, ticketTypeId, offerHours, at) =>
        sql<{ outcome: string; entryId: string | null }>`
          SELECT * FROM join_waiting_list(${entryId}, ${customerId}, ${ticketTypeId}, ${offerHours}, ${at})`.pipe(
          Effect.map(([row]): JoinOutcome => {
            switch (row?.outcome) {
              case "joined":
                return { _tag: "Joined", entryId: row.entryId as WaitingListEntryId }
              case "already":
                return { _tag: "Already", entryId: row.entryId as WaitingListEntryId }
              case "closed":
                return { _tag: "Closed" }
              case "not_sold_out":
                return { _tag: "NotSoldOut" }
              default:
                return { _tag: "NotFound" }
            }
          }),
          Effect.orDie,
          Effect.withSpan("WaitingListRepository.join")
        ),
      leave: (customerId, ticketTypeId, at) =>
        sql<{ left: boolean }>`SELECT leave_waiting_list(${customerId}, ${ticketTypeId}, ${at}) AS left`.pipe(
          Effect.map((rows) => rows[0]?.left === true),
          Effect.orDie,
          Effect.withSpan("WaitingListRepository.leave")
        ),
      standing: (customerId, ticketTypeId) =>
        sql<{
          entryId: string
          status: "waiting" | "offered"
          linePosition: string | number
          waiting: string | number
          offerExpiresAt: Date | null
        }>`
          SELECT w.id AS entry_id, p.* FROM waiting_list_position(${customerId}, ${ticketTypeId}) p
          JOIN waiting_list_entries w ON w.customer_id = ${customerId} AND w.ticket_type_id = ${ticketTypeId}
            AND w.status IN ('waiting', 'offered')`.pipe(
          Effect.map((rows) =>
            Option.map(Option.fromNullishOr(rows[0]), (r) => ({
              entryId: r.entryId as WaitingListEntryId,
              status: r.status,
              position: Number(r.linePosition),
              waiting: Number(r.waiting),
              offerExpiresAt: r.offerExpiresAt
            }))
          ),
          Effect.orDie,
          Effect.withSpan("WaitingListRepository.standing")
        ),
      length: (ticketTypeId) =>
        sql<{ n: number }>`SELECT count(*)::int AS n FROM waiting_list_entries
          WHERE ticket_type_id = ${ticketTypeId} AND status = 'waiting'`.pipe(
          Effect.map((rows) => rows[0]?.n ?? 0),
          Effect.orDie,
          Effect.withSpan("WaitingListRepository.length")
        ),
      entries: (ticketTypeId) =>
        sql<EntryRow>`
          SELECT w.id, w.event_id, w.ticket_type_id, w.customer_id, w.position, w.status, w.offer_hours, w.joined_at,
                 v.code AS offer_code, w.offered_at, w.offer_expires_at
          FROM waiting_list_entries w LEFT JOIN vouchers v ON v.id = w.voucher_id
          WHERE w.ticket_type_id = ${ticketTypeId} ORDER BY w.position`.pipe(
          Effect.map((rows) => rows.map(entryOf)),
          Effect.orDie,
          Effect.withSpan("WaitingListRepository.entries")
        ),
      setOpen: (ticketTypeId, open) =>
        sql<{ id: string }>`UPDATE ticket_types SET waiting_list_open = ${open} WHERE id = ${ticketTypeId}
          AND NOT seated RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie,
          Effect.withSpan("WaitingListRepository.setOpen")
        ),
      isOpen: (ticketTypeId) =>
        sql<{ open: boolean }>`SELECT waiting_list_open AS open FROM ticket_types WHERE id = ${ticketTypeId}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), (r) => r.open)),
          Effect.orDie,
          Effect.withSpan("WaitingListRepository.isOpen")
        ),
      // The trigger on ticket_types made the offers already, in the transaction that freed the units.
      offerFreeUnits: () => Effect.succeed(0),
      expireOffers: (at, limit) =>
        sql<{ n: number }>`SELECT expire_withheld(${at}, ${limit}) AS n`.pipe(
          Effect.map((rows) => rows[0]?.n ?? 0),
          Effect.orDie,
          Effect.withSpan("WaitingListRepository.expireOffers")
        )
    })
  })
)

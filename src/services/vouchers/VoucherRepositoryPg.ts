import { Data, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { EventId, TicketTypeId, UserId } from "../../domain/shared/Ids.ts"
import { type DiscountKind, Voucher, type VoucherId } from "../../domain/vouchers/Voucher.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { isUniqueViolation } from "../sql/errors.ts"

interface VoucherRow {
  readonly id: string
  readonly eventId: string
  readonly code: string
  readonly kind: string
  readonly value: string | number
  readonly ticketTypeIds: ReadonlyArray<string>
  readonly validFrom: Date | null
  readonly validUntil: Date | null
  readonly maxRedemptions: number
  readonly redeemed: number
  readonly createdBy: string
  readonly createdAt: Date
  readonly reservedUnits: number | null
  readonly reservedLeft: number
  readonly accountId: string | null
}

const voucherOf = (row: VoucherRow) =>
  new Voucher(
    {
      id: row.id as VoucherId,
      eventId: row.eventId as EventId,
      code: row.code,
      kind: row.kind as DiscountKind,
      value: Number(row.value),
      ticketTypeIds: row.ticketTypeIds as ReadonlyArray<TicketTypeId>,
      validFrom: row.validFrom,
      validUntil: row.validUntil,
      maxRedemptions: row.maxRedemptions,
      redeemed: row.redeemed,
      createdBy: row.createdBy as UserId,
      createdAt: row.createdAt,
      reservedUnits: row.reservedUnits,
      reservedLeft: row.reservedLeft,
      accountId: row.accountId as UserId | null
    },
    // Rows the table's constraints keep valid: the schema checks are skipped.
    { disableChecks: true }
  )

/** A reserved quota whose units are not free: the batch is not stored. */
class UnitsNotFree extends Data.TaggedError("UnitsNotFree") {}

const uuidArray = (ids: ReadonlyArray<string>) => `{${ids.join(",")}}`

const chunks = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size))

/** The vouchers in `vouchers` and `voucher_redemptions` (migrations/0020_vouchers.sql). */
export const VoucherRepositoryPg = Layer.effect(
  VoucherRepository,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`id, event_id, code, kind, value, ticket_type_ids, valid_from, valid_until, max_redemptions,
      redeemed, created_by, created_at, reserved_units, reserved_left, account_id`

    return VoucherRepository.of({
      // In chunks (a statement takes at most 65,535 parameters), all in one transaction: every code or none.
      insertAll: (vouchers) =>
        Effect.forEach(
          chunks(vouchers, 1_000),
          (chunk) =>
            sql`INSERT INTO vouchers ${sql.insert(
              chunk.map((v) => ({
                id: v.id,
                eventId: v.eventId,
                code: v.code,
                kind: v.kind,
                value: v.value,
                ticketTypeIds: uuidArray(v.ticketTypeIds),
                validFrom: v.validFrom,
                validUntil: v.validUntil,
                maxRedemptions: v.maxRedemptions,
                redeemed: 0,
                createdBy: v.createdBy,
                createdAt: v.createdAt,
                reservedUnits: v.reservedUnits,
                reservedLeft: v.reservedUnits ?? 0,
                accountId: v.accountId
              })) as unknown as readonly [Record<string, unknown>, ...Array<Record<string, unknown>>]
            )}`
        ).pipe(
          // A reserved quota withholds its units in the same transaction, if they are free (else nothing is stored).
          Effect.andThen(
            Effect.forEach(
              [
                ...vouchers
                  .filter((v) => v.reservedUnits !== null)
                  .reduce(
                    (m, v) =>
                      m.set(
                        v.ticketTypeIds[0] as string,
                        (m.get(v.ticketTypeIds[0] as string) ?? 0) + (v.reservedUnits ?? 0)
                      ),
                    new Map<string, number>()
                  )
              ].sort(([a], [b]) => (a < b ? -1 : 1)),
              ([ticketTypeId, units]) =>
                sql<{ id: string }>`UPDATE ticket_types SET withheld = withheld + ${units}
                  WHERE id = ${ticketTypeId} AND NOT seated AND capacity - held - sold - withheld >= ${units}
                  RETURNING id`.pipe(
                  Effect.flatMap((rows) => (rows.length > 0 ? Effect.void : Effect.fail(new UnitsNotFree())))
                ),
              { discard: true }
            )
          ),
          sql.withTransaction,
          Effect.as(true),
          Effect.catchTag("UnitsNotFree", () => Effect.succeed(false)),
          Effect.catchIf(
            (e) => isUniqueViolation(e),
            () => Effect.succeed(false)
          ),
          Effect.orDie,
          Effect.withSpan("VoucherRepository.insertAll", { attributes: { count: vouchers.length } })
        ),
      findByCode: (eventId, code) =>
        sql<VoucherRow>`SELECT ${columns} FROM vouchers WHERE event_id = ${eventId} AND code = ${code}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), voucherOf)),
          Effect.orDie,
          Effect.withSpan("VoucherRepository.findByCode")
        ),
      listForEvent: (eventId) =>
        sql<VoucherRow>`SELECT ${columns} FROM vouchers WHERE event_id = ${eventId} ORDER BY created_at, id`.pipe(
          Effect.map((rows) => rows.map(voucherOf)),
          Effect.orDie,
          Effect.withSpan("VoucherRepository.listForEvent")
        ),
      // One statement: the guarded update takes the redemption (or finds none left), the insert records whose it is.
      // Under READ COMMITTED a racing update waits for the row and re-checks `redeemed < max_redemptions` on the
      // committed count, so the count never passes the maximum.
      redeem: (voucherId, reservationId, at) =>
        sql<{ n: number }>`
          WITH existing AS (SELECT 1 FROM voucher_redemptions WHERE reservation_id = ${reservationId}),
          taken AS (
            UPDATE vouchers SET redeemed = redeemed + 1
            WHERE id = ${voucherId} AND redeemed < max_redemptions AND NOT EXISTS (SELECT 1 FROM existing)
            RETURNING id, event_id),
          recorded AS (
            INSERT INTO voucher_redemptions (reservation_id, voucher_id, event_id, redeemed_at)
            SELECT ${reservationId}, id, event_id, ${at} FROM taken RETURNING 1)
          SELECT ((SELECT count(*) FROM recorded) + (SELECT count(*) FROM existing))::int AS n`.pipe(
          Effect.map((rows) => (rows[0]?.n ?? 0) > 0),
          Effect.orDie,
          Effect.withSpan("VoucherRepository.redeem")
        ),
      recordDiscount: (reservationId, discountMinor) =>
        sql`UPDATE voucher_redemptions SET discount_minor = ${discountMinor}
            WHERE reservation_id = ${reservationId}`.pipe(
          Effect.asVoid,
          Effect.orDie,
          Effect.withSpan("VoucherRepository.recordDiscount")
        ),
      giveBack: (reservationIds) =>
        reservationIds.length === 0
          ? Effect.succeed(0)
          : sql<{ n: number }>`SELECT give_back_redemptions(${uuidArray(reservationIds)}::uuid[]) AS n`.pipe(
              Effect.map((rows) => rows[0]?.n ?? 0),
              Effect.orDie,
              Effect.withSpan("VoucherRepository.giveBack")
            ),
      totalsForEvent: (eventId) =>
        sql<{ redemptions: number; discountMinor: string | number }>`
          SELECT count(*)::int AS redemptions, coalesce(sum(discount_minor), 0) AS discount_minor
          FROM voucher_redemptions WHERE event_id = ${eventId}`.pipe(
          Effect.map((rows) => ({
            redemptions: rows[0]?.redemptions ?? 0,
            discountMinor: Number(rows[0]?.discountMinor ?? 0)
          })),
          Effect.orDie,
          Effect.withSpan("VoucherRepository.totalsForEvent")
        )
    })
  })
)

import { Config, Effect, Option } from "effect"
import type { SqlClient, SqlError } from "effect/sql"
import type { PlaceHold } from "../../domain/reservations/ReservationRepository.ts"
import { makeCallGroups } from "../sql/CallGroups.ts"
import { currentTraceparent } from "../sql/TraceContext.ts"
import type { PlaceHoldRow } from "./PlaceHoldAnswer.ts"

/**
 * GROUPED_HOLDS: `on` (the default) places the holds that queue for the same ticket types in one transaction
 * (place_holds: migrations/0030_grouped_holds.sql, and 0031_grouped_seat_holds.sql for seats); `off` places every
 * hold on its own (for comparison, or as an escape hatch).
 */
export const GroupedHoldsConfig = Config.Literals(["on", "off"], "GROUPED_HOLDS").pipe(
  Config.withDefault("on"),
  Config.map((v) => v === "on")
)

/** Transactions of one ticket type's holds at once: one commits while the next is on its way to the row. */
const MAX_RUNNING = 2
/** Holds per transaction: each is a subtransaction, and PostgreSQL keeps up to 64 per transaction in shared memory. */
const MAX_GROUP = 32

type PlaceOnce = (hold: PlaceHold, at: Date) => Effect.Effect<ReadonlyArray<PlaceHoldRow>, SqlError.SqlError>

interface Waiting {
  readonly hold: PlaceHold
  readonly at: Date
  readonly traceparent: string
}

interface GroupRow extends PlaceHoldRow {
  readonly idx: number
}

const asJson = ({ at, hold, traceparent }: Waiting) => ({
  reservationId: hold.reservationId,
  customerId: hold.customerId,
  eventId: hold.eventId,
  items: hold.items,
  seatIds: hold.seatIds,
  expiresAt: hold.expiresAt,
  customerLimit: hold.customerLimit,
  key: hold.idempotency?.key ?? null,
  requestHash: hold.idempotency?.requestHash ?? null,
  keyExpiresAt: hold.idempotency?.expiresAt ?? null,
  now: at,
  traceparent
})

/**
 * The ticket types a hold ends on (their rows are the hot ones), or undefined when they are not known (seats whose
 * types were not given). Holds of seats are grouped since 2026-12-05: with SeatClaims keeping concurrent buyers'
 * choices apart, they had sold out in about the same time grouped or not while the service's CPU was the limit (7.0 s
 * against 6.8, Node 22); on Node 24 the limit was the ticket type's row, each hold waiting for the commit of the one
 * before it (bench:flash-sale, seated best available; README: Benchmark: the flash sale).
 */
const contendedRows = (hold: PlaceHold) => {
  const types = hold.seatIds === undefined ? hold.items?.map((i) => i.ticketTypeId) : hold.seatTypeIds
  if (types === undefined || types.length === 0) return undefined
  if (types.length === 1) return types[0]
  // One key per set of types, however the hold lists them (a hold of seats names a type once per seat).
  return [...new Set(types)].sort().join(",")
}

/**
 * `placeOnce` with grouping (CallGroups): a hold that finds its ticket types busy with two transactions waits, and the
 * holds waiting by then are placed together when one ends, each with its own outcome. Inside a caller's transaction,
 * for seats of unknown types, or with GROUPED_HOLDS=off, a hold is placed on its own as before.
 */
export const groupedHolds = (sql: SqlClient.SqlClient, placeOnce: PlaceOnce) =>
  Effect.gen(function* () {
    // A setting that does not read (not on or off) is a defect of the deployment, as a missing database is.
    if (!(yield* Effect.orDie(GroupedHoldsConfig))) return placeOnce
    const fork = Effect.runForkWith(yield* Effect.context<never>())
    const groups = makeCallGroups<Waiting, ReadonlyArray<PlaceHoldRow>>({
      maxRunning: MAX_RUNNING,
      maxGroup: MAX_GROUP,
      runGroup: (waiting) =>
        sql<GroupRow>`SELECT * FROM place_holds(${JSON.stringify(waiting.map(asJson))}::jsonb)`.pipe(
          Effect.map((rows) => {
            const answers: Array<ReadonlyArray<PlaceHoldRow> | undefined> = new Array(waiting.length).fill(undefined)
            // A hold that lost the race for its Idempotency-Key runs again on its own, and replays the winner's.
            for (const row of rows) if (row.outcome !== "idempotency_race") answers[row.idx - 1] = [row]
            return answers
          }),
          // One span per group, in a fiber of its own: without the stack trace withSpan would capture per call.
          Effect.withSpan(
            "ReservationRepository.placeGroup",
            { attributes: { holds: waiting.length } },
            { captureStackTrace: false }
          )
        ),
      fork: (effect) => {
        fork(effect)
      }
    })
    const place: PlaceOnce = (hold, at) => {
      const key = contendedRows(hold)
      if (key === undefined) return placeOnce(hold, at)
      return Effect.flatMap(Effect.serviceOption(sql.transactionService), (transaction) =>
        Option.isSome(transaction)
          ? placeOnce(hold, at)
          : Effect.flatMap(currentTraceparent, (traceparent) =>
              // Its statement is built only if it runs alone (most holds of a sale run in a group).
              groups.call(
                key,
                { hold, at, traceparent },
                Effect.suspend(() => placeOnce(hold, at))
              )
            )
      )
    }
    return place
  })

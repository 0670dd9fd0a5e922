import { Effect } from "effect"
import type { HoldRequest } from "../../domain/reservations/HoldRequest.ts"
import { hotCounter } from "../observability/Metrics.ts"

const KINDS = ["general_admission", "chosen_seats", "best_available"] as const
const REASONS = [
  "sold_out",
  "seat_unavailable",
  "max_per_order_exceeded",
  "customer_limit_exceeded",
  "sales_closed",
  "event_not_on_sale",
  "invalid_hold",
  "event_not_found",
  "idempotency_key_reused"
] as const

export const holdsPlaced = hotCounter({
  name: "goticket_holds_placed_total",
  help: "Holds placed (replays of a hold already placed are not counted), by kind of hold",
  labelNames: ["kind"],
  zeroes: KINDS.map((kind) => ({ kind }))
})

export const holdsRefused = hotCounter({
  name: "goticket_holds_refused_total",
  help: "Holds refused, by reason (the refusal's code: sold_out, max_per_order_exceeded, ...)",
  labelNames: ["reason"],
  zeroes: REASONS.map((reason) => ({ reason }))
})

/** Children per label value, so that counting is an increment (no label hashing per hold). */
const placedBy = new Map(KINDS.map((kind) => [kind, holdsPlaced.labels(kind)]))
const refusedBy = new Map<string, ReturnType<typeof holdsRefused.labels>>(
  REASONS.map((reason) => [reason, holdsRefused.labels(reason)])
)
const refused = (reason: string) => {
  let found = refusedBy.get(reason)
  if (found === undefined) {
    found = holdsRefused.labels(reason)
    refusedBy.set(reason, found)
  }
  return found
}

const kindOf = (request: HoldRequest) =>
  "items" in request ? "general_admission" : "seats" in request ? "chosen_seats" : "best_available"

const snake = (tag: string) => tag.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase()

/** The refusal's code when it has one (every hold refusal does), else its tag in snake case. */
const reasonOf = (error: unknown) => {
  const { code, _tag } = error as { code?: unknown; _tag?: unknown }
  return typeof code === "string" ? code : typeof _tag === "string" ? snake(_tag) : "other"
}

/** Counts what a hold ends with: placed (by kind) or refused (by reason). Defects and interruptions are not counted. */
export const countedHold =
  <Args extends [unknown, HoldRequest, ...Array<unknown>], A extends { readonly replayed: boolean }, E, R>(
    hold: (...args: Args) => Effect.Effect<A, E, R>
  ) =>
  (...args: Args): Effect.Effect<A, E, R> =>
    hold(...args).pipe(
      Effect.tap((placed) =>
        Effect.sync(() => {
          if (!placed.replayed) placedBy.get(kindOf(args[1]))?.inc()
        })
      ),
      Effect.tapError((error) => Effect.sync(() => refused(reasonOf(error)).inc()))
    )

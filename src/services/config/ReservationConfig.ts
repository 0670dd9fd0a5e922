import { Config } from "effect"
import { bounded } from "./bounded.ts"

/** Knobs of holds and their caches; README.md lists them. */
export const ReservationConfig = Config.all({
  holdTtlSeconds: bounded("HOLD_TTL_SECONDS", 600, 1, 86_400, "seconds"),
  expiryIntervalMs: bounded("HOLD_EXPIRY_INTERVAL_MS", 1_000, 50, 60_000, "milliseconds"),
  customerTicketLimit: bounded("CUSTOMER_TICKET_LIMIT", 10, 1, 1_000_000, "tickets"),
  idempotencyKeyTtlHours: bounded("IDEMPOTENCY_KEY_TTL_HOURS", 24, 1, 720, "hours"),
  soldOutFlagTtlMs: bounded("SOLD_OUT_FLAG_TTL_MS", 2_000, 100, 60_000, "milliseconds"),
  viewCacheTtlMs: bounded("VIEW_CACHE_TTL_MS", 5_000, 100, 300_000, "milliseconds")
})
export type ReservationConfig = Config.Success<typeof ReservationConfig>

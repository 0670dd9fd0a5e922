import { Effect, Layer, Metric, Schedule } from "effect"
import { ReservationConfig } from "../config/ReservationConfig.ts"
import { Reservations } from "./Reservations.ts"

export const holdsExpired = Metric.counter("goticket_holds_expired_total", {
  description: "Holds ended by the expiry job",
  incremental: true
})
/** How late a hold was given back after its expiry: the job's lag, bounded by its interval plus one pass. */
export const expiryLagSeconds = Metric.histogram("goticket_hold_expiry_lag_seconds", {
  boundaries: Metric.exponentialBoundaries({ start: 0.01, factor: 2, count: 12 }),
  description: "Delay between a hold's expiry and the moment its seats came back on sale"
})

/**
 * Expires due holds every HOLD_EXPIRY_INTERVAL_MS, whoever created them and whether or not that process is alive.
 * Safe with several instances: each pass skips the holds another one has locked.
 */
export const ExpiryWorkerLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const reservations = yield* Reservations
    const config = yield* ReservationConfig
    const pass = reservations.expireDue(500).pipe(
      Effect.tap(({ expired, maxLagMs }) =>
        expired === 0
          ? Effect.void
          : Effect.all([
              Metric.update(holdsExpired, expired),
              Metric.update(expiryLagSeconds, maxLagMs / 1000),
              Effect.logInfo("holds expired").pipe(Effect.annotateLogs({ expired, maxLagMs }))
            ])
      ),
      Effect.catchCause((cause) => Effect.logError("hold expiry pass failed; retrying next interval", cause))
    )
    yield* pass.pipe(Effect.repeat(Schedule.spaced(config.expiryIntervalMs)), Effect.forkScoped)
  })
)

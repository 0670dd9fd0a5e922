import { Effect, Layer, Schedule } from "effect"
import { ReservationConfig } from "../config/ReservationConfig.ts"
import { WaitingLists } from "./WaitingLists.ts"

/**
 * The waiting-list step of the expiry job, every HOLD_EXPIRY_INTERVAL_MS: withheld pools whose voucher is past its
 * validity (offers not used in time) are given up, so their units pass to the next in line or back on sale. Safe
 * with several instances: each pass skips the pools another one has locked.
 */
export const WaitingListExpiryLive = Layer.effectDiscard(
  Effect.gen(function* () {
    const lists = yield* WaitingLists
    const config = yield* ReservationConfig
    const pass = lists.expireOffers(500).pipe(
      Effect.tap((given) =>
        given === 0 ? Effect.void : Effect.logInfo("waiting-list offers passed on").pipe(Effect.annotateLogs({ given }))
      ),
      Effect.catchCause((cause) => Effect.logError("waiting-list expiry pass failed; retrying next interval", cause))
    )
    yield* pass.pipe(Effect.repeat(Schedule.spaced(config.expiryIntervalMs)), Effect.forkScoped)
  })
)

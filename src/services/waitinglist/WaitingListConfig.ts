import { Config } from "effect"
import { MAX_OFFER_HOURS, MIN_OFFER_HOURS } from "../../domain/waitinglist/WaitingListRules.ts"
import { bounded } from "../config/bounded.ts"

/** Knobs of the waiting lists; README.md lists them. */
export const WaitingListConfig = Config.all({
  offerHours: bounded("WAITING_LIST_OFFER_HOURS", 24, MIN_OFFER_HOURS, MAX_OFFER_HOURS, "hours")
})
export type WaitingListConfig = Config.Success<typeof WaitingListConfig>

import { Context, type Effect } from "effect"
import type { UserNotFound } from "../accounts/errors.ts"
import type { EndedHold } from "../reservations/ReservationRepository.ts"
import type { UserId } from "../shared/Ids.ts"
import type { ErasureRefused } from "./errors.ts"
import type { PersonalDataExport } from "./PersonalDataExport.ts"

/** What an erasure did that others must hear about: the holds it released (their cached views are stale). */
export interface Erasure {
  readonly releasedHolds: ReadonlyArray<EndedHold>
}

/**
 * Port: the personal data of one account, across every context (accounts, catalog, reservations, orders,
 * webhooks). An erased account reads as unknown (`UserNotFound`). Times are given by the caller.
 */
export interface PersonalDataShape {
  /** Everything held about the account, read in one consistent snapshot. */
  readonly exportFor: (userId: UserId, at: Date) => Effect.Effect<PersonalDataExport, UserNotFound>
  /**
   * Pseudonymises the account in one transaction (see Erasure.ts): email, name and password hash replaced, its live
   * holds released, its webhook endpoints, staff grants and idempotency keys deleted; orders, tickets and refunds
   * are left exactly as they were. Refused while one of its orders waits for payment, or while it organizes a
   * published event still to come; a refusal changes nothing.
   */
  readonly erase: (userId: UserId, at: Date) => Effect.Effect<Erasure, UserNotFound | ErasureRefused>
}

export class PersonalData extends Context.Service<PersonalData, PersonalDataShape>()("goticket/PersonalData") {}

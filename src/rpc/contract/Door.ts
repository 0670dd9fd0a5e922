import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { AlreadyCheckedIn, CheckInRefused } from "../../domain/orders/errors.ts"
import { Ticket } from "../../domain/orders/Order.ts"
import { EventId, TicketId } from "../../domain/shared/Ids.ts"
import { RequiredScope, ServiceAuth } from "./Common.ts"

/** A ticket code as printed (`GT1.<ids>.<MAC>`); anything longer is not one of ours. */
export const TicketCode = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(512))

export const MAX_SCANS_PER_UPLOAD = 1_000

/** One scan a gate device made while offline. */
export const OfflineScan = Schema.Struct({ code: TicketCode, scannedAt: Schema.DateFromString })

/** What became of one uploaded scan. */
export const ScanResult = Schema.Struct({
  code: TicketCode,
  scannedAt: Schema.DateFromString,
  /** `admitted`: this scan checked the ticket in; `conflict`: it was checked in before (by `firstCheckedInAt`). */
  outcome: Schema.Literals(["admitted", "conflict", "refused"]),
  ticketId: Schema.NullOr(TicketId),
  firstCheckedInAt: Schema.NullOr(Schema.DateFromString),
  /** Why a refused scan does not admit: forged_code, other_event, ticket_voided. */
  refusal: Schema.NullOr(Schema.String)
})

export const ScanUploadResult = Schema.Struct({
  results: Schema.Array(ScanResult),
  admitted: Schema.Int,
  conflicts: Schema.Int,
  refused: Schema.Int
})

export const VoidedCodes = Schema.Struct({
  eventId: EventId,
  at: Schema.DateFromString,
  /** The codes of every voided (refunded) ticket of the event: a gate offline refuses them. */
  codes: Schema.Array(TicketCode)
})

/** `door:scan`, for the events the key names (every payload says which event). */
export const DoorRpcs = RpcGroup.make(
  /** Admits a ticket exactly once, as the REST check-in does; a second scan is AlreadyCheckedIn with the first time. */
  Rpc.make("CheckIn", {
    payload: { eventId: EventId, code: TicketCode },
    success: Ticket,
    error: Schema.Union([CheckInRefused, AlreadyCheckedIn, EventNotFound])
  }),
  /**
   * Scans a gate made offline, applied in the order they were scanned: the first scan of a ticket to reach the
   * server admits it, every later one (in this batch or already recorded) is a conflict, reported per code.
   */
  Rpc.make("UploadScans", {
    payload: {
      eventId: EventId,
      deviceId: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100)),
      scans: Schema.Array(OfflineScan).check(Schema.isMinLength(1), Schema.isMaxLength(MAX_SCANS_PER_UPLOAD))
    },
    success: ScanUploadResult,
    error: EventNotFound
  }),
  Rpc.make("VoidedCodes", { payload: { eventId: EventId }, success: VoidedCodes, error: EventNotFound })
)
  .middleware(ServiceAuth)
  .annotateRpcs(RequiredScope, {
    scope: "door:scan",
    eventIdOf: (payload) => (payload as { readonly eventId?: string }).eventId
  })

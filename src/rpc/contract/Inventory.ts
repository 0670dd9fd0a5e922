import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { EventStatus } from "../../domain/catalog/Event.ts"
import { EventNotFound } from "../../domain/catalog/errors.ts"
import { EventId, SectionId, TicketTypeId } from "../../domain/shared/Ids.ts"
import { RequiredScope, ServiceAuth } from "./Common.ts"

export const TicketTypeAvailability = Schema.Struct({
  ticketTypeId: TicketTypeId,
  name: Schema.String,
  seated: Schema.Boolean,
  capacity: Schema.Int,
  held: Schema.Int,
  sold: Schema.Int,
  available: Schema.Int
})

export const SectionAvailability = Schema.Struct({
  sectionId: SectionId,
  name: Schema.String,
  seats: Schema.Int,
  available: Schema.Int,
  /** Available seats of the section per ticket type (price category). */
  byTicketType: Schema.Array(Schema.Struct({ ticketTypeId: TicketTypeId, available: Schema.Int }))
})

/**
 * An event's availability at one moment: per ticket type, and per section of its seat map (none for general
 * admission). `version` grows with every change the server has seen, so a client can tell newer from older.
 */
export const EventAvailability = Schema.Struct({
  eventId: EventId,
  status: EventStatus,
  version: Schema.Int,
  at: Schema.DateFromString,
  ticketTypes: Schema.Array(TicketTypeAvailability),
  sections: Schema.Array(SectionAvailability)
})
export type EventAvailability = typeof EventAvailability.Type

const forEvent = { eventId: EventId }

/** `inventory:read`: what is left to sell. Published events only (a draft is not found). */
export const InventoryRpcs = RpcGroup.make(
  Rpc.make("Availability", { payload: forEvent, success: EventAvailability, error: EventNotFound }),
  /**
   * The event's availability now, then again whenever it changed: snapshots, coalesced (at most one per
   * RPC_AVAILABILITY_INTERVAL_MS however many holds happen, and a slow reader gets the latest one, never a backlog).
   */
  Rpc.make("AvailabilityChanges", {
    payload: forEvent,
    success: EventAvailability,
    error: EventNotFound,
    stream: true
  })
)
  .middleware(ServiceAuth)
  .annotateRpcs(RequiredScope, { scope: "inventory:read" })

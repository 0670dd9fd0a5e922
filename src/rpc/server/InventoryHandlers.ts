import { Effect } from "effect"
import { Availability } from "../../services/inventory/Availability.ts"
import { InventoryRpcs } from "../contract/Inventory.ts"

/** Inventory over RPC: an event's availability (as GET /v1/events/{id} counts it), once or as a coalesced stream. */
export const InventoryHandlersLive = InventoryRpcs.toLayer(
  Effect.gen(function* () {
    const availability = yield* Availability
    return InventoryRpcs.of({
      Availability: ({ eventId }) => availability.snapshot(eventId),
      AvailabilityChanges: ({ eventId }) => availability.changes(eventId)
    })
  })
)

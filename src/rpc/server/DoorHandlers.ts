import { Effect } from "effect"
import { Door } from "../../services/door/Door.ts"
import { Orders } from "../../services/orders/Orders.ts"
import { DoorRpcs } from "../contract/Door.ts"
import { currentKeyActor } from "./ServiceAuthLive.ts"

/** Door over RPC: the check-in of POST /v1/events/{id}/check-ins, offline uploads and the void list (Door). */
export const DoorHandlersLive = DoorRpcs.toLayer(
  Effect.gen(function* () {
    const orders = yield* Orders
    const door = yield* Door
    return DoorRpcs.of({
      CheckIn: ({ eventId, code }) =>
        Effect.flatMap(currentKeyActor, (actor) => orders.checkIn(actor, eventId, code)).pipe(
          // The key's scope names the event, and a key acts with an admin's reach: never Forbidden.
          Effect.catchTag("Forbidden", Effect.die)
        ),
      UploadScans: ({ eventId, scans }) =>
        Effect.flatMap(currentKeyActor, (actor) => door.uploadScans(actor, eventId, scans)).pipe(
          Effect.map((results) => ({
            results,
            admitted: results.filter((r) => r.outcome === "admitted").length,
            conflicts: results.filter((r) => r.outcome === "conflict").length,
            refused: results.filter((r) => r.outcome === "refused").length
          })),
          // Door.uploadScans turns refusals and conflicts into results; what is left is a defect.
          Effect.catchTag(["Forbidden", "CheckInRefused", "AlreadyCheckedIn"], Effect.die)
        ),
      VoidedCodes: ({ eventId }) =>
        Effect.flatMap(currentKeyActor, (actor) => door.voidedCodes(actor, eventId)).pipe(
          Effect.catchTag("Forbidden", Effect.die)
        )
    })
  })
)

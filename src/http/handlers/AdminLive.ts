import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { AuditEntry, AuditLog, actedBy } from "../../domain/audit/AuditLog.ts"
import { EventBus } from "../../domain/events/EventBus.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"

const adminOnly = Effect.flatMap(CurrentActor, (actor) =>
  actor.isAdmin ? Effect.void : Effect.fail(new Forbidden({ message: "only admins manage dead letters" }))
)

export const AdminLive = HttpApiBuilder.group(GoTicketApi, "admin", (handlers) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const audit = yield* AuditLog
    /** A replay changes the broker, not the database: there is no transaction to share, so it is recorded after. */
    const replayed = (
      consumer: string,
      eventIds: ReadonlyArray<string> | undefined,
      outcome: "success" | "denied",
      count: number | null
    ) =>
      Effect.flatMap(CurrentActor, (actor) =>
        audit.record(
          new AuditEntry({
            ...actedBy(actor),
            action: "admin.dead_letters_replayed",
            outcome,
            resourceType: "consumer",
            resourceId: consumer,
            summary: {
              after: {
                requested: eventIds === undefined ? "all" : eventIds.length,
                ...(count === null ? {} : { replayed: count })
              }
            }
          })
        )
      )
    return handlers
      .handle("deadLetters", ({ params }) =>
        Effect.andThen(adminOnly, bus.deadLetters(params.consumer)).pipe(
          Effect.map((letters) =>
            letters.map((letter) => ({
              eventId: letter.envelope.id,
              type: letter.envelope.type,
              aggregateId: letter.envelope.aggregateId,
              occurredAt: letter.envelope.occurredAt,
              attempts: letter.attempts,
              lastError: letter.lastError,
              deadAt: letter.deadAt
            }))
          )
        )
      )
      .handle("replayDeadLetters", ({ params, payload }) =>
        adminOnly.pipe(
          Effect.tapError(() => replayed(params.consumer, payload.eventIds, "denied", null)),
          Effect.andThen(bus.replayDeadLetters(params.consumer, payload.eventIds)),
          Effect.tap((count) => replayed(params.consumer, payload.eventIds, "success", count)),
          Effect.map((count) => ({ replayed: count }))
        )
      )
  })
)

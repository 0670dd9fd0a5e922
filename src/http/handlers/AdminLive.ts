import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { EventBus } from "../../domain/events/EventBus.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"

const adminOnly = Effect.flatMap(CurrentActor, (actor) =>
  actor.isAdmin ? Effect.void : Effect.fail(new Forbidden({ message: "only admins manage dead letters" }))
)

export const AdminLive = HttpApiBuilder.group(GoTicketApi, "admin", (handlers) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    return handlers
      .handle("deadLetters", ({ path }) =>
        Effect.zipRight(adminOnly, bus.deadLetters(path.consumer)).pipe(
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
      .handle("replayDeadLetters", ({ path, payload }) =>
        Effect.zipRight(adminOnly, bus.replayDeadLetters(path.consumer, payload.eventIds)).pipe(
          Effect.map((replayed) => ({ replayed }))
        )
      )
  })
)

import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { WaitingLists } from "../../services/waitinglist/WaitingLists.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"

export const WaitingListsLive = HttpApiBuilder.group(GoTicketApi, "waitingLists", (handlers) =>
  Effect.gen(function* () {
    const lists = yield* WaitingLists
    return handlers
      .handle("join", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => lists.join(actor, params.eventId, params.ticketTypeId))
      )
      .handle("standing", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => lists.standing(actor, params.eventId, params.ticketTypeId))
      )
      .handle("leave", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => lists.leave(actor, params.eventId, params.ticketTypeId))
      )
      .handle("summary", ({ params }) => Effect.flatMap(CurrentActor, (actor) => lists.summary(actor, params.eventId)))
      .handle("settings", ({ params, payload }) =>
        Effect.flatMap(CurrentActor, (actor) => lists.setOpen(actor, params.eventId, params.ticketTypeId, payload.open))
      )
  })
)

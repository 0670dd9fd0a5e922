import { Effect, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { ServiceKeys } from "../../services/servicekeys/ServiceKeys.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"

/**
 * The service keys for an admin signed in over REST: ServiceKeys, exactly as the RPC procedures (`ServiceKeys`,
 * `CreateServiceKey`, `RevokeServiceKey`) and `goticket keys` use it; the service refuses non-admins (and audits it).
 */
export const ServiceKeysLive = HttpApiBuilder.group(GoTicketApi, "serviceKeys", (handlers) =>
  Effect.gen(function* () {
    const keys = yield* ServiceKeys
    return handlers
      .handle("list", () => Effect.flatMap(CurrentActor, (actor) => keys.list(actor)))
      .handle("create", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          keys.create(actor, {
            name: payload.name,
            scopes: payload.scopes,
            doorEvents: payload.doorEvents ?? [],
            expiresAt: payload.expiresAt ?? null
          })
        ).pipe(Effect.map((created) => ({ key: created.key, secret: Redacted.value(created.secret) })))
      )
      .handle("revoke", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => keys.revoke(actor, params.serviceKeyId))
      )
  })
)

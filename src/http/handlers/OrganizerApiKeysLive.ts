import { Effect, Redacted } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import type { OrganizerApiKey } from "../../domain/organizerkeys/OrganizerApiKey.ts"
import { OrganizerApiKeys } from "../../services/organizerkeys/OrganizerApiKeys.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"

const keyView = (key: OrganizerApiKey) => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  access: key.access,
  events: key.events,
  createdAt: key.createdAt,
  expiresAt: key.expiresAt,
  lastUsedAt: key.lastUsedAt,
  revokedAt: key.revokedAt
})

export const OrganizerApiKeysLive = HttpApiBuilder.group(GoTicketApi, "organizerApiKeys", (handlers) =>
  Effect.gen(function* () {
    const keys = yield* OrganizerApiKeys
    return handlers
      .handle("create", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) =>
          keys.create(actor, {
            name: payload.name,
            access: payload.access,
            events: payload.events ?? null,
            expiresAt: payload.expiresAt ?? null
          })
        ).pipe(Effect.map(({ key, secret }) => ({ ...keyView(key), secret: Redacted.value(secret) })))
      )
      .handle("list", () =>
        Effect.flatMap(CurrentActor, (actor) => keys.list(actor)).pipe(Effect.map((all) => all.map(keyView)))
      )
      .handle("revoke", ({ params }) =>
        Effect.flatMap(CurrentActor, (actor) => keys.revoke(actor, params.keyId)).pipe(Effect.map(keyView))
      )
  })
)

import { Effect, Redacted } from "effect"
import { HttpEffect, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Privacy } from "../../services/privacy/Privacy.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { enforceRate } from "./rateLimits.ts"

/** The export is a download, and personal data is never kept by a cache on the way. */
const asAttachment = HttpEffect.appendPreResponseHandler((_request, response) =>
  Effect.succeed(
    HttpServerResponse.setHeaders(response, {
      "content-disposition": 'attachment; filename="goticket-export.json"',
      "cache-control": "no-store"
    })
  )
)

export const PrivacyLive = HttpApiBuilder.group(GoTicketApi, "privacy", (handlers) =>
  Effect.gen(function* () {
    const privacy = yield* Privacy
    return handlers
      .handle("exportMyData", () => Effect.flatMap(CurrentActor, privacy.export).pipe(Effect.tap(() => asAttachment)))
      .handle("eraseMe", ({ payload }) =>
        Effect.flatMap(CurrentActor, (actor) => privacy.erase(actor, Redacted.make(payload.password))).pipe(
          // Too many wrong passwords for this account: 429 with Retry-After, as for login.
          Effect.catchTag("ErasurePaused", (paused) => enforceRate(paused.rated))
        )
      )
  })
)

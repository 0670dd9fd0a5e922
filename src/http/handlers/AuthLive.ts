import { HttpApiBuilder } from "@effect/platform"
import { Effect, Redacted } from "effect"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Accounts } from "../../services/accounts/Accounts.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { userView } from "./views.ts"

export const AuthLive = HttpApiBuilder.group(GoTicketApi, "auth", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    return handlers
      .handle("register", ({ payload }) =>
        accounts.register({ ...payload, password: Redacted.make(payload.password) }).pipe(Effect.map(userView))
      )
      .handle("login", ({ payload }) =>
        accounts
          .login(payload.email, Redacted.make(payload.password))
          .pipe(Effect.map((token) => ({ ...token, tokenType: "Bearer" as const })))
      )
  })
)

export const MeLive = HttpApiBuilder.group(GoTicketApi, "me", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    return handlers.handle("me", () => Effect.flatMap(CurrentActor, accounts.profile).pipe(Effect.map(userView)))
  })
)

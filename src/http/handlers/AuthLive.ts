import { HttpApiBuilder } from "@effect/platform"
import { Effect, Redacted } from "effect"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Accounts, type IssuedTokens } from "../../services/accounts/Accounts.ts"
import { LoginThrottle } from "../../services/security/LoginThrottle.ts"
import { GoTicketApi } from "../api/GoTicketApi.ts"
import { enforceRate } from "./rateLimits.ts"
import { userView } from "./views.ts"

const accessTokenView = (tokens: IssuedTokens) => ({
  accessToken: tokens.accessToken,
  tokenType: "Bearer" as const,
  expiresIn: tokens.expiresIn,
  refreshToken: Redacted.value(tokens.refreshToken),
  refreshExpiresIn: tokens.refreshExpiresIn
})

export const AuthLive = HttpApiBuilder.group(GoTicketApi, "auth", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    const throttle = yield* LoginThrottle
    return handlers
      .handle("register", ({ payload }) =>
        accounts.register({ ...payload, password: Redacted.make(payload.password) }).pipe(Effect.map(userView))
      )
      .handle("login", ({ payload }) =>
        Effect.gen(function* () {
          // A paused account (too many failed logins) is answered 429 before any password is checked.
          yield* enforceRate(yield* throttle.check(payload.email))
          const tokens = yield* accounts
            .login(payload.email, Redacted.make(payload.password))
            .pipe(Effect.tapErrorTag("InvalidCredentials", () => throttle.failed(payload.email)))
          yield* throttle.succeeded(payload.email)
          return accessTokenView(tokens)
        })
      )
      .handle("refresh", ({ payload }) =>
        accounts.refresh(Redacted.make(payload.refreshToken)).pipe(Effect.map(accessTokenView))
      )
      .handle("logout", ({ payload }) => accounts.logout(Redacted.make(payload.refreshToken)))
  })
)

export const MeLive = HttpApiBuilder.group(GoTicketApi, "me", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    return handlers.handle("me", () => Effect.flatMap(CurrentActor, accounts.profile).pipe(Effect.map(userView)))
  })
)

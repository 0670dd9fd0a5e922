import { HttpRouter, HttpServerRequest } from "@effect/platform"
import { Effect, Layer, Option, Redacted } from "effect"
import { AccessTokens } from "../../domain/accounts/AccessTokens.ts"
import { Unauthenticated } from "../../domain/accounts/errors.ts"
import { ActiveAccounts } from "../../services/accounts/ActiveAccounts.ts"
import { Authentication, OptionalAuthentication, RouteTagger } from "../api/Authentication.ts"
import { RequestContext } from "../RequestContext.ts"

const noteUser = (userId: string) =>
  Effect.serviceOption(RequestContext).pipe(
    Effect.map((facts) => {
      if (Option.isSome(facts)) facts.value.userId = userId
    })
  )

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const tokens = yield* AccessTokens
    const accounts = yield* ActiveAccounts
    return {
      bearer: (token) =>
        Redacted.value(token) === ""
          ? Effect.fail(new Unauthenticated({ message: "send an access token: Authorization: Bearer <token>" }))
          : tokens.verify(Redacted.value(token)).pipe(
              Effect.flatMap(accounts.ensure),
              Effect.tap((actor) => noteUser(actor.userId))
            )
    }
  })
)

export const OptionalAuthenticationLive = Layer.effect(
  OptionalAuthentication,
  Effect.gen(function* () {
    const tokens = yield* AccessTokens
    const accounts = yield* ActiveAccounts
    return Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const header = request.headers.authorization
      if (header === undefined) return Option.none()
      const match = /^Bearer\s+(\S+)$/i.exec(header)
      if (!match?.[1])
        return yield* new Unauthenticated({ message: "the Authorization header must be: Bearer <token>" })
      const actor = yield* Effect.flatMap(tokens.verify(match[1]), accounts.ensure)
      yield* noteUser(actor.userId)
      return Option.some(actor)
    })
  })
)

export const RouteTaggerLive = Layer.succeed(
  RouteTagger,
  Effect.gen(function* () {
    const route = yield* HttpRouter.RouteContext
    const facts = yield* Effect.serviceOption(RequestContext)
    if (Option.isSome(facts)) facts.value.route = route.route.path
  })
)

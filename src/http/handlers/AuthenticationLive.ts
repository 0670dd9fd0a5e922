import { Effect, Layer, Option, Redacted } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { type HttpApiError, HttpApiMiddleware } from "effect/http-api"
import { AccessTokens } from "../../domain/accounts/AccessTokens.ts"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Unauthenticated } from "../../domain/accounts/errors.ts"
import { ActiveAccounts } from "../../services/accounts/ActiveAccounts.ts"
import {
  Authentication,
  GatewayErrors,
  MaybeActor,
  OptionalAuthentication,
  RouteTagger
} from "../api/Authentication.ts"
import type { HttpApiDecodeError, MalformedRequest } from "../api/errors.ts"
import { decodeFailureAnswer } from "../DecodeFailures.ts"
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
    return Authentication.of({
      bearer: (httpEffect, { credential }) =>
        Redacted.value(credential) === ""
          ? Effect.fail(new Unauthenticated({ message: "send an access token: Authorization: Bearer <token>" }))
          : tokens.verify(Redacted.value(credential)).pipe(
              Effect.flatMap(accounts.ensure),
              Effect.tap((actor) => noteUser(actor.userId)),
              Effect.flatMap((actor) => Effect.provideService(httpEffect, CurrentActor, actor))
            )
    })
  })
)

export const OptionalAuthenticationLive = Layer.effect(
  OptionalAuthentication,
  Effect.gen(function* () {
    const tokens = yield* AccessTokens
    const accounts = yield* ActiveAccounts
    const maybeActor = Effect.gen(function* () {
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
    return OptionalAuthentication.of((httpEffect) =>
      Effect.flatMap(maybeActor, (actor) => Effect.provideService(httpEffect, MaybeActor, actor))
    )
  })
)

export const RouteTaggerLive = Layer.succeed(
  RouteTagger,
  RouteTagger.of((httpEffect) =>
    Effect.gen(function* () {
      const route = yield* HttpRouter.RouteContext
      const facts = yield* Effect.serviceOption(RequestContext)
      if (Option.isSome(facts)) facts.value.route = route.route.path
      return yield* httpEffect
    })
  )
)

/**
 * The framework refuses a request that does not match the contract (path, query, headers, body) with an empty 400;
 * this answers it in the API's shape instead: HttpApiDecodeError with every issue, or MalformedRequest for a body
 * that is not JSON.
 */
export const GatewayErrorsLive = HttpApiMiddleware.layerSchemaErrorTransform(GatewayErrors, (error) =>
  Effect.flatMap(
    decodeFailureAnswer(error),
    (answer): Effect.Effect<never, HttpApiError.HttpApiSchemaError | HttpApiDecodeError | MalformedRequest> =>
      answer === undefined ? Effect.fail(error) : Effect.fail(answer)
  )
)

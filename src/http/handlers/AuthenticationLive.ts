import { Effect, Layer, Option, Redacted } from "effect"
import { HttpRouter, HttpServerRequest } from "effect/http"
import { type HttpApiError, HttpApiMiddleware } from "effect/http-api"
import { AccessTokens } from "../../domain/accounts/AccessTokens.ts"
import { CurrentActor } from "../../domain/accounts/Actor.ts"
import { Forbidden, Unauthenticated } from "../../domain/accounts/errors.ts"
import { keyRefusal } from "../../domain/organizerkeys/OrganizerApiKeyRules.ts"
import { ActiveAccounts } from "../../services/accounts/ActiveAccounts.ts"
import { isOrganizerKey, OrganizerApiKeys } from "../../services/organizerkeys/OrganizerApiKeys.ts"
import {
  Authentication,
  GatewayErrors,
  MaybeActor,
  OptionalAuthentication,
  OrganizerAuthentication,
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

/**
 * Access tokens as Authentication takes them, and organizers' API keys (`gto_…`): a key is refused (403) a call it
 * does not allow: a change with a read key, an event it does not name, creating an event unless it is for all events.
 */
export const OrganizerAuthenticationLive = Layer.effect(
  OrganizerAuthentication,
  Effect.gen(function* () {
    const tokens = yield* AccessTokens
    const accounts = yield* ActiveAccounts
    const keys = yield* OrganizerApiKeys
    const byKey = (presented: string) =>
      Effect.gen(function* () {
        const actor = yield* Effect.flatMap(keys.authenticate(presented), accounts.ensure)
        const request = yield* HttpServerRequest.HttpServerRequest
        const params = yield* HttpRouter.params
        const writes = request.method !== "GET" && request.method !== "HEAD"
        const refusal = actor.apiKey && keyRefusal(actor.apiKey, { writes, eventId: params.eventId })
        if (refusal) return yield* new Forbidden({ message: refusal })
        return actor
      })
    return OrganizerAuthentication.of({
      bearer: (httpEffect, { credential }) => {
        const presented = Redacted.value(credential)
        if (presented === "")
          return Effect.fail(new Unauthenticated({ message: "send an access token: Authorization: Bearer <token>" }))
        return (
          isOrganizerKey(presented) ? byKey(presented) : Effect.flatMap(tokens.verify(presented), accounts.ensure)
        ).pipe(
          Effect.tap((actor) => noteUser(actor.userId)),
          Effect.flatMap((actor) => Effect.provideService(httpEffect, CurrentActor, actor))
        )
      }
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

import { Context, type Option } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import type { Actor, CurrentActor } from "../../domain/accounts/Actor.ts"
import {
  Forbidden403,
  HttpApiDecodeError,
  InternalServerError,
  MalformedRequest,
  PayloadTooLarge,
  RateLimited,
  Unauthorized401,
  UnsupportedMediaType
} from "./errors.ts"

/** `Authorization: Bearer <token>`, spelt `bearer` in the OpenAPI document as it always was (schemes match in any case). */
const bearer = HttpApiSecurity.http({ scheme: "bearer" })

/** Requires `Authorization: Bearer <access token>` and provides the CurrentActor. */
export class Authentication extends HttpApiMiddleware.Service<Authentication, { provides: CurrentActor }>()(
  "goticket/http/Authentication",
  { error: Unauthorized401, security: { bearer } }
) {}

/**
 * The organizer endpoints: `Authorization: Bearer <access token>`, or `Bearer gto_…`, an organizer's API key, which
 * acts as its organizer within what the key allows (read or write, all events or the ones it names; 403 beyond).
 * Provides the CurrentActor, which carries the key when one was used.
 */
export class OrganizerAuthentication extends HttpApiMiddleware.Service<
  OrganizerAuthentication,
  { provides: CurrentActor }
>()("goticket/http/OrganizerAuthentication", { error: [Unauthorized401, Forbidden403], security: { bearer } }) {}

/** The caller if a token was sent, none for anonymous calls. A token that is sent must be valid. */
export class MaybeActor extends Context.Service<MaybeActor, Option.Option<Actor>>()("goticket/http/MaybeActor") {}

export class OptionalAuthentication extends HttpApiMiddleware.Service<
  OptionalAuthentication,
  { provides: MaybeActor }
>()("goticket/http/OptionalAuthentication", { error: Unauthorized401 }) {}

/** Records the matched route and trace id for the request log line. Applied to every endpoint. */
export class RouteTagger extends HttpApiMiddleware.Service<RouteTagger>()("goticket/http/RouteTagger") {}

/**
 * What the gateway answers for any endpoint, besides the endpoint's own errors: a request that does not match the
 * contract (HttpApiDecodeError) or whose body is not JSON (MalformedRequest), an oversized body, a body that is not
 * labelled JSON, a rate-limited client, and a failure on our side. Applied to every endpoint, so that the OpenAPI
 * document lists them; its implementation turns the framework's request decoding failures into HttpApiDecodeError
 * and MalformedRequest answers.
 */
export class GatewayErrors extends HttpApiMiddleware.Service<GatewayErrors>()("goticket/http/GatewayErrors", {
  error: [HttpApiDecodeError, MalformedRequest, PayloadTooLarge, UnsupportedMediaType, RateLimited, InternalServerError]
}) {}

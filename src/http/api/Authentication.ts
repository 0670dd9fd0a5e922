import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Context, type Option } from "effect"
import { type Actor, CurrentActor } from "../../domain/accounts/Actor.ts"
import { Unauthorized401 } from "./errors.ts"

/** Requires `Authorization: Bearer <access token>` and provides the CurrentActor. */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("goticket/http/Authentication", {
  failure: Unauthorized401,
  provides: CurrentActor,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** The caller if a token was sent, none for anonymous calls. A token that is sent must be valid. */
export class MaybeActor extends Context.Tag("goticket/http/MaybeActor")<MaybeActor, Option.Option<Actor>>() {}

export class OptionalAuthentication extends HttpApiMiddleware.Tag<OptionalAuthentication>()(
  "goticket/http/OptionalAuthentication",
  { failure: Unauthorized401, provides: MaybeActor }
) {}

/** Records the matched route and trace id for the request log line. Applied to every endpoint. */
export class RouteTagger extends HttpApiMiddleware.Tag<RouteTagger>()("goticket/http/RouteTagger") {}

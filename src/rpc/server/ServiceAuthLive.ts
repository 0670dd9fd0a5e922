import { Context, Effect, Layer, Option, Result } from "effect"
import { Actor } from "../../domain/accounts/Actor.ts"
import { auditActorOf, type ServiceCaller } from "../../domain/servicekeys/ServiceKey.ts"
import { authorize } from "../../domain/servicekeys/ServiceKeyRules.ts"
import { ServiceKeys } from "../../services/servicekeys/ServiceKeys.ts"
import { CurrentCaller, RequiredScope, ServiceAuth } from "../contract/Common.ts"

/**
 * The server side of ServiceAuth: every call's key (`authorization: Bearer gtk_…`, from the RPC message's headers
 * or, over HTTP and WebSocket, the connection's) is authenticated, then checked against the procedure's
 * RequiredScope (and for `door:scan` the payload's event). Only then does the handler run, with the CurrentCaller.
 */
export const ServiceAuthLive = Layer.effect(
  ServiceAuth,
  Effect.gen(function* () {
    const keys = yield* ServiceKeys
    return ServiceAuth.of((effect, { rpc, payload, headers }) =>
      Effect.gen(function* () {
        const caller = yield* keys.authenticate(headers.authorization)
        const rule = Context.getOption(rpc.annotations, RequiredScope)
        if (Option.isNone(rule)) return yield* Effect.die(`procedure ${rpc._tag} names no RequiredScope`)
        const allowed = authorize(caller, { scope: rule.value.scope, eventId: rule.value.eventIdOf?.(payload) })
        if (Result.isFailure(allowed)) return yield* allowed.failure
        return yield* Effect.provideService(effect, CurrentCaller, caller)
      }).pipe(Effect.withSpan("ServiceAuth"))
    )
  })
)

/**
 * The actor a key acts as where it acts for no customer (door, support): an admin's reach, bounded by the key's
 * scopes (the middleware checked them), recorded on the audit trail under the key's id (role `admin`).
 */
export const keyActor = (caller: ServiceCaller) =>
  new Actor({ userId: auditActorOf(caller.keyId), accountType: "organizer", isAdmin: true })

export const currentKeyActor = Effect.map(CurrentCaller, keyActor)

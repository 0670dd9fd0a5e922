import { Context, Schema } from "effect"
import { RpcMiddleware } from "effect/rpc"
import { ScopeRefused, ServiceKeyRejected } from "../../domain/servicekeys/errors.ts"
import type { ServiceCaller, ServiceScope } from "../../domain/servicekeys/ServiceKey.ts"

/** The service key behind the current RPC call, provided by the ServiceAuth middleware. */
export class CurrentCaller extends Context.Service<CurrentCaller, ServiceCaller>()("goticket/rpc/CurrentCaller") {}

/** What a procedure needs of its caller's key; `eventIdOf` names the event a `door:scan` call is about. */
export interface ScopeRule {
  readonly scope: ServiceScope
  readonly eventIdOf?: ((payload: unknown) => string | undefined) | undefined
}

/** Annotation on every procedure: the scope its caller's key must have. */
export class RequiredScope extends Context.Service<RequiredScope, ScopeRule>()("goticket/rpc/RequiredScope") {}

/** What every call may be refused with before its procedure runs. */
export const CallRefused = Schema.Union([ServiceKeyRejected, ScopeRefused])
export type CallRefused = typeof CallRefused.Type

/**
 * Every procedure runs behind this middleware: the caller sends its service key (`authorization: Bearer gtk_…`,
 * added by the client's side of the middleware), the server checks it and the procedure's RequiredScope, and
 * provides the CurrentCaller. Refusals are typed: ServiceKeyRejected (no usable key), ScopeRefused (the key does
 * not allow this call). A request the server cannot run at all (an unknown procedure, a payload that does not match
 * its Schema) is answered before any middleware, by the library, as that request's defect naming the problem.
 */
export class ServiceAuth extends RpcMiddleware.Service<ServiceAuth, { provides: CurrentCaller }>()(
  "goticket/rpc/ServiceAuth",
  { error: CallRefused, requiredForClient: true }
) {}

/** Too many calls of this kind for this customer: wait `retryAfterSeconds`. The same limits as the REST API. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  message: Schema.String,
  retryAfterSeconds: Schema.Int
}) {}

/** A call on behalf of a customer who has no account (or whose account was erased). */
export class CustomerNotFound extends Schema.TaggedError<CustomerNotFound>()("CustomerNotFound", {
  customerId: Schema.String,
  message: Schema.String
}) {}

/** An Idempotency-Key as the REST API takes it: 1 to 200 characters. */
export const IdempotencyKey = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)).annotate({
  description: "A unique key per intended change; retrying with it replays the first answer"
})

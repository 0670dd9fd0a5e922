import { Schema } from "effect"
import { ServiceScope } from "./ServiceKey.ts"

/** Why a presented key authenticates nothing: missing, not a key of ours, revoked, or past its expiry. */
export const KeyRejection = Schema.Literals(["missing", "unknown", "revoked", "expired"])
export type KeyRejection = typeof KeyRejection.Type

/** The call carries no usable service key (the RPC equivalent of 401). */
export class ServiceKeyRejected extends Schema.TaggedError<ServiceKeyRejected>()("ServiceKeyRejected", {
  reason: KeyRejection,
  message: Schema.String
}) {
  static readonly because = (reason: KeyRejection) =>
    new ServiceKeyRejected({
      reason,
      message:
        reason === "missing"
          ? "send a service key: authorization: Bearer gtk_…"
          : reason === "unknown"
            ? "this is not a service key of this installation"
            : `this service key is ${reason}: ask an admin for a new one`
    })
}

/** The key is valid but does not allow this call (the RPC equivalent of 403). */
export class ScopeRefused extends Schema.TaggedError<ScopeRefused>()("ScopeRefused", {
  scope: ServiceScope,
  /** For `door:scan`: the event the key does not name. */
  eventId: Schema.NullOr(Schema.String),
  message: Schema.String
}) {}

/** A grant the rules refuse (no scope, door events without `door:scan`, an expiry in the past…). */
export class InvalidServiceKeyGrant extends Schema.TaggedError<InvalidServiceKeyGrant>()("InvalidServiceKeyGrant", {
  message: Schema.String
}) {}

export class ServiceKeyNotFound extends Schema.TaggedError<ServiceKeyNotFound>()("ServiceKeyNotFound", {
  message: Schema.String
}) {}

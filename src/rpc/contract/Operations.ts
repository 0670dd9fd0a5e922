import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { EventType } from "../../domain/events/DomainEvents.ts"
import { EventBusUnavailable } from "../../domain/events/EventBus.ts"
import { InvalidServiceKeyGrant, ServiceKeyNotFound } from "../../domain/servicekeys/errors.ts"
import {
  MAX_DOOR_EVENTS,
  ServiceKey,
  ServiceKeyId,
  ServiceKeyName,
  ServiceScope
} from "../../domain/servicekeys/ServiceKey.ts"
import { EventId } from "../../domain/shared/Ids.ts"
import { RequiredScope, ServiceAuth } from "./Common.ts"

/** The service's consumers of domain events, each with its queue and dead letters. */
export const ConsumerName = Schema.Literals(["notifications", "sales-stats", "organizer-webhooks"])
export type ConsumerName = typeof ConsumerName.Type

export const DeadLetterView = Schema.Struct({
  eventId: Schema.String,
  type: EventType,
  aggregateId: Schema.String,
  occurredAt: Schema.DateFromString,
  attempts: Schema.Int,
  lastError: Schema.String,
  deadAt: Schema.DateFromString
})
export type DeadLetterView = typeof DeadLetterView.Type

export const Backlog = Schema.Struct({
  at: Schema.DateFromString,
  /** Domain events written but not yet confirmed by the broker, and the age of the oldest. */
  outbox: Schema.Struct({ pending: Schema.Int, oldestAgeMs: Schema.Number }),
  /** Saga executions not complete, by status (runnable, running, suspended…). */
  sagas: Schema.Record(Schema.String, Schema.Int)
})
export type Backlog = typeof Backlog.Type

export { InvalidServiceKeyGrant, ServiceKey, ServiceKeyNotFound }

/** A key just created: `secret` is the key itself, in this answer only (the service keeps its hash). */
export const CreatedServiceKey = Schema.Struct({ key: ServiceKey, secret: Schema.String })
export type CreatedServiceKey = typeof CreatedServiceKey.Type

/** Only the `admin` scope manages keys: a key that can mint keys can mint itself any scope. */
const adminOnly = { scope: "admin" } as const

/**
 * `ops`: what operators look at and act on (replaces direct access to the broker); `admin`: the service keys
 * (list, create, revoke), as `npm run service-keys` does with database access.
 */
export const OperationsRpcs = RpcGroup.make(
  Rpc.make("DeadLetters", {
    payload: { consumer: ConsumerName },
    success: Schema.Array(DeadLetterView),
    error: EventBusUnavailable
  }),
  Rpc.make("ReplayDeadLetters", {
    payload: {
      consumer: ConsumerName,
      eventIds: Schema.optionalKey(Schema.Array(Schema.String.check(Schema.isGUID())).check(Schema.isMaxLength(1000)))
    },
    success: Schema.Struct({ replayed: Schema.Int }),
    error: EventBusUnavailable
  }),
  Rpc.make("Backlog", { success: Backlog }),
  /** Every key, revoked ones included, newest first (never a key itself: its prefix only). */
  Rpc.make("ServiceKeys", { success: Schema.Array(ServiceKey) }).annotate(RequiredScope, adminOnly),
  /** A new key under the same rules as the script's (ServiceKeyRules.checkGrant); its creator is the calling key. */
  Rpc.make("CreateServiceKey", {
    payload: {
      name: ServiceKeyName,
      scopes: Schema.Array(ServiceScope).check(Schema.isMinLength(1), Schema.isMaxLength(10)),
      /** The events of a `door:scan` key (exactly when it has that scope). */
      doorEvents: Schema.optionalKey(Schema.Array(EventId).check(Schema.isMaxLength(MAX_DOOR_EVENTS))),
      expiresAt: Schema.optionalKey(Schema.DateFromString)
    },
    success: CreatedServiceKey,
    error: InvalidServiceKeyGrant
  }).annotate(RequiredScope, adminOnly),
  /** The key stops working: at once on the instance that revoked it, within 5 s on the others. Idempotent. */
  Rpc.make("RevokeServiceKey", {
    payload: { id: ServiceKeyId },
    success: ServiceKey,
    error: ServiceKeyNotFound
  }).annotate(RequiredScope, adminOnly)
)
  .middleware(ServiceAuth)
  .annotateRpcs(RequiredScope, { scope: "ops" })

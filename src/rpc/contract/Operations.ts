import { Schema } from "effect"
import { Rpc, RpcGroup } from "effect/rpc"
import { EventType } from "../../domain/events/DomainEvents.ts"
import { EventBusUnavailable } from "../../domain/events/EventBus.ts"
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

/** `ops`: what operators look at and act on (replaces direct access to the broker). */
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
  Rpc.make("Backlog", { success: Backlog })
)
  .middleware(ServiceAuth)
  .annotateRpcs(RequiredScope, { scope: "ops" })

import { Effect } from "effect"
import { AuditEntry, AuditLog } from "../../domain/audit/AuditLog.ts"
import { EventBus } from "../../domain/events/EventBus.ts"
import { auditActorOf } from "../../domain/servicekeys/ServiceKey.ts"
import { Backlog } from "../../services/operations/Backlog.ts"
import { CurrentCaller } from "../contract/Common.ts"
import { OperationsRpcs } from "../contract/Operations.ts"

/** Operations over RPC: the bus's dead letters (what `npm run dlq` reads on the broker) and the backlog figures. */
export const OperationsHandlersLive = OperationsRpcs.toLayer(
  Effect.gen(function* () {
    const bus = yield* EventBus
    const backlog = yield* Backlog
    const audit = yield* AuditLog
    return OperationsRpcs.of({
      DeadLetters: ({ consumer }) =>
        Effect.map(bus.deadLetters(consumer), (letters) =>
          letters.map((letter) => ({
            eventId: letter.envelope.id,
            type: letter.envelope.type,
            aggregateId: letter.envelope.aggregateId,
            occurredAt: letter.envelope.occurredAt,
            attempts: letter.attempts,
            lastError: letter.lastError,
            deadAt: letter.deadAt
          }))
        ),
      ReplayDeadLetters: ({ consumer, eventIds }) =>
        Effect.gen(function* () {
          const caller = yield* CurrentCaller
          const replayed = yield* bus.replayDeadLetters(consumer, eventIds)
          yield* audit.record(
            new AuditEntry({
              actorId: auditActorOf(caller.keyId),
              actorRole: "system",
              action: "dead_letters.replayed",
              outcome: "success",
              resourceType: "consumer",
              resourceId: consumer,
              summary: { after: { replayed } }
            })
          )
          return { replayed }
        }),
      Backlog: () => backlog.figures()
    })
  })
)

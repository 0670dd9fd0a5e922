import { Effect, Redacted } from "effect"
import type { Actor } from "../../domain/accounts/Actor.ts"
import { Forbidden } from "../../domain/accounts/errors.ts"
import { AuditEntry, AuditLog } from "../../domain/audit/AuditLog.ts"
import { EventBus } from "../../domain/events/EventBus.ts"
import { auditActorOf } from "../../domain/servicekeys/ServiceKey.ts"
import { Backlog } from "../../services/operations/Backlog.ts"
import { ServiceKeys } from "../../services/servicekeys/ServiceKeys.ts"
import { CurrentCaller } from "../contract/Common.ts"
import { OperationsRpcs } from "../contract/Operations.ts"
import { currentKeyActor } from "./ServiceAuthLive.ts"

/**
 * Operations over RPC: the bus's dead letters (what `npm run dlq` reads on the broker), the backlog figures, and the
 * service keys (ServiceKeys, as `npm run service-keys`; audited under the calling key's id, role `admin`).
 */
export const OperationsHandlersLive = OperationsRpcs.toLayer(
  Effect.gen(function* () {
    const bus = yield* EventBus
    const backlog = yield* Backlog
    const audit = yield* AuditLog
    const keys = yield* ServiceKeys
    // The middleware checked the `admin` scope; a key acts with an admin's reach, so never Forbidden.
    const asAdmin = <A, E>(run: (actor: Actor) => Effect.Effect<A, E | Forbidden>) =>
      Effect.flatMap(currentKeyActor, run).pipe(
        Effect.catchIf((e): e is Forbidden => e instanceof Forbidden, Effect.die)
      ) as Effect.Effect<A, Exclude<E, Forbidden>, CurrentCaller>
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
      Backlog: () => backlog.figures(),
      ServiceKeys: () => asAdmin((actor) => keys.list(actor)),
      CreateServiceKey: ({ name, scopes, doorEvents, expiresAt }) =>
        asAdmin((actor) =>
          keys.create(actor, { name, scopes, doorEvents: doorEvents ?? [], expiresAt: expiresAt ?? null })
        ).pipe(Effect.map((created) => ({ key: created.key, secret: Redacted.value(created.secret) }))),
      RevokeServiceKey: ({ id }) => asAdmin((actor) => keys.revoke(actor, id))
    })
  })
)

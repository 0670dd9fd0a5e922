import { Context, type Effect } from "effect"
import type { EventEnvelope } from "./EventEnvelope.ts"

export interface OutboxLag {
  /** Events written but not yet confirmed by the broker. */
  readonly pending: number
  /** Age of the oldest of them in milliseconds; 0 when the outbox is empty. */
  readonly oldestAgeMs: number
}

/**
 * Port: the transactional outbox. Events are written in the same transaction as the state change they describe;
 * the relay hands them to the bus and marks them sent only once the bus has confirmed them.
 */
export interface OutboxShape {
  /** Writes events in the caller's transaction (state changes made in the database write theirs themselves). */
  readonly append: (events: ReadonlyArray<EventEnvelope>) => Effect.Effect<void>
  /**
   * Claims up to `limit` unsent events, oldest first, that no other relay holds, keeping every aggregate's events
   * with one relay and in order; hands them to `publish`; marks them sent if it succeeds. Answers how many were
   * sent. If `publish` fails nothing is marked and the events stay for the next attempt.
   */
  readonly relay: <E>(
    limit: number,
    publish: (events: ReadonlyArray<EventEnvelope>) => Effect.Effect<void, E>
  ) => Effect.Effect<number, E>
  readonly lag: Effect.Effect<OutboxLag>
  /**
   * Marks the events sent since `since` unsent again, so the relay sends them once more (consumers drop what they
   * have handled). For a bus that keeps nothing across restarts. Answers how many.
   */
  readonly resendSince: (since: Date) => Effect.Effect<number>
  /** Forgets events sent before `olderThan`; answers how many. */
  readonly purgeSent: (olderThan: Date) => Effect.Effect<number>
}

export class Outbox extends Context.Service<Outbox, OutboxShape>()("goticket/Outbox") {}

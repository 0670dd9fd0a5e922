import { Context, type Effect, type Option } from "effect"

/**
 * Port: what each consumer has already handled, by event id. A redelivered event is dropped, and a handler's own
 * database writes commit together with the record that it ran, so an event has exactly one effect.
 */
export interface InboxShape {
  /**
   * Runs `effect` unless `consumer` has handled `eventId` before; records it in the same transaction. Answers None
   * for a duplicate. If `effect` fails nothing is recorded.
   */
  readonly once: <A, E, R>(
    consumer: string,
    eventId: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<Option.Option<A>, E, R>
  /**
   * For an effect outside the database (a mail): runs `effect` unless `consumer` has handled `eventId` before, then
   * records it, holding no transaction (nor a connection) while it runs. At least once: a crash between the effect
   * and the record repeats the effect on redelivery; deliveries of one event at the same moment in one process run
   * it once. If `effect` fails nothing is recorded.
   */
  readonly onceAfter: <A, E, R>(
    consumer: string,
    eventId: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<Option.Option<A>, E, R>
}

export class Inbox extends Context.Service<Inbox, InboxShape>()("goticket/Inbox") {}

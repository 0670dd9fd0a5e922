import { Clock, Effect } from "effect"

/**
 * The current time as a Date, from the Effect Clock: the one source of time for the domain, the services and the
 * repositories (which pass it to their SQL instead of the database's now()), so tests can run on the TestClock.
 */
export const now: Effect.Effect<Date> = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

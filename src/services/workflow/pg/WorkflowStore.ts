import { Clock, Context, Duration, Effect, Layer, type Option, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { isTransient } from "../../sql/Transient.ts"
import { statements } from "./WorkflowStatementsPg.ts"

/** A journal entry: what an activity returned (`a`, per attempt) or how a durable deferred completed (`d`). */
export interface JournalEntry {
  readonly kind: "a" | "d"
  readonly name: string
  readonly attempt: number
  /** The exit as JSON (values in their encoded form). */
  readonly exit: unknown
}

/** An execution claimed by a runner: what it needs to replay it. */
export interface ClaimedExecution {
  readonly executionId: string
  readonly workflow: string
  readonly payload: unknown
  readonly parentId: string | null
  /** Completions seen when claimed: a run that suspends having seen fewer must run again. */
  readonly wakes: number
  readonly interrupted: boolean
  readonly journal: ReadonlyArray<JournalEntry>
  /** The names of its clocks still to fire (scheduled by an earlier run: a replay does not schedule them again). */
  readonly clocks: ReadonlyArray<string>
}

/** An execution whose state changed so that it needs a run: `leased` when some runner holds it right now. */
export interface Woken {
  readonly executionId: string
  readonly status: string
  readonly leased: boolean
}

export type SuspendOutcome = "suspended" | "rerun" | "lost"

/**
 * The saga engine's storage in PostgreSQL (migrations/0012_workflow_engine.sql). Every write by a run is fenced by
 * its lease (`owner`): a runner that lost an execution to another one can record nothing more for it. Times are the
 * caller's (`at`, from the Effect clock). A statement the database could not run for a passing reason (a restart,
 * a lost connection, a deadlock) is tried again until it goes through: the engine waits out an outage instead of
 * failing a saga over it.
 */
export interface WorkflowStatements {
  /**
   * Creates the execution if it does not exist yet; with `claimFor`, created with that runner's lease (`claimed`,
   * with the journal of deferreds completed before it existed), to be run by the caller at once.
   */
  readonly create: (input: {
    readonly executionId: string
    readonly workflow: string
    readonly payload: unknown
    readonly parentId: string | null
    readonly at: Date
    readonly claimFor?: { readonly owner: string; readonly leaseUntil: Date }
  }) => Effect.Effect<{ readonly created: boolean; readonly claimed: Option.Option<ClaimedExecution> }>
  /**
   * Takes the lease of an execution that needs a run (or, with `force`, of a suspended one) and reads its journal,
   * in one round trip. None when it is complete, suspended (without force) or leased by another runner.
   */
  readonly claim: (
    executionId: string,
    owner: string,
    leaseUntil: Date,
    at: Date,
    force: boolean
  ) => Effect.Effect<Option.Option<ClaimedExecution>>
  /** Records an activity's exit unless one is recorded already; answers the recorded one, None if the lease is lost. */
  readonly recordActivity: (
    executionId: string,
    owner: string,
    entry: { readonly name: string; readonly attempt: number; readonly exit: unknown }
  ) => Effect.Effect<Option.Option<unknown>>
  /**
   * Records a deferred's completion unless it was completed before (the first one wins) and wakes its execution:
   * whether this call recorded it, and the execution if it changed (none when it does not exist yet, or is over).
   * With `claimFor`, the same statement also takes the lease of the execution it woke when no live runner holds
   * it (as `claim` would, the completion included in its journal): `claimed`, to be run by the caller at once.
   */
  readonly completeDeferred: (
    executionId: string,
    name: string,
    exit: unknown,
    at: Date,
    claimFor?: { readonly owner: string; readonly leaseUntil: Date }
  ) => Effect.Effect<{
    readonly recorded: boolean
    readonly woken: Option.Option<Woken>
    readonly claimed: Option.Option<ClaimedExecution>
  }>
  /** The run waits: suspended, or to run again at once when a completion arrived meanwhile. */
  readonly suspend: (
    executionId: string,
    owner: string,
    wakesSeen: number,
    leaseUntil: Date,
    at: Date
  ) => Effect.Effect<SuspendOutcome>
  /** The run ended with `result` (its clocks still to fire are dropped): the parent to wake, None if the lease was lost. */
  readonly complete: (
    executionId: string,
    owner: string,
    result: unknown,
    at: Date
  ) => Effect.Effect<Option.Option<{ readonly parentId: string | null }>>
  /** Wakes an execution (a child finished, or it is to be interrupted). */
  readonly wake: (executionId: string, interrupt: boolean, at: Date) => Effect.Effect<Option.Option<Woken>>
  /** Extends the leases of the executions this runner is running. */
  readonly renew: (owner: string, executionIds: ReadonlyArray<string>, leaseUntil: Date) => Effect.Effect<void>
  /** Gives up this runner's leases (shutting down, or starting again under the same name). */
  readonly release: (owner: string, at: Date) => Effect.Effect<void>
  /** Executions that need a run and have no live runner (new, woken, or left by a runner that died). */
  readonly orphans: (at: Date, limit: number) => Effect.Effect<ReadonlyArray<string>>
  readonly status: (
    executionId: string
  ) => Effect.Effect<Option.Option<{ readonly status: string; readonly result: unknown }>>
  readonly scheduleClock: (clock: {
    readonly executionId: string
    readonly name: string
    readonly deferredName: string
    readonly exit: unknown
    readonly wakeAt: Date
  }) => Effect.Effect<void>
  /** Completes the deferreds of due clocks (one clock, or up to `limit` of any), atomically with their removal. */
  readonly fireClocks: (
    at: Date,
    which: { readonly executionId: string; readonly name: string } | { readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<Woken>>
  /** Counts by status, for the backlog gauges. */
  readonly backlog: Effect.Effect<Readonly<Record<string, number>>>
}

/** The statements made on behalf of a caller waiting for an answer (a request, a webhook). */
export type PromptStatements = Pick<WorkflowStatements, "create" | "completeDeferred" | "status">

export class WorkflowStore extends Context.Service<
  WorkflowStore,
  WorkflowStatements & {
    /**
     * The same statements for a caller that answers someone (a request starting a saga, a webhook completing a
     * deferred): a passing failure is retried for 2 s only, then it is the answer (a defect: the database's
     * own error), so the request fails at once with an error instead of hanging through an outage, and its client
     * tries again. What such a call leaves half done is finished by the engine's own polling (a completion recorded
     * wakes its execution in the same statement; an execution created is run by the orphan poll).
     */
    readonly promptly: PromptStatements
  }
>()("goticket/WorkflowStore") {}

/** Waits out a passing database failure (restart, lost connection, deadlock): 50 ms growing to every 2 s. */
const untilItGoesThrough = Schedule.min([
  Schedule.exponential(Duration.millis(50), 1.5),
  Schedule.spaced(Duration.seconds(2))
])
/** The same delays, for 2 s at most (then the failure is the answer). */
const briefly = Schedule.max([untilItGoesThrough, Schedule.during(Duration.seconds(2))])

export type Persist = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, never, R>

export const WorkflowStorePg = Layer.effect(
  WorkflowStore,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // One outage is logged once when it starts and once when it is over, however many statements wait through it.
    let outageSince: number | undefined
    const noteFailure = (error: unknown) =>
      Effect.gen(function* () {
        if (outageSince !== undefined || !isTransient(error)) return
        outageSince = yield* Clock.currentTimeMillis
        yield* Effect.logWarning("the saga engine cannot reach its database; sagas wait for it", error)
      })
    const noteSuccess = Effect.suspend(() => {
      if (outageSince === undefined) return Effect.void
      const since = outageSince
      outageSince = undefined
      return Effect.flatMap(Clock.currentTimeMillis, (at) =>
        Effect.logInfo(`the saga engine reaches its database again, after ${at - since} ms`)
      )
    })
    const retrying =
      (schedule: Schedule.Schedule<unknown, unknown>): Persist =>
      (effect) =>
        effect.pipe(
          Effect.tapError(noteFailure),
          Effect.retry({ schedule, while: isTransient }),
          Effect.tap(() => noteSuccess),
          Effect.orDie
        )
    /** A statement that outlives the database's passing failures; any other failure is a defect (a bug). */
    const patient = statements(sql, retrying(untilItGoesThrough))
    const prompt = statements(sql, retrying(briefly))
    return WorkflowStore.of({
      ...patient,
      promptly: { create: prompt.create, completeDeferred: prompt.completeDeferred, status: prompt.status }
    })
  })
)

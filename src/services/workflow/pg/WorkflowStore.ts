import { Clock, Context, Duration, Effect, Layer, Option, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { isTransient } from "../../sql/Transient.ts"

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
  /** Creates the execution if it does not exist yet; true when this call created it. */
  readonly create: (input: {
    readonly executionId: string
    readonly workflow: string
    readonly payload: unknown
    readonly parentId: string | null
    readonly at: Date
  }) => Effect.Effect<boolean>
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
   */
  readonly completeDeferred: (
    executionId: string,
    name: string,
    exit: unknown,
    at: Date
  ) => Effect.Effect<{ readonly recorded: boolean; readonly woken: Option.Option<Woken> }>
  /** The run waits: suspended, or to run again at once when a completion arrived meanwhile. */
  readonly suspend: (
    executionId: string,
    owner: string,
    wakesSeen: number,
    leaseUntil: Date,
    at: Date
  ) => Effect.Effect<SuspendOutcome>
  /** The run ended with `result`: answers the parent to wake, None if the lease was lost. */
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

const json = (value: unknown) => JSON.stringify(value)

const wokenOf = (rows: ReadonlyArray<{ executionId: string; status: string; leased: boolean }>) =>
  rows.map((r): Woken => ({ executionId: r.executionId, status: r.status, leased: r.leased }))

type Persist = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, never, R>

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

/** The statements, each made to outlive passing failures by `persist`. */
const statements = (sql: SqlClient.SqlClient, persist: Persist): WorkflowStatements => ({
  create: ({ executionId, workflow, payload, parentId, at }) =>
    persist(
      sql<{ created: boolean }>`
            INSERT INTO workflow_executions (execution_id, workflow, payload, parent_id, created_at, updated_at)
            VALUES (${executionId}, ${workflow}, ${json(payload)}::jsonb, ${parentId}, ${at}, ${at})
            ON CONFLICT (execution_id) DO NOTHING
            RETURNING true AS created`
    ).pipe(Effect.map((rows) => rows.length > 0)),

  claim: (executionId, owner, leaseUntil, at, force) =>
    persist(
      sql<{
        executionId: string
        workflow: string
        payload: unknown
        parentId: string | null
        wakes: number
        interrupted: boolean
        journal: ReadonlyArray<[string, string, number, unknown]>
      }>`
            WITH c AS (
              UPDATE workflow_executions e
                 SET status = 'running', owner = ${owner}, lease_until = ${leaseUntil}, updated_at = ${at}
               WHERE e.execution_id = ${executionId}
                 AND (e.status IN ('runnable', 'running') OR (${force} AND e.status = 'suspended'))
                 AND (e.owner IS NULL OR e.owner = ${owner} OR e.lease_until < ${at})
              RETURNING e.execution_id, e.workflow, e.payload, e.parent_id, e.wakes, e.interrupted)
            SELECT c.*, coalesce((SELECT jsonb_agg(jsonb_build_array(j.kind, j.name, j.attempt, j.exit))
                                    FROM workflow_journal j WHERE j.execution_id = c.execution_id), '[]') AS journal
              FROM c`
    ).pipe(
      Effect.map((rows) =>
        Option.map(
          Option.fromNullishOr(rows[0]),
          (row): ClaimedExecution => ({
            executionId: row.executionId,
            workflow: row.workflow,
            payload: row.payload,
            parentId: row.parentId,
            wakes: row.wakes,
            interrupted: row.interrupted,
            journal: row.journal.map(([kind, name, attempt, exit]) => ({
              kind: kind === "d" ? "d" : "a",
              name,
              attempt,
              exit
            }))
          })
        )
      )
    ),

  recordActivity: (executionId, owner, { name, attempt, exit }) =>
    persist(
      sql<{ exit: unknown }>`
            WITH ins AS (
              INSERT INTO workflow_journal (execution_id, kind, name, attempt, exit)
              SELECT ${executionId}, 'a', ${name}, ${attempt}, ${json(exit)}::jsonb
               WHERE EXISTS (SELECT 1 FROM workflow_executions e WHERE e.execution_id = ${executionId} AND e.owner = ${owner})
              ON CONFLICT DO NOTHING
              RETURNING exit)
            SELECT exit FROM ins
            UNION ALL
            SELECT j.exit FROM workflow_journal j
             WHERE j.execution_id = ${executionId} AND j.kind = 'a' AND j.name = ${name} AND j.attempt = ${attempt}
               AND NOT EXISTS (SELECT 1 FROM ins)`
    ).pipe(Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), (row) => row.exit))),

  completeDeferred: (executionId, name, exit, at) =>
    persist(
      sql<{ recorded: boolean; executionId: string | null; status: string | null; leased: boolean | null }>`
            WITH ins AS (
              INSERT INTO workflow_journal (execution_id, kind, name, attempt, exit)
              VALUES (${executionId}, 'd', ${name}, 0, ${json(exit)}::jsonb)
              ON CONFLICT DO NOTHING
              RETURNING 1),
            woken AS (
              UPDATE workflow_executions e
                 SET wakes = e.wakes + 1, updated_at = ${at},
                     status = CASE WHEN e.status = 'suspended' THEN 'runnable' ELSE e.status END
               WHERE e.execution_id = ${executionId} AND e.status <> 'complete' AND EXISTS (SELECT 1 FROM ins)
              RETURNING e.execution_id, e.status, (e.owner IS NOT NULL AND e.lease_until >= ${at}) AS leased)
            SELECT EXISTS (SELECT 1 FROM ins) AS recorded, w.execution_id, w.status, w.leased
              FROM (SELECT 1) one LEFT JOIN woken w ON true`
    ).pipe(
      Effect.map((rows) => {
        const row = rows[0]
        return {
          recorded: row?.recorded === true,
          woken:
            row?.executionId == null || row.status === null
              ? Option.none<Woken>()
              : Option.some({ executionId: row.executionId, status: row.status, leased: row.leased === true })
        }
      })
    ),

  suspend: (executionId, owner, wakesSeen, leaseUntil, at) =>
    persist(
      sql<{ status: string }>`
            UPDATE workflow_executions e
               SET status = CASE WHEN e.wakes <> ${wakesSeen} THEN 'running' ELSE 'suspended' END,
                   owner = CASE WHEN e.wakes <> ${wakesSeen} THEN e.owner END,
                   lease_until = CASE WHEN e.wakes <> ${wakesSeen} THEN ${leaseUntil}::timestamptz END,
                   updated_at = ${at}
             WHERE e.execution_id = ${executionId} AND e.owner = ${owner}
            RETURNING e.status`
    ).pipe(
      Effect.map((rows): SuspendOutcome => {
        const status = rows[0]?.status
        return status === undefined ? "lost" : status === "running" ? "rerun" : "suspended"
      })
    ),

  complete: (executionId, owner, result, at) =>
    persist(
      sql<{ parentId: string | null }>`
            UPDATE workflow_executions
               SET status = 'complete', result = ${json(result)}::jsonb, owner = NULL, lease_until = NULL,
                   updated_at = ${at}
             WHERE execution_id = ${executionId} AND owner = ${owner}
            RETURNING parent_id`
    ).pipe(Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), (row) => ({ parentId: row.parentId })))),

  wake: (executionId, interrupt, at) =>
    persist(
      sql<{ executionId: string; status: string; leased: boolean }>`
            UPDATE workflow_executions e
               SET wakes = e.wakes + 1, interrupted = e.interrupted OR ${interrupt}, updated_at = ${at},
                   status = CASE WHEN e.status = 'suspended' THEN 'runnable' ELSE e.status END
             WHERE e.execution_id = ${executionId} AND e.status <> 'complete'
            RETURNING e.execution_id, e.status, (e.owner IS NOT NULL AND e.lease_until >= ${at}) AS leased`
    ).pipe(Effect.map((rows) => Option.fromNullishOr(wokenOf(rows)[0]))),

  renew: (owner, executionIds, leaseUntil) =>
    executionIds.length === 0
      ? Effect.void
      : persist(
          sql`UPDATE workflow_executions SET lease_until = ${leaseUntil}
                   WHERE owner = ${owner} AND status = 'running' AND execution_id = ANY (${`{${executionIds.join(",")}}`}::text[])`
        ).pipe(Effect.asVoid),

  release: (owner, at) =>
    persist(
      sql`UPDATE workflow_executions SET status = 'runnable', owner = NULL, lease_until = NULL, updated_at = ${at}
               WHERE owner = ${owner} AND status = 'running'`
    ).pipe(Effect.asVoid),

  orphans: (at, limit) =>
    persist(
      sql<{ executionId: string }>`
            SELECT execution_id FROM workflow_executions
             WHERE status IN ('runnable', 'running') AND (owner IS NULL OR lease_until < ${at})
             ORDER BY updated_at LIMIT ${limit}`
    ).pipe(Effect.map((rows) => rows.map((r) => r.executionId))),

  status: (executionId) =>
    persist(
      sql<{ status: string; result: unknown }>`
            SELECT status, result FROM workflow_executions WHERE execution_id = ${executionId}`
    ).pipe(Effect.map((rows) => Option.fromNullishOr(rows[0]))),

  scheduleClock: ({ executionId, name, deferredName, exit, wakeAt }) =>
    persist(
      sql`INSERT INTO workflow_clocks (execution_id, name, deferred_name, exit, wake_at)
              VALUES (${executionId}, ${name}, ${deferredName}, ${json(exit)}::jsonb, ${wakeAt})
              ON CONFLICT DO NOTHING`
    ).pipe(Effect.asVoid),

  fireClocks: (at, which) =>
    persist(
      sql<{ executionId: string; status: string; leased: boolean }>`
            WITH due AS (
              DELETE FROM workflow_clocks c
               USING (SELECT execution_id, name FROM workflow_clocks
                       WHERE wake_at <= ${at}
                         ${"limit" in which ? sql`` : sql`AND execution_id = ${which.executionId} AND name = ${which.name}`}
                       ORDER BY wake_at LIMIT ${"limit" in which ? which.limit : 1}
                       FOR UPDATE SKIP LOCKED) d
               WHERE c.execution_id = d.execution_id AND c.name = d.name
              RETURNING c.execution_id, c.deferred_name, c.exit),
            ins AS (
              INSERT INTO workflow_journal (execution_id, kind, name, attempt, exit)
              SELECT execution_id, 'd', deferred_name, 0, exit FROM due
              ON CONFLICT DO NOTHING
              RETURNING execution_id)
            UPDATE workflow_executions e
               SET wakes = e.wakes + 1, updated_at = ${at},
                   status = CASE WHEN e.status = 'suspended' THEN 'runnable' ELSE e.status END
              FROM (SELECT DISTINCT execution_id FROM ins) i
             WHERE e.execution_id = i.execution_id AND e.status <> 'complete'
            RETURNING e.execution_id, e.status, (e.owner IS NOT NULL AND e.lease_until >= ${at}) AS leased`
    ).pipe(Effect.map(wokenOf)),

  backlog: persist(
    sql<{ status: string; n: number }>`
          SELECT status, count(*)::int AS n FROM workflow_executions WHERE status <> 'complete' GROUP BY status`
  ).pipe(Effect.map((rows) => Object.fromEntries(rows.map((r) => [r.status, r.n]))))
})

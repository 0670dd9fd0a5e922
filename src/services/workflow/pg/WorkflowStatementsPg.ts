import { Effect, Option } from "effect"
import type { SqlClient } from "effect/sql"
import type { ClaimedExecution, Persist, SuspendOutcome, Woken, WorkflowStatements } from "./WorkflowStore.ts"

const json = (value: unknown) => JSON.stringify(value)

const wokenOf = (rows: ReadonlyArray<{ executionId: string; status: string; leased: boolean }>) =>
  rows.map((r): Woken => ({ executionId: r.executionId, status: r.status, leased: r.leased }))

/** A claimed execution's row: the execution, its journal as [kind, name, attempt, exit] and its pending clocks. */
interface ClaimedRow {
  readonly executionId: string
  readonly workflow: string
  readonly payload: unknown
  readonly parentId: string | null
  readonly wakes: number
  readonly interrupted: boolean
  readonly journal: ReadonlyArray<[string, string, number, unknown]>
  readonly clocks: ReadonlyArray<string>
}

const claimedOf = (row: ClaimedRow): ClaimedExecution => ({
  executionId: row.executionId,
  workflow: row.workflow,
  payload: row.payload,
  parentId: row.parentId,
  wakes: row.wakes,
  interrupted: row.interrupted,
  journal: row.journal.map(([kind, name, attempt, exit]) => ({ kind: kind === "d" ? "d" : "a", name, attempt, exit })),
  clocks: row.clocks
})

/** The statements, each made to outlive passing failures by `persist`. */
export const statements = (sql: SqlClient.SqlClient, persist: Persist): WorkflowStatements => ({
  create: ({ executionId, workflow, payload, parentId, at, claimFor }) =>
    persist(
      sql<ClaimedRow>`
            WITH c AS (
              INSERT INTO workflow_executions
                (execution_id, workflow, payload, parent_id, created_at, updated_at, status, owner, lease_until)
              VALUES (${executionId}, ${workflow}, ${json(payload)}::jsonb, ${parentId}, ${at}, ${at},
                      ${claimFor === undefined ? "runnable" : "running"}, ${claimFor?.owner ?? null},
                      ${claimFor?.leaseUntil ?? null}::timestamptz)
              ON CONFLICT (execution_id) DO NOTHING
              RETURNING execution_id, workflow, payload, parent_id, wakes, interrupted)
            SELECT c.*, coalesce((SELECT jsonb_agg(jsonb_build_array(j.kind, j.name, j.attempt, j.exit))
                                    FROM workflow_journal j WHERE j.execution_id = c.execution_id), '[]') AS journal,
                   '{}'::text[] AS clocks
              FROM c`
    ).pipe(
      Effect.map((rows) => ({
        created: rows.length > 0,
        claimed: claimFor === undefined ? Option.none() : Option.map(Option.fromNullishOr(rows[0]), claimedOf)
      }))
    ),

  claim: (executionId, owner, leaseUntil, at, force) =>
    persist(
      sql<ClaimedRow>`
            WITH c AS (
              UPDATE workflow_executions e
                 SET status = 'running', owner = ${owner}, lease_until = ${leaseUntil}, updated_at = ${at}
               WHERE e.execution_id = ${executionId}
                 AND (e.status IN ('runnable', 'running') OR (${force} AND e.status = 'suspended'))
                 AND (e.owner IS NULL OR e.owner = ${owner} OR e.lease_until < ${at})
              RETURNING e.execution_id, e.workflow, e.payload, e.parent_id, e.wakes, e.interrupted)
            SELECT c.*, coalesce((SELECT jsonb_agg(jsonb_build_array(j.kind, j.name, j.attempt, j.exit))
                                    FROM workflow_journal j WHERE j.execution_id = c.execution_id), '[]') AS journal,
                   array(SELECT k.name FROM workflow_clocks k WHERE k.execution_id = c.execution_id) AS clocks
              FROM c`
    ).pipe(Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), claimedOf))),

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

  completeDeferred: (executionId, name, exit, at, claimFor) => {
    // Claims what it wakes when asked to and no live runner holds it (the journal read is the statement's snapshot,
    // so the completion it inserts is added to it).
    const claim = claimFor !== undefined
    const owner = claimFor?.owner ?? null
    const free = sql`${claim} AND (e.owner IS NULL OR e.owner = ${owner} OR e.lease_until < ${at})`
    return persist(
      sql<
        Partial<ClaimedRow> & {
          recorded: boolean
          executionId: string | null
          status: string | null
          leased: boolean | null
          claimed: boolean | null
        }
      >`
            WITH ins AS (
              INSERT INTO workflow_journal (execution_id, kind, name, attempt, exit)
              VALUES (${executionId}, 'd', ${name}, 0, ${json(exit)}::jsonb)
              ON CONFLICT DO NOTHING
              RETURNING kind, name, attempt, exit),
            woken AS (
              UPDATE workflow_executions e
                 SET wakes = e.wakes + 1, updated_at = ${at},
                     status = CASE WHEN ${free} THEN 'running' WHEN e.status = 'suspended' THEN 'runnable' ELSE e.status END,
                     owner = CASE WHEN ${free} THEN ${owner} ELSE e.owner END,
                     lease_until = CASE WHEN ${free} THEN ${claimFor?.leaseUntil ?? null}::timestamptz ELSE e.lease_until END
               WHERE e.execution_id = ${executionId} AND e.status <> 'complete' AND EXISTS (SELECT 1 FROM ins)
              RETURNING e.execution_id, e.status, (e.owner IS NOT NULL AND e.lease_until >= ${at}) AS leased,
                        ${claim} AND e.owner = ${owner} AS claimed,
                        e.workflow, e.payload, e.parent_id, e.wakes, e.interrupted)
            SELECT EXISTS (SELECT 1 FROM ins) AS recorded, w.*,
                   CASE WHEN w.claimed THEN
                     (SELECT coalesce(jsonb_agg(jsonb_build_array(x.kind, x.name, x.attempt, x.exit)), '[]')
                        FROM (SELECT j.kind, j.name, j.attempt, j.exit FROM workflow_journal j
                               WHERE j.execution_id = w.execution_id
                              UNION ALL SELECT kind, name, attempt, exit FROM ins) x) END AS journal,
                   CASE WHEN w.claimed THEN
                     array(SELECT k.name FROM workflow_clocks k WHERE k.execution_id = w.execution_id) END AS clocks
              FROM (SELECT 1) one LEFT JOIN woken w ON true`
    ).pipe(
      Effect.map((rows) => {
        const row = rows[0]
        const woken =
          row?.executionId == null || row.status == null
            ? Option.none<Woken>()
            : Option.some({ executionId: row.executionId, status: row.status, leased: row.leased === true })
        return {
          recorded: row?.recorded === true,
          woken,
          claimed: row?.claimed === true ? Option.some(claimedOf(row as unknown as ClaimedRow)) : Option.none()
        }
      })
    )
  },

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
            WITH done AS (
              UPDATE workflow_executions
                 SET status = 'complete', result = ${json(result)}::jsonb, owner = NULL, lease_until = NULL,
                     updated_at = ${at}
               WHERE execution_id = ${executionId} AND owner = ${owner}
              RETURNING execution_id, parent_id),
            clocks AS (DELETE FROM workflow_clocks k USING done WHERE k.execution_id = done.execution_id)
            SELECT parent_id FROM done`
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

import { type Effect, type Fiber, Schema, type Scope } from "effect"
import { type Workflow, WorkflowEngine } from "effect/workflow"
import { activityKey, deferredKey } from "./JournalCodec.ts"
import type { ClaimedExecution } from "./WorkflowStore.ts"

/** A workflow registered with the engine: how to run it and to encode its payload and result. */
export interface Registered {
  readonly workflow: Workflow.Any
  readonly execute: (
    payload: object,
    executionId: string
  ) => Effect.Effect<unknown, unknown, WorkflowEngine.WorkflowInstance | WorkflowEngine.WorkflowEngine>
  readonly scope: Scope.Scope
  readonly payload: Schema.Codec<unknown, unknown>
  readonly result: Schema.Codec<Workflow.Result<unknown, unknown>, unknown>
}

/** An execution this process is running (or about to run). */
export interface Running {
  readonly executionId: string
  readonly entry: Registered
  payload: object
  parentId: string | null
  wakes: number
  interrupted: boolean
  interruptedUnsafe: boolean
  journal: Map<string, unknown>
  /** Its clocks still to fire, scheduled by this run or an earlier one: a replay does not schedule them again. */
  readonly clocks: Set<string>
  instance: WorkflowEngine.WorkflowInstance["Service"]
  fiber: Fiber.Fiber<Workflow.Result<unknown, unknown>> | undefined
}

/** The state of a run of an execution just claimed. */
export const runningOf = (entry: Registered, claimed: ClaimedExecution): Running => ({
  executionId: claimed.executionId,
  entry,
  payload: Schema.decodeUnknownSync(entry.payload)(claimed.payload) as object,
  parentId: claimed.parentId,
  wakes: claimed.wakes,
  interrupted: claimed.interrupted,
  interruptedUnsafe: false,
  journal: new Map(
    claimed.journal.map((j) => [j.kind === "a" ? activityKey(j.name, j.attempt) : deferredKey(j.name), j.exit])
  ),
  clocks: new Set(claimed.clocks),
  instance: WorkflowEngine.WorkflowInstance.initial(entry.workflow, claimed.executionId),
  fiber: undefined
})

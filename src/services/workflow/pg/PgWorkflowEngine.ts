import { Cause, Context, Duration, Effect, Exit, Fiber, FiberMap, Layer, Option, Schema, Scope } from "effect"
import { Workflow, WorkflowEngine } from "effect/workflow"
import { now } from "../../../domain/shared/Now.ts"
import { EngineSettings, STARTING_AT_MOST } from "./EngineSettings.ts"
import { type Registered, type Running, runningOf } from "./Executions.ts"
import { activityKey, deferredKey, exitFromJson, exitToJson } from "./JournalCodec.ts"
import { markRunWaiting } from "./WaitingSpan.ts"
import { type ClaimedExecution, type PromptStatements, type Woken, WorkflowStore } from "./WorkflowStore.ts"

/**
 * The WorkflowEngine of effect/workflow, durable in PostgreSQL, with the semantics of the library's in-memory engine
 * (`WorkflowEngine.layerMemory`: runs replay over a journal, deferred completions preempt a parked run, each run has
 * its own scope so compensations are rebuilt by the replay). What makes it durable:
 * - a run is claimed (a lease) before it starts, and the lease is renewed while it runs; an activity's exit is
 *   journaled only while the lease is held (a runner that lost it abandons its run without compensating);
 * - a deferred completed anywhere wakes its execution: whoever sees it runnable and free runs it at once, in the
 *   process that completed it (a payment webhook runs the rest of the checkout right there);
 * - clocks are rows: this process fires its own on time, and a poll fires any that are due (a process that died);
 * - executions whose runner died are taken over when the lease runs out, or at once by the runner restarted under
 *   its name.
 * Storage outages are waited out (WorkflowStore retries them): an infrastructure failure is never a saga failure.
 */
export const makePgWorkflowEngine = Effect.gen(function* () {
  const store = yield* WorkflowStore
  const { owner, lease, pollInterval } = yield* EngineSettings
  const scope = yield* Effect.scope
  // Runs are started by whoever notices an execution is due (a request, a webhook, a poll): each runs in the
  // engine's own context, never in the request's that happened to wake it.
  const engineContext = yield* Effect.context<never>()
  const workflows = new Map<string, Registered>()
  const running = new Map<string, Running>()
  const claiming = new Set<string>()
  /** Woken while a run or a claim was under way here: looked at again once that is over, so no wake is lost. */
  const wanted = new Set<string>()
  const deferredState = WorkflowEngine.makeDeferredState()
  const clocks = yield* FiberMap.make<string>()

  const leaseFrom = (at: Date) => new Date(at.getTime() + Duration.toMillis(lease))

  /**
   * The statements for whoever calls the engine: a workflow run (its steps, a deferred it completes, a saga it
   * starts) waits out an outage of the database like the rest of its run; anyone else (a request, a webhook, the
   * reconciliation) is answered promptly, with the database's error if it is down.
   */
  const statementsForCaller = Effect.map(
    Effect.serviceOption(WorkflowEngine.WorkflowInstance),
    (instance): PromptStatements => (Option.isSome(instance) ? store : store.promptly)
  )

  /** Runs an execution here if it needs a run and nobody holds it; a no-op otherwise. Never waits for the run. */
  const start = (executionId: string, force = false): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (running.has(executionId) || claiming.has(executionId)) {
        wanted.add(executionId)
        return Effect.void
      }
      return claimingHere(
        executionId,
        Effect.flatMap(now, (at) => store.claim(executionId, owner, leaseFrom(at), at, force)).pipe(
          Effect.flatMap((claimed) => (Option.isSome(claimed) ? launch(claimed.value) : Effect.void))
        )
      )
    })

  /** `claim` (a statement that may take the lease of `executionId`) with no other claim of it under way here. */
  const claimingHere = (executionId: string, claim: Effect.Effect<void>): Effect.Effect<void> =>
    Effect.suspend(() => {
      claiming.add(executionId)
      wanted.delete(executionId)
      return claim.pipe(
        Effect.ensuring(
          Effect.suspend(() => {
            claiming.delete(executionId)
            // A wake that came meanwhile is looked at in the background: the caller may be a request.
            return wanted.has(executionId) ? Effect.asVoid(Effect.forkIn(again(executionId), scope)) : Effect.void
          })
        )
      )
    })

  /** Runs here an execution whose lease this runner has just taken. */
  const launch = (claimed: ClaimedExecution) =>
    Effect.gen(function* () {
      const entry = workflows.get(claimed.workflow)
      if (entry === undefined) {
        // Not a workflow this process knows: its lease runs out and a runner that knows it takes it.
        yield* Effect.logWarning("workflow execution of an unknown workflow left to another runner").pipe(
          Effect.annotateLogs({ executionId: claimed.executionId, workflow: claimed.workflow })
        )
        return
      }
      const state = runningOf(entry, claimed)
      running.set(claimed.executionId, state)
      yield* Effect.forkIn(Effect.provideContext(runLoop(state), engineContext), scope)
    })

  /** A wake that came while this process was busy with the execution: try once more. */
  const again = (executionId: string) =>
    wanted.has(executionId) && !running.has(executionId) && !claiming.has(executionId)
      ? start(executionId)
      : Effect.void

  /** Wakes what a store write made runnable: at once here when no other runner holds it. */
  const wake = (woken: ReadonlyArray<Woken>) =>
    Effect.forEach(woken, (w) => (w.status === "runnable" && !w.leased ? start(w.executionId) : Effect.void), {
      discard: true
    })

  /** One run of the workflow over the journal. */
  const runOnce = (state: Running) =>
    Effect.suspend(() => {
      const instance = WorkflowEngine.WorkflowInstance.initial(state.entry.workflow, state.executionId)
      instance.interrupted = false
      state.instance = instance
      return state.entry.execute(state.payload, state.executionId).pipe(
        Effect.onExit((exit) => {
          // As the in-memory engine: an interrupt takes effect when the run would suspend; an unsafe one at once.
          if (
            !state.interrupted ||
            (!state.interruptedUnsafe &&
              !instance.suspended &&
              !instance.abandoned &&
              !(Context.get(instance.workflow.annotations, Workflow.SuspendOnFailure) && Exit.isFailure(exit)))
          )
            return Effect.void
          instance.interrupted = true
          instance.suspended = false
          return Effect.withFiber((fiber) => Effect.interruptible(Fiber.interrupt(fiber)))
        }),
        (effect) => deferredState.trackRun(instance, effect),
        Workflow.intoResult,
        Effect.provideService(WorkflowEngine.WorkflowInstance, instance),
        Effect.provideService(WorkflowEngine.WorkflowEngine, engine),
        Effect.forkIn(state.entry.scope),
        Effect.tap((fiber) => Effect.sync(() => (state.fiber = fiber))),
        Effect.flatMap(Fiber.await)
      )
    })

  /** Runs until the execution completes or waits; runs again at once when a completion arrived while it ran. */
  const runLoop = (state: Running): Effect.Effect<void> =>
    Effect.gen(function* () {
      for (;;) {
        const exit = yield* runOnce(state)
        // Interrupted from outside (shutting down) or abandoned: nothing is recorded; the lease says who goes on.
        if (Exit.isFailure(exit)) return
        const result = exit.value
        const at = yield* now
        if (result._tag === "Complete") {
          const encoded = Schema.encodeSync(state.entry.result)(result)
          const done = yield* store.complete(state.executionId, owner, encoded, at)
          // Its clocks went with it (the same statement): so do their timers here.
          for (const name of state.clocks) yield* FiberMap.remove(clocks, `${state.executionId}/${name}`)
          if (Option.isSome(done) && done.value.parentId !== null)
            yield* Effect.flatMap(store.wake(done.value.parentId, false, at), (w) => wake(Option.toArray(w)))
          return
        }
        yield* Scope.close(state.instance.scope, Exit.void)
        const outcome = yield* store.suspend(state.executionId, owner, state.wakes, leaseFrom(at), at)
        if (outcome !== "rerun") return
        const claimed = yield* store.claim(state.executionId, owner, leaseFrom(at), at, false)
        if (Option.isNone(claimed)) return
        const fresh = runningOf(state.entry, claimed.value)
        state.wakes = fresh.wakes
        state.journal = fresh.journal
        for (const name of fresh.clocks) state.clocks.add(name)
        state.interrupted = state.interrupted || fresh.interrupted
      }
    }).pipe(
      Effect.ensuring(
        Effect.suspend(() => {
          running.delete(state.executionId)
          return again(state.executionId)
        })
      )
    )

  const engine: WorkflowEngine.WorkflowEngine["Service"] = WorkflowEngine.makeUnsafe({
    register: Effect.fnUntraced(function* (workflow, execute) {
      workflows.set(workflow._tag, {
        workflow,
        execute,
        scope: yield* Effect.scope,
        payload: Schema.toCodecJson(workflow.payloadSchema) as unknown as Schema.Codec<unknown, unknown>,
        result: Schema.toCodecJson(
          Workflow.Result({ success: workflow.successSchema, error: workflow.errorSchema })
        ) as unknown as Schema.Codec<Workflow.Result<unknown, unknown>, unknown>
      })
    }),

    // Called by requests (a checkout, a refund): the row is written promptly or the call fails at once (the
    // request answers an error, its client retries); the run is started here, but waited for only briefly: a run
    // that cannot claim its execution now (the database went away) claims it later, or the poll does. Called by a
    // workflow (a saga starting another), it waits out an outage as every other step of a run does.
    execute: Effect.fnUntraced(function* (workflow, options) {
      const entry = workflows.get(workflow._tag)
      if (entry === undefined) return yield* Effect.die(`Workflow ${workflow._tag} is not registered`)
      const at = yield* now
      const statements = yield* statementsForCaller
      const executionId = options.executionId
      const create = (claimFor?: { readonly owner: string; readonly leaseUntil: Date }) =>
        statements.create({
          executionId,
          workflow: workflow._tag,
          payload: Schema.encodeSync(entry.payload)(options.payload),
          parentId: options.detached ? null : (options.parent?.executionId ?? null),
          at,
          ...(claimFor === undefined ? {} : { claimFor })
        })
      // A new execution is created with this runner's lease (one statement) and runs here at once.
      let launched = false
      if (running.has(executionId) || claiming.has(executionId)) yield* create()
      else
        yield* claimingHere(
          executionId,
          Effect.gen(function* () {
            const created = yield* create({ owner, leaseUntil: leaseFrom(at) })
            if (Option.isNone(created.claimed)) return
            launched = true
            yield* launch(created.claimed.value)
          })
        )
      if (!launched) {
        // It existed already: it runs here if it needs a run and nobody has it.
        const starting = yield* Effect.forkIn(start(executionId), scope)
        yield* Fiber.join(starting).pipe(Effect.timeoutOption(STARTING_AT_MOST))
      }
      if (options.discard) return undefined as never
      const status = yield* statements.status(options.executionId)
      return (
        Option.isSome(status) && status.value.status === "complete"
          ? Schema.decodeUnknownSync(entry.result)(status.value.result)
          : new Workflow.Suspended({})
      ) as never
    }),

    poll: (workflow, executionId) =>
      Effect.map(store.status(executionId), (status) => {
        const entry = workflows.get(workflow._tag)
        if (Option.isNone(status) || entry === undefined) return Option.none()
        if (status.value.status === "complete")
          return Option.some(Schema.decodeUnknownSync(entry.result)(status.value.result))
        return status.value.status === "suspended" ? Option.some(new Workflow.Suspended({})) : Option.none()
      }),

    interrupt: (_workflow, executionId) =>
      Effect.gen(function* () {
        const state = running.get(executionId)
        if (state !== undefined) state.interrupted = true
        yield* Effect.flatMap(store.wake(executionId, true, yield* now), (w) => wake(Option.toArray(w)))
      }),

    interruptUnsafe: (_workflow, executionId) =>
      Effect.gen(function* () {
        const state = running.get(executionId)
        if (state !== undefined) {
          state.interrupted = true
          state.interruptedUnsafe = true
          if (state.fiber !== undefined) yield* Fiber.interrupt(state.fiber)
        }
        yield* Effect.flatMap(store.wake(executionId, true, yield* now), (w) => wake(Option.toArray(w)))
      }),

    resume: (_workflow, executionId) => start(executionId, true),

    activityExecute: Effect.fnUntraced(function* (activity, attempt) {
      const instance = yield* WorkflowEngine.WorkflowInstance
      const state = running.get(instance.executionId)
      const key = activityKey(activity.name, attempt)
      const recorded = state?.journal.get(key)
      if (recorded !== undefined) return new Workflow.Complete({ exit: exitFromJson(recorded) })
      // A pending interrupt replays only to rebuild compensations: it runs no new activity.
      if (state?.interrupted === true && !instance.interrupted) return new Workflow.Suspended({})
      const activityInstance = WorkflowEngine.WorkflowInstance.initial(instance.workflow, instance.executionId)
      activityInstance.interrupted = instance.interrupted
      const result = yield* activity.executeEncoded.pipe(
        Workflow.intoResult,
        Effect.provideService(WorkflowEngine.WorkflowInstance, activityInstance)
      )
      if (result._tag === "Suspended" || state === undefined) return result
      const kept = yield* store.recordActivity(instance.executionId, owner, {
        name: activity.name,
        attempt,
        exit: exitToJson(result.exit)
      })
      if (Option.isNone(kept)) {
        // Another runner holds this execution now: stop here, without compensating anything.
        instance.abandoned = true
        return yield* Effect.interrupt
      }
      state.journal.set(key, kept.value)
      return new Workflow.Complete({ exit: exitFromJson(kept.value) })
    }),

    deferredResult: Effect.fnUntraced(function* (deferred) {
      const instance = yield* WorkflowEngine.WorkflowInstance
      const exit = running.get(instance.executionId)?.journal.get(deferredKey(deferred.name))
      if (exit !== undefined) return Option.some(exitFromJson(exit))
      yield* markRunWaiting(deferred.name)
      return Option.none()
    }),

    deferredDone: (options) =>
      Effect.gen(function* () {
        const { executionId, deferredName } = options
        const exit = exitToJson(options.exit)
        // A webhook (or the reconciliation) completes it: promptly, or the caller fails and tries again later. A
        // run completes one too (DurableDeferred.raceAll records the winner): it waits out an outage.
        const statements = yield* statementsForCaller
        const at = yield* now
        if (!running.has(executionId) && !claiming.has(executionId))
          // Nobody runs it here: the statement that records the completion also claims the execution it wakes,
          // when no live runner holds it, and it runs here at once. Not recorded (completed before: the first
          // completion stands), it wakes nobody; the execution is run only if it needs a run and nobody has it
          // (a retried statement whose first attempt did claim it).
          return yield* claimingHere(
            executionId,
            Effect.gen(function* () {
              const completed = yield* statements.completeDeferred(executionId, deferredName, exit, at, {
                owner,
                leaseUntil: leaseFrom(at)
              })
              if (Option.isSome(completed.claimed)) yield* launch(completed.claimed.value)
              else if (!completed.recorded) wanted.add(executionId)
              else yield* Effect.forkIn(wake(Option.toArray(completed.woken)), scope)
            })
          )
        const completed = yield* statements.completeDeferred(executionId, deferredName, exit, at)
        // Completed before: the first completion stands, and this one wakes nobody.
        if (!completed.recorded) return
        running.get(executionId)?.journal.set(deferredKey(deferredName), exit)
        // A run here parked on it replays at once (its suspension then sees the wake and runs again).
        yield* deferredState.deferredDone(executionId, deferredName)
        // Never wait for the run here: the caller may be that run's own finalizer, or a webhook.
        yield* Effect.forkIn(wake(Option.toArray(completed.woken)), scope)
      }),

    scheduleClock: (_workflow, { executionId, clock }) =>
      Effect.gen(function* () {
        // A replay does not schedule again a clock that an earlier run scheduled (or that has fired).
        const state = running.get(executionId)
        if (state?.clocks.has(clock.name) || state?.journal.has(deferredKey(clock.deferred.name))) return
        state?.clocks.add(clock.name)
        const at = yield* now
        yield* store.scheduleClock({
          executionId,
          name: clock.name,
          deferredName: clock.deferred.name,
          exit: exitToJson(Exit.void),
          wakeAt: new Date(at.getTime() + Duration.toMillis(clock.duration))
        })
        // This process fires its own clock on time; the poll fires it otherwise (this process died meanwhile).
        yield* Effect.sleep(clock.duration).pipe(
          Effect.andThen(now),
          Effect.flatMap((due) => store.fireClocks(due, { executionId, name: clock.name })),
          Effect.flatMap(wake),
          FiberMap.run(clocks, `${executionId}/${clock.name}`, { onlyIfMissing: true }),
          Effect.asVoid
        )
      })
  })

  // A runner restarted under its name takes its executions back at once; then the background work: renewing the
  // leases of what runs here, firing due clocks, taking over executions whose runner died.
  yield* store.release(owner, yield* now)
  yield* Effect.addFinalizer(() => Effect.flatMap(now, (at) => store.release(owner, at)))
  // Neither loop stops for good: a failure is logged and the next round comes (a dead renewal loop would let every
  // lease of this runner run out while its runs go on).
  const every = (interval: Duration.Duration, failed: string, effect: Effect.Effect<void>) =>
    Effect.forkIn(
      effect.pipe(
        Effect.catchCause((cause) =>
          Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : Effect.logWarning(failed, cause)
        ),
        Effect.andThen(Effect.sleep(interval)),
        Effect.forever
      ),
      scope
    )
  yield* every(
    pollInterval,
    "workflow engine poll failed",
    Effect.gen(function* () {
      const at = yield* now
      yield* Effect.flatMap(store.fireClocks(at, { limit: 100 }), wake)
      const orphans = yield* store.orphans(at, 100)
      yield* Effect.forEach(orphans, (id) => start(id), { discard: true })
    })
  )
  yield* every(
    Duration.millis(Duration.toMillis(lease) / 3),
    "workflow engine could not renew its leases",
    Effect.flatMap(now, (at) => store.renew(owner, [...running.keys()], leaseFrom(at)))
  )
  return engine
})

/** The engine as a Layer, over the store (and its options). */
export const PgWorkflowEngineLayer = Layer.effect(WorkflowEngine.WorkflowEngine, makePgWorkflowEngine)

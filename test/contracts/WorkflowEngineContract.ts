import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Duration, Effect, Exit, Layer, Option, Ref, Schema, type Scope } from "effect"
import { TestClock } from "effect/testing"
import { Activity, DurableClock, DurableDeferred, Workflow, type WorkflowEngine } from "effect/workflow"

/** What the test workflows did, and how often: an activity that ran twice shows twice. */
export class Trail extends Context.Service<Trail, Ref.Ref<ReadonlyArray<string>>>()("test/workflow/Trail") {}
const note = (entry: string) => Trail.use((trail) => Ref.update(trail, (xs) => [...xs, entry]))
export const trailOf = Trail.use(Ref.get)

export const Paid = DurableDeferred.make("Paid", { success: Schema.String, error: Schema.String })

export const Purchase = Workflow.make("TestPurchase", {
  payload: { id: Schema.String, failAt: Schema.optionalKey(Schema.Literals(["capture"])) },
  idempotencyKey: ({ id }) => id,
  success: Schema.Struct({ outcome: Schema.String }),
  error: Schema.String
})

/**
 * A checkout in miniature: reserve (compensated by a release), wait for a payment or a 10-minute window,
 * capture, confirm. Each step notes itself on the trail.
 */
export const PurchaseLive = Purchase.toLayer(
  Effect.fn(function* ({
    id,
    failAt
  }): Effect.fn.Return<
    { readonly outcome: string },
    string,
    | Trail
    | Scope.Scope
    | WorkflowEngine.WorkflowEngine
    | WorkflowEngine.WorkflowInstance
    | Workflow.Execution<"TestPurchase">
  > {
    yield* Activity.make({ name: "Reserve", execute: note(`reserve ${id}`) }).pipe(
      Purchase.withCompensation(() => note(`release ${id}`))
    )
    const outcome = yield* DurableDeferred.raceAll({
      name: "PaidOrTimeout",
      success: Schema.Literals(["paid", "timed_out"]),
      error: Schema.String,
      effects: [
        DurableDeferred.await(Paid).pipe(Effect.as("paid" as const)),
        DurableClock.sleep({ name: "Window", duration: Duration.minutes(10), inMemoryThreshold: Duration.zero }).pipe(
          Effect.as("timed_out" as const)
        )
      ]
    })
    if (outcome === "timed_out") {
      yield* note(`timed out ${id}`)
      return yield* Effect.fail("timed out")
    }
    yield* Activity.make({
      name: "Capture",
      error: Schema.String,
      execute: failAt === "capture" ? Effect.fail("declined at capture") : note(`capture ${id}`)
    })
    yield* Activity.make({ name: "Confirm", execute: note(`confirm ${id}`) })
    return { outcome: "confirmed" }
  })
)

export const pay = (id: string, outcome: Exit.Exit<string, string> = Exit.succeed("ok")) =>
  Effect.gen(function* () {
    const token = yield* DurableDeferred.tokenFromPayload(Paid, { workflow: Purchase, payload: { id } })
    yield* DurableDeferred.done(Paid, { token, exit: outcome })
  })

/** Polls until the execution has a final result (the TestClock moved a little each time: the engine's polls run). */
export const settled = (id: string) =>
  Effect.gen(function* () {
    const executionId = yield* Purchase.executionId({ id })
    for (let i = 0; i < 400; i++) {
      const result = yield* Purchase.poll(executionId)
      if (Option.isSome(result) && result.value._tag === "Complete") return result.value.exit
      yield* TestClock.adjust(Duration.millis(50))
      // Real time for the database's answers (the TestClock only moves the engine's own timers).
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    return yield* Effect.die(`execution of ${id} did not settle`)
  })

/** Polls until the execution waits (for its payment or its clock): its timers are set from then on. */
export const waiting = (id: string) =>
  Effect.gen(function* () {
    const executionId = yield* Purchase.executionId({ id })
    for (let i = 0; i < 400; i++) {
      const result = yield* Purchase.poll(executionId)
      if (Option.isSome(result) && result.value._tag === "Suspended") return
      yield* Effect.yieldNow
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
    }
    return yield* Effect.die(`execution of ${id} did not wait`)
  })

/**
 * One contract for every WorkflowEngine the sagas may run on: the library's in-memory engine (unit tests) and
 * the durable PostgreSQL one (production). `engine` must provide WorkflowEngine (and whatever it needs).
 */
export const workflowEngineContract = (name: string, engine: Layer.Layer<WorkflowEngine.WorkflowEngine>) =>
  describe(`WorkflowEngine contract: ${name}`, () => {
    const run = <A, E>(body: Effect.Effect<A, E, WorkflowEngine.WorkflowEngine | Trail>) =>
      Effect.gen(function* () {
        const trail = yield* Ref.make<ReadonlyArray<string>>([])
        return yield* body.pipe(
          Effect.provide(PurchaseLive.pipe(Layer.provideMerge(engine))),
          Effect.provideService(Trail, trail)
        )
      })

    it.effect("a paid purchase runs each step once and confirms", () =>
      run(
        Effect.gen(function* () {
          yield* Purchase.execute({ id: "p1" }, { discard: true })
          yield* pay("p1")
          const exit = yield* settled("p1")
          expect(exit).toStrictEqual(Exit.succeed({ outcome: "confirmed" }))
          expect(yield* trailOf).toEqual(["reserve p1", "capture p1", "confirm p1"])
        })
      )
    )

    it.effect("a payment that arrives before the saga started is not lost", () =>
      run(
        Effect.gen(function* () {
          yield* pay("early")
          yield* Purchase.execute({ id: "early" }, { discard: true })
          expect(yield* settled("early")).toStrictEqual(Exit.succeed({ outcome: "confirmed" }))
          expect(yield* trailOf).toEqual(["reserve early", "capture early", "confirm early"])
        })
      )
    )

    it.effect("the payment window closes on its clock: compensated once, nothing captured", () =>
      run(
        Effect.gen(function* () {
          yield* Purchase.execute({ id: "late" }, { discard: true })
          // The window's clock is set when the run gets to it, which may be after `execute` answered.
          yield* waiting("late")
          yield* TestClock.adjust(Duration.minutes(11))
          const exit = yield* settled("late")
          expect(Exit.isFailure(exit)).toBe(true)
          expect(yield* trailOf).toEqual(["reserve late", "timed out late", "release late"])
        })
      )
    )

    it.effect("a failed step runs the compensations of the steps done", () =>
      run(
        Effect.gen(function* () {
          yield* Purchase.execute({ id: "bad", failAt: "capture" }, { discard: true })
          yield* pay("bad")
          const exit = yield* settled("bad")
          expect(Exit.isFailure(exit) ? Cause.findErrorOption(exit.cause) : undefined).toStrictEqual(
            Option.some("declined at capture")
          )
          expect(yield* trailOf).toEqual(["reserve bad", "release bad"])
        })
      )
    )

    it.effect("starting the same execution twice runs it once", () =>
      run(
        Effect.gen(function* () {
          yield* Purchase.execute({ id: "twice" }, { discard: true })
          yield* Purchase.execute({ id: "twice" }, { discard: true })
          yield* pay("twice")
          yield* pay("twice", Exit.fail("a second, different answer is ignored"))
          expect(yield* settled("twice")).toStrictEqual(Exit.succeed({ outcome: "confirmed" }))
          expect(yield* trailOf).toEqual(["reserve twice", "capture twice", "confirm twice"])
        })
      )
    )
  })

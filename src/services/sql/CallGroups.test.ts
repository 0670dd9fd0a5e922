import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { makeCallGroups } from "./CallGroups.ts"

/** Call groups over numbers: a group answers each item doubled (or fails, or leaves an item unanswered). */
const setUp = (options: { readonly groupFails?: boolean; readonly unanswered?: number } = {}) => {
  const groups: Array<ReadonlyArray<number>> = []
  const calls = makeCallGroups<number, number>({
    maxRunning: 1,
    maxGroup: 3,
    runGroup: (items) => {
      groups.push(items)
      if (options.groupFails) return Effect.fail("the group's statement failed")
      return Effect.succeed(items.map((i) => (i === options.unanswered ? undefined : i * 2)))
    },
    fork: (effect) => {
      Effect.runFork(effect)
    }
  })
  /** A call whose single run answers `-item`, once `gate` opens (when given). */
  const call = (item: number, gate?: Deferred.Deferred<void>) =>
    calls.call("type-1", item, Effect.as(gate ? Deferred.await(gate) : Effect.void, -item))
  return { groups, call }
}

/** Lets forked fibers and queued calls reach where they wait. */
const settle = Effect.yieldNow.pipe(Effect.repeat({ times: 20 }))

describe("CallGroups", () => {
  it.effect("a call on an idle key runs alone at once, and so does the next when the first is done", () =>
    Effect.gen(function* () {
      const { groups, call } = setUp()
      expect(yield* call(1)).toBe(-1)
      expect(yield* call(2)).toBe(-2)
      expect(groups).toEqual([])
    })
  )

  it.effect("calls queued behind a busy key run as groups, in order, each answered its own value", () =>
    Effect.gen(function* () {
      const { groups, call } = setUp()
      const gate = yield* Deferred.make<void>()
      const first = yield* Effect.forkChild(call(1, gate))
      yield* settle
      const queued = yield* Effect.forkChild(
        Effect.all(
          [2, 3, 4, 5].map((i) => call(i)),
          { concurrency: "unbounded" }
        )
      )
      yield* settle
      expect(groups).toEqual([])
      yield* Deferred.succeed(gate, undefined)
      expect(yield* Fiber.join(first)).toBe(-1)
      expect(yield* Fiber.join(queued)).toEqual([4, 6, 8, 10])
      // At most three per group: the fourth waited for the first group.
      expect(groups).toEqual([[2, 3, 4], [5]])
      // The line is idle again: the next call runs alone.
      expect(yield* call(6)).toBe(-6)
    })
  )

  it.effect("a call its group cannot answer, and every call of a failed group, runs alone", () =>
    Effect.gen(function* () {
      for (const options of [{ unanswered: 3 }, { groupFails: true }]) {
        const { groups, call } = setUp(options)
        const gate = yield* Deferred.make<void>()
        const first = yield* Effect.forkChild(call(1, gate))
        yield* settle
        const queued = yield* Effect.forkChild(
          Effect.all(
            [2, 3].map((i) => call(i)),
            { concurrency: "unbounded" }
          )
        )
        yield* settle
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(first)
        expect(yield* Fiber.join(queued)).toEqual(options.groupFails ? [-2, -3] : [4, -3])
        expect(groups).toEqual([[2, 3]])
      }
    })
  )

  it.effect("an interrupted waiter leaves the queue; the slots are not lost", () =>
    Effect.gen(function* () {
      const { groups, call } = setUp()
      const gate = yield* Deferred.make<void>()
      const first = yield* Effect.forkChild(call(1, gate))
      yield* settle
      const gone = yield* Effect.forkChild(call(2))
      const kept = yield* Effect.forkChild(call(3))
      yield* settle
      yield* Fiber.interrupt(gone)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      expect(yield* Fiber.join(kept)).toBe(6)
      expect(groups).toEqual([[3]])
      expect(yield* call(4)).toBe(-4)

      // A call interrupted while it runs alone frees its slot too.
      const stuck = yield* Effect.forkChild(call(5, yield* Deferred.make<void>()))
      yield* settle
      yield* Fiber.interrupt(stuck)
      expect(yield* call(6)).toBe(-6)
    })
  )
})

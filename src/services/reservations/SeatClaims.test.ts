import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import type { SeatCandidate } from "../../domain/reservations/BestAvailable.ts"
import { makeSeatClaims } from "./SeatClaims.ts"

const row = (ids: ReadonlyArray<string>): ReadonlyArray<SeatCandidate> =>
  ids.map((id, i) => ({ id, sectionPosition: 1, rowPosition: 1, position: i + 1, rowSize: ids.length }))

const settle = Effect.yieldNow.pipe(Effect.repeat({ times: 10 }))

describe("SeatClaims", () => {
  it.effect("seats being placed are left out of another buyer's choice, per ticket type, until the place ends", () =>
    Effect.gen(function* () {
      const claims = makeSeatClaims()
      const candidates = row(["a", "b", "c", "d"])
      const gate = yield* Deferred.make<void>()
      const placing = yield* Effect.forkChild(claims.placing("front", ["a", "b"], Deferred.await(gate)))
      yield* settle
      expect(claims.unclaimed("front", candidates).map((c) => c.id)).toEqual(["c", "d"])
      // Another ticket type's seats are not this one's.
      expect(claims.unclaimed("back", candidates)).toBe(candidates)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(placing)
      expect(claims.unclaimed("front", candidates)).toBe(candidates)
    })
  )

  it.effect("a place that fails or is interrupted gives its seats back too", () =>
    Effect.gen(function* () {
      const claims = makeSeatClaims()
      const candidates = row(["a", "b"])
      const failed = yield* Effect.exit(claims.placing("front", ["a"], Effect.fail("refused")))
      expect(Exit.isFailure(failed)).toBe(true)
      expect(claims.unclaimed("front", candidates)).toBe(candidates)
      const stuck = yield* Effect.forkChild(claims.placing("front", ["b"], Effect.never))
      yield* settle
      expect(claims.unclaimed("front", candidates).map((c) => c.id)).toEqual(["a"])
      yield* Fiber.interrupt(stuck)
      expect(claims.unclaimed("front", candidates)).toBe(candidates)
    })
  )
})

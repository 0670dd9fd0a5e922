import { expect, layer } from "@effect/vitest"
import { Duration, Effect, Exit, type Layer } from "effect"
import { RateLimiter, type RateLimiterUnavailable, type RatePolicy } from "../../src/domain/security/RateLimiter.ts"

const fresh = () => crypto.randomUUID()

/**
 * 10 per second: one request every 100 ms. Short enough for a fast suite on the real clock (Redis keeps its own
 * time), long enough that a burst of round trips does not refill a token while the test counts.
 */
const perSecond = (limit = 10): RatePolicy => ({ name: `test-${fresh()}`, limit, window: Duration.seconds(1) })
const ms = Duration.toMillis

/** One contract, every adapter: what any RateLimiter must do while its store is up. */
export const rateLimiterContract = (name: string, adapter: Layer.Layer<RateLimiter, unknown>) =>
  layer(adapter, { timeout: "30 seconds", excludeTestServices: true })(`RateLimiter contract: ${name}`, (it) => {
    it.effect("allows a burst of `limit`, counting down, then refuses for about window / limit", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const [policy, key] = [perSecond(), fresh()]
        const remaining: Array<number> = []
        for (let i = 0; i < 10; i++) {
          const decision = yield* limiter.consume(key, policy)
          expect(decision).toMatchObject({ allowed: true, limit: 10 })
          expect(ms(decision.retryAfter)).toBe(0)
          remaining.push(decision.remaining)
        }
        expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0])

        const refused = yield* limiter.consume(key, policy)
        expect(refused).toMatchObject({ allowed: false, limit: 10, remaining: 0 })
        expect(ms(refused.retryAfter)).toBeGreaterThan(0)
        expect(ms(refused.retryAfter)).toBeLessThanOrEqual(100)
        expect(ms(refused.resetAfter)).toBeGreaterThan(700)
        expect(ms(refused.resetAfter)).toBeLessThanOrEqual(1_000)
        // Refusals take nothing: asking again at once is refused again, no later.
        const again = yield* limiter.consume(key, policy)
        expect(again.allowed).toBe(false)
        expect(ms(again.retryAfter)).toBeLessThanOrEqual(ms(refused.retryAfter))
      })
    )

    it.effect("after retryAfter one more is allowed; after resetAfter the whole burst again", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const [policy, key] = [perSecond(), fresh()]
        for (let i = 0; i < 10; i++) yield* limiter.consume(key, policy)
        const refused = yield* limiter.consume(key, policy)
        expect(refused.allowed).toBe(false)

        yield* Effect.sleep(Duration.sum(refused.retryAfter, Duration.millis(15)))
        const one = yield* limiter.consume(key, policy)
        expect(one).toMatchObject({ allowed: true, remaining: 0 })
        expect((yield* limiter.consume(key, policy)).allowed).toBe(false)

        yield* Effect.sleep(Duration.sum(one.resetAfter, Duration.millis(15)))
        const full = yield* limiter.consume(key, policy)
        expect(full).toMatchObject({ allowed: true, remaining: 9 })
      })
    )

    it.effect("keys and policies are counted apart", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const [login, search] = [perSecond(3), perSecond(3)]
        const [alice, bob] = [fresh(), fresh()]
        for (let i = 0; i < 3; i++) yield* limiter.consume(alice, login)
        expect((yield* limiter.consume(alice, login)).allowed).toBe(false)

        expect(yield* limiter.consume(bob, login)).toMatchObject({ allowed: true, remaining: 2 })
        expect(yield* limiter.consume(alice, search)).toMatchObject({ allowed: true, remaining: 2 })
        expect((yield* limiter.consume(alice, login)).allowed).toBe(false)
      })
    )

    it.effect("reset fills that key's bucket under that policy only", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const [login, other] = [perSecond(3), perSecond(3)]
        const key = fresh()
        for (let i = 0; i < 3; i++) {
          yield* limiter.consume(key, login)
          yield* limiter.consume(key, other)
        }
        yield* limiter.reset(key, login)
        expect(yield* limiter.consume(key, login)).toMatchObject({ allowed: true, remaining: 2 })
        expect((yield* limiter.consume(key, other)).allowed).toBe(false)
        // Resetting what was never counted is harmless.
        yield* limiter.reset(fresh(), login)
      })
    )

    it.effect("50 requests at once on a limit of 10: exactly 10 allowed", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        // One token every second: no refill while the 50 are in flight.
        const policy: RatePolicy = { name: `test-${fresh()}`, limit: 10, window: Duration.seconds(10) }
        const key = fresh()
        const decisions = yield* Effect.all(
          Array.from({ length: 50 }, () => limiter.consume(key, policy)),
          { concurrency: "unbounded" }
        )
        const allowed = decisions.filter((d) => d.allowed)
        expect(allowed.length).toBe(10)
        expect(allowed.map((d) => d.remaining).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0)).toBe(true)
      })
    )

    it.effect("a cost above 1 takes that many, or nothing, and waits for that many", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const [policy, key] = [perSecond(), fresh()]
        expect(yield* limiter.consume(key, policy, 4)).toMatchObject({ allowed: true, remaining: 6 })
        expect(yield* limiter.consume(key, policy, 4)).toMatchObject({ allowed: true, remaining: 2 })
        const refused = yield* limiter.consume(key, policy, 4)
        // Two tokens are there, two more are missing: about 200 ms.
        expect(refused).toMatchObject({ allowed: false, remaining: 2 })
        expect(ms(refused.retryAfter)).toBeGreaterThan(100)
        expect(ms(refused.retryAfter)).toBeLessThanOrEqual(200)
        // Cost 0 only looks.
        expect(yield* limiter.consume(key, policy, 0)).toMatchObject({ allowed: true, remaining: 2 })
        expect(yield* limiter.consume(key, policy, 2)).toMatchObject({ allowed: true, remaining: 0 })
        expect((yield* limiter.consume(key, policy)).allowed).toBe(false)
      })
    )

    it.effect("a request that can never be rated is a defect, not a refusal", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const key = fresh()
        const exits = [
          yield* Effect.exit(limiter.consume(key, perSecond(), 11)),
          yield* Effect.exit(limiter.consume(key, perSecond(), -1)),
          yield* Effect.exit(limiter.consume(key, perSecond(), 1.5)),
          yield* Effect.exit(limiter.consume(key, { ...perSecond(), limit: 0 })),
          yield* Effect.exit(limiter.consume(key, { ...perSecond(), window: Duration.zero }))
        ]
        expect(
          exits.map((exit) =>
            Exit.isFailure(exit) ? exit.cause.reasons.map((reason) => reason._tag).join() : "Success"
          )
        ).toEqual(Array(5).fill("Die"))
      })
    )
  })

/** Longest a single call may take while the store is down: it must fail fast, not wait for the store. */
const DOWN_DEADLINE_MS = 1_000

/** What any store-backed RateLimiter must do while its store is down: fail fast with RateLimiterUnavailable. */
export const rateLimiterDownContract = (name: string, adapter: Layer.Layer<RateLimiter, unknown>) =>
  layer(adapter, { timeout: "30 seconds", excludeTestServices: true })(
    `RateLimiter contract, store down: ${name}`,
    (it) => {
      it.effect("consume and reset fail with RateLimiterUnavailable within a second", () =>
        Effect.gen(function* () {
          const limiter = yield* RateLimiter
          const [policy, key] = [perSecond(), fresh()]
          const calls: ReadonlyArray<readonly [string, Effect.Effect<unknown, RateLimiterUnavailable>]> = [
            ["consume", limiter.consume(key, policy)],
            ["consume cost 3", limiter.consume(key, policy, 3)],
            ["reset", limiter.reset(key, policy)]
          ]
          for (const [call, effect] of calls) {
            const started = Date.now()
            const error = yield* effect.pipe(
              Effect.timeoutOrElse({ duration: "3 seconds", orElse: () => Effect.fail("hung" as const) }),
              Effect.flip
            )
            const elapsed = Date.now() - started
            expect({ call, error: typeof error === "string" ? error : error._tag }).toEqual({
              call,
              error: "RateLimiterUnavailable"
            })
            expect({ call, fast: elapsed < DOWN_DEADLINE_MS }).toEqual({ call, fast: true })
            if (typeof error !== "string") {
              expect(error.policy).toBe(policy.name)
              expect(error.message).not.toContain(key)
            }
          }
        })
      )
    }
  )

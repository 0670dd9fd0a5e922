import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import fc from "fast-check"
import { usability } from "./SecurityTokenRules.ts"
import {
  acceptTotpStep,
  classifyCode,
  isNewerStep,
  mayUseTwoFactor,
  recoveryCodeFrom,
  TOTP_WINDOW,
  timeStepOf
} from "./TwoFactorRules.ts"

const step = fc.integer({ min: 0, max: 100_000_000 })
const lastUsed = fc.option(fc.integer({ min: 0, max: 100_000_000 }), { nil: null })

describe("two-factor rules", () => {
  it("accepts a code only within the window of now, and only of a step after the last one used", () =>
    fc.assert(
      fc.property(fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }), step, lastUsed, (delta, now, last) => {
        const outcome = acceptTotpStep(delta, now, last)
        const inWindow = delta !== null && Math.abs(delta) <= TOTP_WINDOW
        if (!inWindow) return Result.isFailure(outcome) && outcome.failure === "wrong_code"
        const matched = now + (delta as number)
        if (last !== null && matched <= last) return Result.isFailure(outcome) && outcome.failure === "code_reused"
        return Result.isSuccess(outcome) && outcome.success === matched
      })
    ))

  it("never accepts the same step twice in a row: a code works once", () =>
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 1 }), step, lastUsed, (delta, now, last) => {
        const first = acceptTotpStep(delta, now, last)
        if (Result.isFailure(first)) return true
        return Result.isFailure(acceptTotpStep(delta, now, first.success))
      })
    ))

  it("counts time in 30-second steps", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (seconds) => {
        const at = timeStepOf(new Date(seconds * 1000))
        return at === Math.floor(seconds / 30) && timeStepOf(new Date((seconds + 30) * 1000)) === at + 1
      })
    )
    expect(isNewerStep(null, 0)).toBe(true)
    expect(isNewerStep(5, 5)).toBe(false)
  })

  it("tells app codes from recovery codes however they are typed, and refuses the rest", () => {
    expect(classifyCode("123 456")).toEqual({ _tag: "Totp", code: "123456" })
    expect(classifyCode("ABCDE-FGHJK")).toEqual({ _tag: "Recovery", code: "abcdefghjk" })
    expect(classifyCode("12345")).toEqual({ _tag: "Malformed" })
    expect(classifyCode("abcde-fghi0")).toEqual({ _tag: "Malformed" })
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), (bytes) => {
        const shown = recoveryCodeFrom(bytes)
        return /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(shown) && classifyCode(shown.toUpperCase())._tag === "Recovery"
      })
    )
  })

  it("is for organizers and admins", () => {
    expect(mayUseTwoFactor({ accountType: "organizer", isAdmin: false })).toBe(true)
    expect(mayUseTwoFactor({ accountType: "customer", isAdmin: true })).toBe(true)
    expect(mayUseTwoFactor({ accountType: "customer", isAdmin: false })).toBe(false)
  })
})

describe("one-time token rules", () => {
  it("a token is usable strictly before its expiry, unused and not revoked", () =>
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.boolean(),
        fc.boolean(),
        (issued, offset, used, revoked) => {
          const expiresAt = new Date(issued + 5_000)
          const now = new Date(expiresAt.getTime() + offset)
          const outcome = usability(
            { expiresAt, usedAt: used ? new Date(issued) : null, revokedAt: revoked ? new Date(issued) : null },
            now
          )
          if (revoked) return Result.isFailure(outcome) && outcome.failure === "invalid"
          if (used) return Result.isFailure(outcome) && outcome.failure === "used"
          if (offset >= 0) return Result.isFailure(outcome) && outcome.failure === "expired"
          return Result.isSuccess(outcome)
        }
      )
    ))
})

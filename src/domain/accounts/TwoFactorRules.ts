import { Result } from "effect"

/** RFC 6238 as every authenticator app does it by default: SHA-1, 6 digits, a new code every 30 seconds. */
export const TOTP_PERIOD_SECONDS = 30
export const TOTP_DIGITS = 6
/**
 * Codes of this many time steps either side of now are accepted too: the phone's clock may be a little off, and a
 * code typed in its last seconds arrives in the next step.
 */
export const TOTP_WINDOW = 1
/** Recovery codes handed out when two-factor authentication is turned on; each works once. */
export const RECOVERY_CODE_COUNT = 10

/** Who may turn two-factor authentication on: organizers and admins (the accounts that manage events and money). */
export const mayUseTwoFactor = (account: { readonly accountType: string; readonly isAdmin: boolean }): boolean =>
  account.accountType === "organizer" || account.isAdmin

/** The TOTP time step `now` falls in. */
export const timeStepOf = (now: Date, periodSeconds = TOTP_PERIOD_SECONDS): number =>
  Math.floor(now.getTime() / 1000 / periodSeconds)

/** Whether a code of time step `step` is newer than the last one the account used (never reuse a code). */
export const isNewerStep = (lastUsedStep: number | null, step: number): boolean =>
  lastUsedStep === null || step > lastUsedStep

export type CodeRefusal = "wrong_code" | "code_reused"

/**
 * Whether a TOTP code matched at `delta` steps from `currentStep` (null: it matched none) may be accepted: within
 * `window` steps of now, and of a step after the last code the account used, so that a code seen over someone's
 * shoulder (or replayed from a log) never works a second time. Answers the step to record as used.
 */
export const acceptTotpStep = (
  delta: number | null,
  currentStep: number,
  lastUsedStep: number | null,
  window = TOTP_WINDOW
): Result.Result<number, CodeRefusal> => {
  if (delta === null || !Number.isInteger(delta) || Math.abs(delta) > window) return Result.fail("wrong_code")
  const step = currentStep + delta
  return isNewerStep(lastUsedStep, step) ? Result.succeed(step) : Result.fail("code_reused")
}

const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
/** A recovery code as stored and compared: 10 characters of RECOVERY_ALPHABET. */
const RECOVERY_SHAPE = /^[a-hjkmnp-z2-9]{10}$/

/** What a typed code is: six digits from the app, a recovery code (`xxxxx-xxxxx`, any case and spacing), or neither. */
export type TypedCode =
  | { readonly _tag: "Totp"; readonly code: string }
  | { readonly _tag: "Recovery"; readonly code: string }
  | { readonly _tag: "Malformed" }

export const classifyCode = (typed: string): TypedCode => {
  const compact = typed.replace(/[\s-]/g, "").toLowerCase()
  if (/^\d{6}$/.test(compact)) return { _tag: "Totp", code: compact }
  if (RECOVERY_SHAPE.test(compact)) return { _tag: "Recovery", code: compact }
  return { _tag: "Malformed" }
}

/**
 * A recovery code from random bytes (one byte per character, at least 10): 10 characters of an alphabet without
 * look-alikes (no 0/o, 1/l/i), shown as `xxxxx-xxxxx`. About 49 bits each.
 */
export const recoveryCodeFrom = (bytes: Uint8Array): string => {
  if (bytes.length < 10) throw new Error("a recovery code needs 10 random bytes")
  let code = ""
  for (let i = 0; i < 10; i++) code += RECOVERY_ALPHABET[(bytes[i] as number) % RECOVERY_ALPHABET.length]
  return `${code.slice(0, 5)}-${code.slice(5)}`
}

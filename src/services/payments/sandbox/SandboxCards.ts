import { Result } from "effect"
import { SandboxRefusal } from "./SandboxRefusal.ts"

/*
 * The sandbox's test cards and what a card number does when an intent is confirmed with it (SandboxLedger.confirm).
 */

export const TEST_CARDS = {
  /** Authorised at once. */
  authorized: "4242424242424242",
  /** Declined: `card_declined`. */
  declined: "4000000000000002",
  /** `processing` first, authorised after the sandbox's delay (like a 3-D Secure challenge passed later). */
  delayed: "4000000000003220"
} as const

export type CardOutcome =
  | { readonly _tag: "Authorized" }
  | { readonly _tag: "Processing" }
  | { readonly _tag: "Declined"; readonly code: string }

const luhnValid = (digits: string): boolean => {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return sum % 10 === 0
}

/**
 * The card rules. Spaces and dashes are ignored; anything but 12–19 digits is refused (400 invalid_card_number).
 * Apart from the test cards, a number failing the Luhn check is declined `incorrect_number` and any other number
 * `card_declined`: like a real PSP in test mode, the sandbox accepts only its test cards.
 */
export const cardOutcome = (card: string): Result.Result<CardOutcome, SandboxRefusal> => {
  const digits = card.replace(/[\s-]/g, "")
  if (!/^\d{12,19}$/.test(digits))
    return Result.fail(
      new SandboxRefusal({ status: 400, code: "invalid_card_number", message: "card must be 12 to 19 digits" })
    )
  if (digits === TEST_CARDS.authorized) return Result.succeed({ _tag: "Authorized" })
  if (digits === TEST_CARDS.delayed) return Result.succeed({ _tag: "Processing" })
  if (digits === TEST_CARDS.declined || luhnValid(digits))
    return Result.succeed({ _tag: "Declined", code: "card_declined" })
  return Result.succeed({ _tag: "Declined", code: "incorrect_number" })
}

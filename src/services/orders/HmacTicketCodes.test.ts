import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import type { EventId, TicketId } from "../../domain/shared/Ids.ts"
import { makeHmacTicketCodes } from "./HmacTicketCodes.ts"

const ticketId = "0b6c5a8e-4a6f-4f7e-9d51-5f0a7c1e2d3b" as TicketId
const eventId = "7e1f0c2a-9b3d-4c5e-8f6a-1b2c3d4e5f60" as EventId
const oldSecret = Redacted.make("the-old-ticket-secret-the-old-ticket-secret")
const newSecret = Redacted.make("the-new-ticket-secret-the-new-ticket-secret")

describe("ticket codes across a rotation of the secret", () => {
  it.effect(
    "a ticket sold before the rotation still admits; a code the old key alone signed is refused after it is retired",
    () =>
      Effect.gen(function* () {
        const code = yield* makeHmacTicketCodes(oldSecret).sign(ticketId, eventId)
        const rotated = makeHmacTicketCodes(newSecret, [oldSecret])
        expect(yield* rotated.verify(code)).toEqual(Option.some({ ticketId, eventId }))
        // New tickets are signed with the new key and verify without the old one.
        const fresh = yield* rotated.sign(ticketId, eventId)
        expect(fresh).not.toBe(code)
        expect(Option.isSome(yield* makeHmacTicketCodes(newSecret).verify(fresh))).toBe(true)
        // Once the old secret is dropped, its codes no longer verify.
        expect(yield* makeHmacTicketCodes(newSecret).verify(code)).toEqual(Option.none())
      })
  )

  it.effect("a code with one character changed is refused under every key", () =>
    Effect.gen(function* () {
      const codes = makeHmacTicketCodes(newSecret, [oldSecret])
      const code = yield* codes.sign(ticketId, eventId)
      const flip = (at: number) => {
        const changed = code[at] === "A" ? "B" : "A"
        return `${code.slice(0, at)}${changed}${code.slice(at + 1)}`
      }
      // In the ids, in the MAC, and in the MAC's last character (whose spare bits would otherwise go unnoticed).
      for (const at of [6, code.length - 5, code.length - 1])
        expect(yield* codes.verify(flip(at))).toEqual(Option.none())
    })
  )
})

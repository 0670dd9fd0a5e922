import { describe, expect, it } from "@effect/vitest"
import { Option, Redacted, Result } from "effect"
import fc from "fast-check"
import type { Email } from "../../domain/accounts/User.ts"
import type { UserId } from "../../domain/shared/Ids.ts"
import { makeAccountTokens, makeEmailVerificationTokens } from "./EmailVerificationTokens.ts"

const secret = Redacted.make("0123456789abcdef0123456789abcdef-secret")
const otherSecret = Redacted.make("another-secret-another-secret-another-secret")
const USER = "6f1c2a4e-8b3d-4f5a-9c7e-0d1b2c3d4e5f" as UserId
const EMAIL = "ada@example.com" as Email
const NOW = new Date("2027-03-01T12:00:00.000Z")
const HOUR = 3600 * 1000

const tokens = makeEmailVerificationTokens(secret, 48)
const issued = tokens.issue(USER, EMAIL, NOW)

describe("email verification tokens", () => {
  it("verify for the account and the address they were made for, until they expire", () => {
    expect(issued.expiresAt).toEqual(new Date(NOW.getTime() + 48 * HOUR))
    expect(tokens.subject(issued.token)).toEqual(Option.some(USER))
    expect(tokens.verify(issued.token, EMAIL, NOW)).toEqual(
      Result.succeed({ userId: USER, expiresAt: issued.expiresAt })
    )
    expect(Result.isSuccess(tokens.verify(issued.token, EMAIL, new Date(issued.expiresAt.getTime() - 1)))).toBe(true)
  })

  it("are refused as expired from their expiry on", () => {
    expect(tokens.verify(issued.token, EMAIL, issued.expiresAt)).toEqual(Result.fail("expired"))
    expect(tokens.verify(issued.token, EMAIL, new Date(NOW.getTime() + 365 * 24 * HOUR))).toEqual(
      Result.fail("expired")
    )
  })

  it("carry neither the address nor anything but the account id and the expiry in clear", () => {
    expect(issued.token).toMatch(/^ev1\.[A-Za-z0-9_-]{27}\.[A-Za-z0-9_-]{43}$/)
    expect(issued.token.toLowerCase()).not.toContain("ada")
    const body = Buffer.from(issued.token.split(".")[1] ?? "", "base64url")
    expect(body.toString("latin1")).not.toContain("example")
  })

  it("are refused for another address of the same account (the address changed, or the account was erased)", () => {
    expect(tokens.verify(issued.token, "ada@example.org" as Email, NOW)).toEqual(Result.fail("invalid"))
  })

  it("are refused when made for another purpose with the same key", () => {
    const reset = makeAccountTokens("password-reset", secret, 48 * 3600).issue(USER, EMAIL, NOW)
    expect(tokens.verify(reset.token, EMAIL, NOW)).toEqual(Result.fail("invalid"))
  })

  it("are refused when signed with another key, accepted from a previous key", () => {
    const foreign = makeEmailVerificationTokens(otherSecret, 48).issue(USER, EMAIL, NOW)
    expect(tokens.verify(foreign.token, EMAIL, NOW)).toEqual(Result.fail("invalid"))
    const rotated = makeEmailVerificationTokens(Redacted.make("the-new-secret-the-new-secret-the-new"), 48, [secret])
    expect(Result.isSuccess(rotated.verify(issued.token, EMAIL, NOW))).toBe(true)
  })

  it("cannot be moved to another account or given a later expiry", () => {
    const [version, body, mac] = issued.token.split(".") as [string, string, string]
    const bytes = Buffer.from(body, "base64url")
    const later = Buffer.from(bytes)
    later.writeUInt32BE(later.readUInt32BE(16) + 365 * 24 * 3600, 16)
    const laterToken = `${version}.${later.toString("base64url")}.${mac}`
    // An altered expiry is not "expired", it is not authentic at all.
    expect(tokens.verify(laterToken, EMAIL, NOW)).toEqual(Result.fail("invalid"))
    expect(tokens.verify(laterToken, EMAIL, new Date(NOW.getTime() + 100 * 24 * HOUR))).toEqual(Result.fail("invalid"))
    const other = Buffer.from(bytes)
    other[0] = (other[0] ?? 0) ^ 0x01
    expect(tokens.verify(`${version}.${other.toString("base64url")}.${mac}`, EMAIL, NOW)).toEqual(
      Result.fail("invalid")
    )
  })

  it("are refused when malformed", () => {
    const [version, body, mac] = issued.token.split(".") as [string, string, string]
    for (const bad of [
      "",
      "ev1",
      `${version}.${body}`,
      `${version}.${body}.${mac}.extra`,
      `ev2.${body}.${mac}`,
      `${version}.${body}.${mac.slice(0, -1)}`,
      `${version}.${body}=.${mac}`,
      `${version}.${body}.${mac}${"A".repeat(200)}`
    ]) {
      expect(tokens.verify(bad, EMAIL, NOW)).toEqual(Result.fail("invalid"))
    }
  })

  it("are refused after any change of one character (property)", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    fc.assert(
      fc.property(
        fc.nat({ max: issued.token.length - 1 }),
        fc.constantFrom(...alphabet.split("")),
        (position, replacement) => {
          fc.pre(issued.token[position] !== replacement)
          const altered = issued.token.slice(0, position) + replacement + issued.token.slice(position + 1)
          expect(tokens.verify(altered, EMAIL, NOW)).toEqual(Result.fail("invalid"))
        }
      )
    )
  })
})

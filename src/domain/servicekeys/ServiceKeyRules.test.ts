import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import type { EventId } from "../shared/Ids.ts"
import { ServiceKey, type ServiceKeyId } from "./ServiceKey.ts"
import { authorize, callerOf, checkGrant, dueForTouch, parseScopeSpecs, unusable } from "./ServiceKeyRules.ts"

const now = new Date("2027-01-01T00:00:00Z")
const E1 = "11111111-1111-4111-8111-111111111111" as EventId
const E2 = "22222222-2222-4222-8222-222222222222" as EventId
const key = (fields: Partial<ServiceKey> = {}) =>
  new ServiceKey({
    id: "33333333-3333-4333-8333-333333333333" as ServiceKeyId,
    name: "gate",
    prefix: "gtk_abcdefgh",
    scopes: ["door:scan"],
    doorEvents: [E1],
    createdBy: null,
    createdAt: now,
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...fields
  })
const failure = <A, E extends { message: string }>(r: Result.Result<A, E>) =>
  Result.isFailure(r) ? r.failure.message : "ok"

describe("service key rules", () => {
  it("issues a grant with scopes once each, door events only with door:scan", () => {
    const ok = checkGrant(
      { name: " box office ", scopes: ["booking:write", "booking:write"], doorEvents: [], expiresAt: null },
      now
    )
    expect(Result.isSuccess(ok) && ok.success).toEqual({
      name: "box office",
      scopes: ["booking:write"],
      doorEvents: [],
      expiresAt: null
    })
    expect(failure(checkGrant({ name: "x", scopes: [], doorEvents: [], expiresAt: null }, now))).toMatch(
      /at least one scope/
    )
    expect(failure(checkGrant({ name: "x", scopes: ["door:scan"], doorEvents: [], expiresAt: null }, now))).toMatch(
      /per event/
    )
    expect(failure(checkGrant({ name: "x", scopes: ["ops"], doorEvents: [E1], expiresAt: null }, now))).toMatch(
      /only for a key/
    )
    expect(failure(checkGrant({ name: "", scopes: ["ops"], doorEvents: [], expiresAt: null }, now))).toMatch(/name/)
    expect(
      failure(checkGrant({ name: "x", scopes: ["ops"], doorEvents: [], expiresAt: new Date(now.getTime() - 1) }, now))
    ).toMatch(/future/)
    expect(
      failure(
        checkGrant({ name: "x", scopes: ["ops"], doorEvents: [], expiresAt: new Date("2030-01-01T00:00:00Z") }, now)
      )
    ).toMatch(/at most 730 days/)
  })

  it("a revoked or expired key authenticates nothing", () => {
    expect(unusable(key(), now)).toBeUndefined()
    expect(unusable(key({ revokedAt: now }), now)).toBe("revoked")
    expect(unusable(key({ expiresAt: now }), now)).toBe("expired")
    expect(unusable(key({ expiresAt: new Date(now.getTime() + 1) }), now)).toBeUndefined()
  })

  it("door:scan is limited to the key's events; other scopes are all or nothing", () => {
    const caller = callerOf(key())
    expect(Result.isSuccess(authorize(caller, { scope: "door:scan", eventId: E1 }))).toBe(true)
    expect(failure(authorize(caller, { scope: "door:scan", eventId: E2 }))).toMatch(/may not scan for event/)
    expect(failure(authorize(caller, { scope: "door:scan" }))).toMatch(/may not scan/)
    expect(failure(authorize(caller, { scope: "support" }))).toMatch(/lacks the support scope/)
  })

  it("parses the operator's scope specs", () => {
    const parsed = parseScopeSpecs(["support", `door:scan:${E1}`, `door:scan:${E2}`, "support"])
    expect(Result.isSuccess(parsed) && parsed.success).toEqual({
      scopes: ["support", "door:scan"],
      doorEvents: [E1, E2]
    })
    expect(failure(parseScopeSpecs(["door:scan"]))).toMatch(/door:scan:<eventId>/)
    expect(failure(parseScopeSpecs(["door:scan:nope"]))).toMatch(/not an event id/)
    expect(failure(parseScopeSpecs(["root"]))).toMatch(/unknown scope/)
  })

  it("writes a use down at most once a minute", () => {
    expect(dueForTouch(null, now)).toBe(true)
    expect(dueForTouch(new Date(now.getTime() - 59_999), now)).toBe(false)
    expect(dueForTouch(new Date(now.getTime() - 60_000), now)).toBe(true)
  })
})

import { describe, expect, it } from "@effect/vitest"
import { Result } from "effect"
import type { EventId } from "../shared/Ids.ts"
import type { OrganizerApiKeyId } from "./OrganizerApiKey.ts"
import { checkKeyGrant, keyRefusal, keySees } from "./OrganizerApiKeyRules.ts"

const now = new Date("2027-01-01T00:00:00Z")
const A = "11111111-1111-4111-8111-111111111111" as EventId
const B = "22222222-2222-4222-8222-222222222222" as EventId
const keyId = "33333333-3333-4333-8333-333333333333" as OrganizerApiKeyId
const failure = <A, E extends { message: string }>(r: Result.Result<A, E>) =>
  Result.isFailure(r) ? r.failure.message : "ok"

describe("organizer API key rules", () => {
  it("issues a grant for all events or a list of them, each once", () => {
    const ok = checkKeyGrant({ name: " crm ", access: "write", events: [A, A, B], expiresAt: null }, now)
    expect(Result.isSuccess(ok) && ok.success).toEqual({
      name: "crm",
      access: "write",
      events: [A, B],
      expiresAt: null
    })
    expect(failure(checkKeyGrant({ name: "x", access: "read", events: [], expiresAt: null }, now))).toMatch(
      /at least one/
    )
    expect(failure(checkKeyGrant({ name: " ", access: "read", events: null, expiresAt: null }, now))).toMatch(/name/)
    expect(failure(checkKeyGrant({ name: "x", access: "read", events: null, expiresAt: now }, now))).toMatch(/future/)
    expect(
      failure(
        checkKeyGrant({ name: "x", access: "read", events: null, expiresAt: new Date("2030-01-01T00:00:00Z") }, now)
      )
    ).toMatch(/730 days/)
  })

  it("a read key never writes; a key naming events reaches those only, and nothing about no event when writing", () => {
    const reader = { keyId, access: "read", events: null } as const
    const writerOfA = { keyId, access: "write", events: [A] } as const
    expect(keyRefusal(reader, { writes: false, eventId: A })).toBeUndefined()
    expect(keyRefusal(reader, { writes: true, eventId: A })).toMatch(/only read/)
    expect(keyRefusal(writerOfA, { writes: true, eventId: A })).toBeUndefined()
    expect(keyRefusal(writerOfA, { writes: false, eventId: B })).toMatch(/this event/)
    expect(keyRefusal(writerOfA, { writes: true, eventId: undefined })).toMatch(/all your events/)
    expect(keyRefusal(writerOfA, { writes: false, eventId: undefined })).toBeUndefined()
    expect(keyRefusal({ keyId, access: "write", events: null }, { writes: true, eventId: undefined })).toBeUndefined()
    expect([keySees(writerOfA, A), keySees(writerOfA, B), keySees(undefined, B)]).toEqual([true, false, true])
  })
})

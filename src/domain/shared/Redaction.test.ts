import { describe, expect, it } from "@effect/vitest"
import { maskEmail } from "./Redaction.ts"

describe("maskEmail", () => {
  it("keeps the first letter and the domain only", () => {
    expect(maskEmail("grace.hopper@example.com")).toBe("g***@example.com")
    expect(maskEmail("x@example.com")).toBe("x***@example.com")
    expect(maskEmail("not-an-email")).toBe("***")
    expect(maskEmail("@example.com")).toBe("***")
  })
})

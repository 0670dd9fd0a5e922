import { describe, expect, it } from "@effect/vitest"
import { rememberDecodedBodies } from "./RememberedBodies.ts"

/** A decoder that counts its calls: JSON objects with a numeric `quantity`, anything else undecodable. */
const counting = () => {
  const calls: Array<string> = []
  const decode = (text: string): { readonly quantity: number; readonly items: ReadonlyArray<string> } | undefined => {
    calls.push(text)
    try {
      const json = JSON.parse(text) as { quantity?: unknown }
      return typeof json.quantity === "number" ? { quantity: json.quantity, items: ["a"] } : undefined
    } catch {
      return undefined
    }
  }
  return { calls, decode }
}

describe("rememberDecodedBodies", () => {
  it("decodes each body text once and answers repeats with the same value", () => {
    const { calls, decode } = counting()
    const bodyOf = rememberDecodedBodies(decode, { capacity: 10, maxLength: 100 })
    const first = bodyOf('{"quantity":2}')
    expect(bodyOf('{"quantity":2}')).toBe(first)
    expect(bodyOf('{"quantity":3}')).toEqual({ quantity: 3, items: ["a"] })
    expect(calls).toEqual(['{"quantity":2}', '{"quantity":3}'])
  })

  it("does not remember a body that does not decode, nor one longer than maxLength", () => {
    const { calls, decode } = counting()
    const bodyOf = rememberDecodedBodies(decode, { capacity: 10, maxLength: 20 })
    expect(bodyOf("{nope")).toBeUndefined()
    expect(bodyOf("{nope")).toBeUndefined()
    const long = `{"quantity":1,"pad":"${"x".repeat(30)}"}`
    expect(bodyOf(long)).toEqual({ quantity: 1, items: ["a"] })
    expect(bodyOf(long)).toEqual({ quantity: 1, items: ["a"] })
    expect(calls).toEqual(["{nope", "{nope", long, long])
  })

  it("shares frozen values, so that no request can change what the next one gets", () => {
    const bodyOf = rememberDecodedBodies(counting().decode, { capacity: 10, maxLength: 100 })
    const value = bodyOf('{"quantity":1}') as { quantity: number; items: Array<string> }
    expect(() => {
      value.quantity = 4
    }).toThrow(TypeError)
    expect(() => value.items.push("b")).toThrow(TypeError)
    expect(bodyOf('{"quantity":1}')).toEqual({ quantity: 1, items: ["a"] })
  })

  it("starts over when full and still answers every body right", () => {
    const { calls, decode } = counting()
    const bodyOf = rememberDecodedBodies(decode, { capacity: 2, maxLength: 100 })
    for (const quantity of [1, 2, 3, 1]) expect(bodyOf(`{"quantity":${quantity}}`)?.quantity).toBe(quantity)
    // 1 and 2 filled it; 3 started it over, so 1 was decoded again.
    expect(calls.length).toBe(4)
  })
})

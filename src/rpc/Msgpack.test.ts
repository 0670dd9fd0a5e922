import { describe, expect, it } from "@effect/vitest"
import { RpcSerialization } from "effect/rpc"
import { makeMsgpack } from "./Msgpack.ts"

const bytes = (h: string) => new Uint8Array(Buffer.from(h.replaceAll(" ", ""), "hex"))

describe("MessagePack serialisation", () => {
  const message = {
    _tag: "Request",
    id: "12",
    tag: "PlaceHold",
    payload: { customerId: "a-b", items: [{ q: 4 }], price: 12.5, big: 2 ** 53 - 1, neg: -70000, text: "é✓😀" },
    headers: [["authorization", "Bearer gtk_x"]],
    sampled: true,
    nothing: null
  }

  it("writes plain MessagePack (a map with string keys, no records or extensions)", () => {
    const parser = makeMsgpack().makeUnsafe()
    const hex = Buffer.from(parser.encode({ a: 1 }) as Uint8Array).toString("hex")
    expect(hex.endsWith("a16101")).toBe(true)
    expect(["81", "de0001"]).toContain(hex.slice(0, -6))
  })

  it("round-trips RPC messages split anywhere across chunks", () => {
    const once = makeMsgpack().makeUnsafe().encode(message) as Uint8Array
    const twice = new Uint8Array([...once, ...once])
    for (let cut = 0; cut <= twice.length; cut++) {
      const parser = makeMsgpack().makeUnsafe()
      expect([...parser.decode(twice.subarray(0, cut)), ...parser.decode(twice.subarray(cut))]).toEqual([
        message,
        message
      ])
    }
  })

  it("refuses malformed and oversized input, then decodes again", () => {
    const parser = makeMsgpack({ maxBufferSize: 64 }).makeUnsafe()
    expect(() => parser.decode(bytes("c7"))).not.toThrow() // an incomplete extension: waits for more bytes
    // a string announced 4 GiB long: kept waiting for, until the buffer limit refuses it
    expect(() => parser.decode(new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff, ...new Uint8Array(100)]))).toThrow(
      RpcSerialization.MaxBufferSizeExceeded
    )
    expect(parser.decode(parser.encode({ ok: 1 }) as Uint8Array)).toEqual([{ ok: 1 }])
  })

  it("frames batches", () => {
    const parser = makeMsgpack().makeUnsafe()
    expect(parser.decode(parser.encode([{ a: 1 }, { b: 2 }]) as Uint8Array)).toEqual([{ a: 1 }, { b: 2 }])
    expect(parser.encode([])).toBeUndefined()
  })
})

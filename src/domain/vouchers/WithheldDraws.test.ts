import { describe, expect, it } from "@effect/vitest"
import { drawOf, drawsGivenBack, poolDue } from "./WithheldDraws.ts"

const voucher = {
  id: "v1",
  ticketTypeIds: ["t1"],
  reservedUnits: 3,
  reservedLeft: 2,
  accountId: null as string | null
} as const

describe("WithheldDraws", () => {
  it("a hold draws all its units of the voucher's type from the pool, if the pool has them", () => {
    const items = [
      { ticketTypeId: "t1", quantity: 1 },
      { ticketTypeId: "t2", quantity: 4 },
      { ticketTypeId: "t1", quantity: 1 }
    ]
    expect(drawOf(voucher, items, "alice")).toEqual({ voucherId: "v1", ticketTypeId: "t1", units: 2 })
    expect(drawOf(voucher, [{ ticketTypeId: "t1", quantity: 3 }], "alice")).toBeUndefined()
    expect(drawOf(voucher, [{ ticketTypeId: "t2", quantity: 1 }], "alice")).toBeUndefined()
    expect(drawOf({ ...voucher, reservedUnits: null }, items, "alice")).toBeUndefined()
  })

  it("a voucher of one account draws only for that account", () => {
    const offer = { ...voucher, accountId: "alice" }
    expect(drawOf(offer, [{ ticketTypeId: "t1", quantity: 1 }], "alice")?.units).toBe(1)
    expect(drawOf(offer, [{ ticketTypeId: "t1", quantity: 1 }], "bob")).toBeUndefined()
  })

  it("ended holds give their draws back per pool and per type; holds without one (or given back) are skipped", () => {
    const draws = new Map([
      ["h1", { voucherId: "v2", ticketTypeId: "t1", units: 2 }],
      ["h2", { voucherId: "v1", ticketTypeId: "t1", units: 1 }],
      ["h3", { voucherId: "v1", ticketTypeId: "t1", units: 1 }]
    ])
    expect(drawsGivenBack(draws, ["h3", "h1", "h3", "h9"])).toEqual({
      pools: [
        ["v1", 1],
        ["v2", 2]
      ],
      ticketTypes: [["t1", 3]],
      gone: ["h3", "h1"]
    })
    expect(drawsGivenBack(draws, []).gone).toEqual([])
  })

  it("the expiry job gives up a pool with units left once its voucher is past its validity", () => {
    const at = new Date("2027-03-01T12:00:00.000Z")
    expect(poolDue({ reservedLeft: 1, validUntil: at }, at)).toBe(true)
    expect(poolDue({ reservedLeft: 1, validUntil: new Date(at.getTime() + 1) }, at)).toBe(false)
    expect(poolDue({ reservedLeft: 0, validUntil: at }, at)).toBe(false)
    expect(poolDue({ reservedLeft: 1, validUntil: null }, at)).toBe(false)
  })
})

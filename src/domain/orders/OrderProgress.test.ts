import { describe, expect, it } from "@effect/vitest"
import type { OrderStatus } from "./Order.ts"
import { canBecome, feedStep, isSettled, seenSequence, statusSequence, waitIsOver } from "./OrderProgress.ts"

const ALL: ReadonlyArray<OrderStatus> = ["pending_payment", "confirmed", "cancelled", "partially_refunded", "refunded"]
/** Every arrow of the order's state machine (ARCHITECTURE.md, Order.ts). */
const ARROWS: ReadonlyArray<readonly [OrderStatus, OrderStatus]> = [
  ["pending_payment", "confirmed"],
  ["pending_payment", "cancelled"],
  ["confirmed", "partially_refunded"],
  ["confirmed", "refunded"],
  ["partially_refunded", "refunded"]
]

describe("OrderProgress", () => {
  it("settled: every status but pending_payment", () => {
    expect(ALL.filter(isSettled)).toEqual(["confirmed", "cancelled", "partially_refunded", "refunded"])
  })

  it("the sequence grows along every arrow, so a newer status always has a greater id", () => {
    for (const [from, to] of ARROWS) expect(statusSequence[to]).toBeGreaterThan(statusSequence[from])
  })

  it("canBecome follows the arrows, transitively, and never backwards", () => {
    expect(canBecome("pending_payment", "refunded")).toBe(true)
    expect(canBecome("confirmed", "refunded")).toBe(true)
    expect(canBecome("cancelled", "confirmed")).toBe(false)
    expect(canBecome("confirmed", "pending_payment")).toBe(false)
    expect(canBecome("refunded", "partially_refunded")).toBe(false)
    for (const s of ALL) expect(canBecome(s, s)).toBe(true)
  })

  it("a wait is over in the wanted status, or once the order can no longer get there", () => {
    expect(waitIsOver("pending_payment", "confirmed")).toBe(false)
    expect(waitIsOver("confirmed", "confirmed")).toBe(true)
    expect(waitIsOver("cancelled", "confirmed")).toBe(true)
    expect(waitIsOver("confirmed", "refunded")).toBe(false)
    expect(waitIsOver("confirmed", "pending_payment")).toBe(true)
    expect(waitIsOver("pending_payment", "settled")).toBe(false)
    for (const s of ALL.filter(isSettled)) expect(waitIsOver(s, "settled")).toBe(true)
  })

  it("Last-Event-ID: an id the feed sends, else nothing seen", () => {
    expect(seenSequence(undefined)).toBe(0)
    expect(seenSequence("1")).toBe(1)
    expect(seenSequence(" 2 ")).toBe(2)
    for (const odd of ["", "x", "-1", "1.5", "1e3", "123", "evt-42", "２"]) expect(seenSequence(odd)).toBe(0)
  })

  it("feedStep: news only past what was seen; the feed ends on a settled status", () => {
    expect(feedStep("pending_payment", 0)).toEqual({ news: true, sequence: 1, ends: false })
    expect(feedStep("pending_payment", 1)).toEqual({ news: false, sequence: 1, ends: false })
    expect(feedStep("confirmed", 1)).toEqual({ news: true, sequence: 2, ends: true })
    expect(feedStep("confirmed", 2)).toEqual({ news: false, sequence: 2, ends: true })
    expect(feedStep("refunded", 2)).toEqual({ news: true, sequence: 4, ends: true })
    expect(feedStep("pending_payment", 9)).toEqual({ news: false, sequence: 9, ends: false })
  })
})

import { describe, expect, it } from "@effect/vitest"
import { type IntentStatus, PaymentIntent } from "../payments/PaymentGateway.ts"
import type { EventId, OrderId, ReservationId, UserId } from "../shared/Ids.ts"
import type { Currency } from "../shared/Money.ts"
import { Order, type OrderStatus } from "./Order.ts"
import { canBeMarkedReconciled, isDueForReconciliation, repairOf, settledAt } from "./Reconciliation.ts"

const T0 = new Date("2030-01-01T10:00:00Z")
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000)

const anOrder = (status: OrderStatus, options: { readonly payment?: boolean } = {}) =>
  new Order({
    id: "00000000-0000-4000-8000-000000000001" as OrderId,
    customerId: "00000000-0000-4000-8000-000000000002" as UserId,
    eventId: "00000000-0000-4000-8000-000000000003" as EventId,
    reservationId: "00000000-0000-4000-8000-000000000004" as ReservationId,
    status,
    totalMinor: 5000,
    refundedMinor: status === "refunded" ? 5000 : status === "partially_refunded" ? 2500 : 0,
    currency: "EUR" as Currency,
    payment:
      options.payment === false ? null : { provider: "sandbox", intentId: "pi_1", confirmUrl: "https://psp/confirm" },
    cancelReason: status === "cancelled" ? "payment_failed" : null,
    lines: [],
    tickets: [],
    createdAt: T0,
    confirmedAt: status === "pending_payment" || status === "cancelled" ? null : at(60),
    cancelledAt: status === "cancelled" ? at(60) : null
  })

const anIntent = (status: IntentStatus, capturedMinor = 0, refundedMinor = 0) =>
  new PaymentIntent({
    id: "pi_1",
    reference: "00000000-0000-4000-8000-000000000001",
    status,
    amountMinor: 5000,
    currency: "EUR",
    capturedMinor,
    refundedMinor,
    confirmUrl: "https://psp/confirm",
    declineCode: status === "failed" ? "card_declined" : null
  })

describe("Reconciliation", () => {
  it("an order is settled when confirmed or cancelled, at that moment; a pending one is not", () => {
    expect(settledAt(anOrder("pending_payment"))).toBeNull()
    expect(settledAt(anOrder("confirmed"))).toEqual(at(60))
    expect(settledAt(anOrder("cancelled"))).toEqual(at(60))
    expect(settledAt(anOrder("refunded"))).toEqual(at(60))
  })

  it("a settled order is due once it has been settled longer than the delay, and only until it is reconciled", () => {
    const order = anOrder("cancelled")
    expect(isDueForReconciliation(order, null, at(60))).toBe(false)
    expect(isDueForReconciliation(order, null, at(61))).toBe(true)
    expect(isDueForReconciliation(order, at(90), at(120))).toBe(false)
    expect(isDueForReconciliation(anOrder("pending_payment"), null, at(3600))).toBe(false)
  })

  it("only a settled order not reconciled yet can be marked", () => {
    expect(canBeMarkedReconciled(anOrder("confirmed"), null)).toBe(true)
    expect(canBeMarkedReconciled(anOrder("confirmed"), at(90))).toBe(false)
    expect(canBeMarkedReconciled(anOrder("pending_payment"), null)).toBe(false)
  })

  describe("a cancelled order keeps no money", () => {
    it("an intent that can still be paid, or is authorised, is voided", () => {
      for (const status of ["requires_payment_method", "processing", "requires_capture"] as const)
        expect(repairOf(anOrder("cancelled"), anIntent(status))._tag).toBe("Void")
    })

    it("captured money is refunded, what is left of it only", () => {
      expect(repairOf(anOrder("cancelled"), anIntent("succeeded", 5000))).toEqual({ _tag: "Refund", amountMinor: 5000 })
      expect(repairOf(anOrder("cancelled"), anIntent("succeeded", 5000, 2000))).toEqual({
        _tag: "Refund",
        amountMinor: 3000
      })
    })

    it("a voided, declined or fully refunded intent, or none at all, is consistent", () => {
      expect(repairOf(anOrder("cancelled"), anIntent("canceled"))._tag).toBe("Consistent")
      expect(repairOf(anOrder("cancelled"), anIntent("failed"))._tag).toBe("Consistent")
      expect(repairOf(anOrder("cancelled"), anIntent("succeeded", 5000, 5000))._tag).toBe("Consistent")
      expect(repairOf(anOrder("cancelled", { payment: false }), undefined)._tag).toBe("Consistent")
    })
  })

  describe("a confirmed order was captured in full", () => {
    it("captured in full is consistent, refunded tickets or not", () => {
      expect(repairOf(anOrder("confirmed"), anIntent("succeeded", 5000))._tag).toBe("Consistent")
      expect(repairOf(anOrder("partially_refunded"), anIntent("succeeded", 5000, 2500))._tag).toBe("Consistent")
      expect(repairOf(anOrder("refunded"), anIntent("succeeded", 5000, 5000))._tag).toBe("Consistent")
    })

    it("anything else is for a person: never a capture, never a refund", () => {
      expect(repairOf(anOrder("confirmed"), anIntent("requires_capture"))._tag).toBe("NeedsAttention")
      expect(repairOf(anOrder("confirmed"), anIntent("canceled"))._tag).toBe("NeedsAttention")
      expect(repairOf(anOrder("confirmed"), anIntent("succeeded", 2500))._tag).toBe("NeedsAttention")
      expect(repairOf(anOrder("confirmed", { payment: false }), undefined)._tag).toBe("NeedsAttention")
    })
  })

  it("a pending order is its saga's: never repaired here", () => {
    expect(repairOf(anOrder("pending_payment"), anIntent("requires_capture"))._tag).toBe("NeedsAttention")
  })
})

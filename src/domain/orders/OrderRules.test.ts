import { describe, expect, it } from "@effect/vitest"
import { Actor } from "../accounts/Actor.ts"
import { Event, Venue } from "../catalog/Event.ts"
import type { EventId, OrderId, ReservationId, UserId } from "../shared/Ids.ts"
import type { Currency } from "../shared/Money.ts"
import { RefundRefused } from "./errors.ts"
import { Order } from "./Order.ts"
import { canViewOrder, refundPermission } from "./OrderRules.ts"

const organizer = new Actor({
  userId: "00000000-0000-4000-8000-000000000001" as UserId,
  accountType: "organizer",
  isAdmin: false
})
const customer = new Actor({
  userId: "00000000-0000-4000-8000-000000000002" as UserId,
  accountType: "customer",
  isAdmin: false
})
const stranger = new Actor({
  userId: "00000000-0000-4000-8000-000000000003" as UserId,
  accountType: "customer",
  isAdmin: false
})
const startsAt = new Date("2027-06-01T20:00:00Z")

const event = new Event({
  id: "00000000-0000-4000-8000-0000000000e1" as EventId,
  organizerId: organizer.userId,
  title: "Concert" as never,
  description: null,
  venue: new Venue({ name: "Hall" as never, address: null, timezone: "Europe/Paris" as never }),
  startsAt,
  endsAt: null,
  salesStartAt: null,
  salesEndAt: null,
  status: "published",
  version: 1,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  publishedAt: new Date(0),
  cancelledAt: null
})

const order = (status: Order["status"]) =>
  new Order({
    id: "00000000-0000-4000-8000-0000000000a1" as OrderId,
    customerId: customer.userId,
    eventId: event.id,
    reservationId: "00000000-0000-4000-8000-0000000000b1" as ReservationId,
    status,
    totalMinor: 5000,
    refundedMinor: 0,
    currency: "EUR" as Currency,
    payment: null,
    cancelReason: null,
    lines: [],
    tickets: [],
    createdAt: new Date(0),
    confirmedAt: null,
    cancelledAt: null
  })

const hoursBefore = (h: number) => new Date(startsAt.getTime() - h * 3_600_000)

describe("refundPermission", () => {
  it("lets the customer refund until the cutoff, and not after", () => {
    expect(
      refundPermission({ actor: customer, order: order("confirmed"), event, now: hoursBefore(25), cutoffHours: 24 })
    ).toBe("customer")
    const late = refundPermission({
      actor: customer,
      order: order("confirmed"),
      event,
      now: hoursBefore(23),
      cutoffHours: 24
    })
    expect(late).toBeInstanceOf(RefundRefused)
    expect((late as RefundRefused).code).toBe("refund_window_closed")
  })

  it("lets the organizer refund at any time, even after the cutoff", () => {
    expect(
      refundPermission({
        actor: organizer,
        order: order("partially_refunded"),
        event,
        now: hoursBefore(1),
        cutoffHours: 24
      })
    ).toBe("organizer")
  })

  it("refuses strangers and orders that hold no money", () => {
    expect(
      (
        refundPermission({
          actor: stranger,
          order: order("confirmed"),
          event,
          now: hoursBefore(48),
          cutoffHours: 24
        }) as RefundRefused
      ).code
    ).toBe("not_allowed")
    expect(
      (
        refundPermission({
          actor: customer,
          order: order("pending_payment"),
          event,
          now: hoursBefore(48),
          cutoffHours: 24
        }) as RefundRefused
      ).code
    ).toBe("order_not_refundable")
  })
})

describe("canViewOrder", () => {
  it("shows an order to its customer and its organizer only", () => {
    expect(canViewOrder(customer, order("confirmed"), event)).toBe(true)
    expect(canViewOrder(organizer, order("confirmed"), event)).toBe(true)
    expect(canViewOrder(stranger, order("confirmed"), event)).toBe(false)
  })
})

import { describe, expect, it } from "@effect/vitest"
import { Actor } from "../accounts/Actor.ts"
import { EventId, UserId } from "../shared/Ids.ts"
import { Event, type EventStatus, Venue } from "./Event.ts"
import { canManage, canView } from "./EventAccess.ts"

const OWNER_ID = UserId.make("22222222-2222-4222-8222-222222222222")
const OTHER_ID = UserId.make("66666666-6666-4666-8666-666666666666")

const eventWith = (status: EventStatus) =>
  new Event({
    id: EventId.make("11111111-1111-4111-8111-111111111111"),
    organizerId: OWNER_ID,
    title: "Spring concert",
    description: null,
    venue: new Venue({ name: "Olympia", address: null, timezone: "Europe/Paris" }),
    startsAt: new Date("2027-03-01T19:00:00Z"),
    endsAt: null,
    salesStartAt: null,
    salesEndAt: null,
    status,
    version: 1,
    createdAt: new Date("2027-01-01T00:00:00Z"),
    updatedAt: new Date("2027-01-01T00:00:00Z"),
    publishedAt: null,
    cancelledAt: null
  })

const owner = new Actor({ userId: OWNER_ID, accountType: "organizer", isAdmin: false })
const otherOrganizer = new Actor({ userId: OTHER_ID, accountType: "organizer", isAdmin: false })
const customer = new Actor({ userId: OTHER_ID, accountType: "customer", isAdmin: false })
const admin = new Actor({ userId: OTHER_ID, accountType: "customer", isAdmin: true })

const statuses: ReadonlyArray<EventStatus> = ["draft", "published", "cancelled", "ended"]

describe("EventAccess", () => {
  describe("canManage", () => {
    it("lets the organizer manage their own event, whatever its status", () => {
      for (const status of statuses) expect(canManage(owner, eventWith(status))).toBe(true)
    })

    it("does not let another organizer or a customer manage it", () => {
      for (const status of statuses) {
        expect(canManage(otherOrganizer, eventWith(status))).toBe(false)
        expect(canManage(customer, eventWith(status))).toBe(false)
      }
    })

    it("lets an admin manage any event", () => {
      for (const status of statuses) expect(canManage(admin, eventWith(status))).toBe(true)
    })

    it("goes by the user id, not the account type", () => {
      // The owner's id with a customer account type still owns the event.
      const sameUserAsCustomer = new Actor({ userId: OWNER_ID, accountType: "customer", isAdmin: false })
      expect(canManage(sameUserAsCustomer, eventWith("draft"))).toBe(true)
    })
  })

  describe("canView", () => {
    it("shows a draft to its organizer and to admins", () => {
      expect(canView(owner, eventWith("draft"))).toBe(true)
      expect(canView(admin, eventWith("draft"))).toBe(true)
    })

    it("hides a draft from anonymous callers, other organizers and customers", () => {
      expect(canView(undefined, eventWith("draft"))).toBe(false)
      expect(canView(otherOrganizer, eventWith("draft"))).toBe(false)
      expect(canView(customer, eventWith("draft"))).toBe(false)
    })

    it("shows published, cancelled and ended events to everyone, anonymous included", () => {
      for (const status of ["published", "cancelled", "ended"] as const) {
        const event = eventWith(status)
        expect(canView(undefined, event)).toBe(true)
        expect(canView(customer, event)).toBe(true)
        expect(canView(otherOrganizer, event)).toBe(true)
        expect(canView(owner, event)).toBe(true)
      }
    })
  })
})

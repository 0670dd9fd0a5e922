import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { PAID, payAt, settledOrder } from "../support/Purchase.ts"
import { hold, holdBody } from "../support/Sale.ts"
import { type client, client as clientOf, eventBody, TestServerLive } from "../support/TestServer.ts"

type Api = Effect.Success<typeof client>

/** A published event with a ticket type that asks for names as `policy`, and a plain one. */
const namedSale = (api: Api, policy: "optional" | "required") =>
  Effect.gen(function* () {
    const organizer = yield* api.account("organizer")
    const event = (yield* api.call("POST", "/v1/events", { token: organizer.token, body: eventBody() })).body
    const type = (body: Record<string, unknown>) =>
      api.call("POST", `/v1/events/${event.id}/ticket-types`, {
        token: organizer.token,
        body: { priceMinor: 2500, currency: "EUR", capacity: 50, ...body }
      })
    const named = yield* type({ name: "Named", attendeeNames: policy })
    expect(named.status).toBe(201)
    expect(named.body.attendeeNames).toBe(policy)
    const plain = (yield* type({ name: "Plain" })).body
    expect(plain.attendeeNames).toBe("off")
    expect((yield* api.call("POST", `/v1/events/${event.id}/publish`, { token: organizer.token })).status).toBe(200)
    return { organizer, eventId: event.id as string, namedId: named.body.id as string, plainId: plain.id as string }
  })

const checkout = (api: Api, token: string, reservationId: string, attendees?: ReadonlyArray<string | null>) =>
  api.call("POST", `/v1/reservations/${reservationId}/checkout`, {
    token,
    ...(attendees === undefined ? {} : { body: { attendees } })
  })

/** Hold `quantity` of the type, check out with `attendees`, pay: the confirmed order. */
const buyNamed = (api: Api, token: string, eventId: string, typeId: string, attendees: ReadonlyArray<string | null>) =>
  Effect.gen(function* () {
    const held = yield* hold(api, token, holdBody(eventId, typeId, attendees.length))
    expect(held.status).toBe(201)
    const opened = yield* checkout(api, token, held.body.id, attendees)
    expect(opened.status).toBe(202)
    expect((yield* payAt(opened.body.payment.confirmUrl, PAID)).status).toBe(200)
    const order = yield* settledOrder(api, token, opened.body.orderId)
    expect(order.status).toBe("confirmed")
    return order
  })

const rename = (api: Api, token: string, ticketId: string, name: string | null) =>
  api.call("PUT", `/v1/tickets/${ticketId}/attendee-name`, { token, body: { name } })

describe("attendee names over REST", () => {
  layer(TestServerLive(), { timeout: "180 seconds", excludeTestServices: true })("before the cut-off", (it) => {
    it.effect("required names: a checkout without them is refused with its issues and changes nothing", () =>
      Effect.gen(function* () {
        const api = yield* clientOf
        const sale = yield* namedSale(api, "required")
        const buyer = yield* api.account("customer")
        const held = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.namedId, 2))
        expect(held.status).toBe(201)

        for (const attendees of [undefined, ["Ada Lovelace", "   "], ["Ada Lovelace"], ["Ada", "x".repeat(101)]]) {
          const refused = yield* checkout(api, buyer.token, held.body.id, attendees)
          expect(refused.status).toBe(422)
          expect(refused.body._tag).toBe("AttendeeNamesInvalid")
          expect(refused.body.message).toMatch(/attendees/)
          expect(refused.body.issues.length).toBeGreaterThan(0)
        }
        const blank = yield* checkout(api, buyer.token, held.body.id, ["Ada Lovelace", "   "])
        expect(blank.body.issues).toEqual([
          { code: "missing", path: ["attendees", 1], message: "this ticket type requires the attendee's name" }
        ])
        // Nothing changed: no order, the hold still live and checkoutable.
        expect((yield* api.call("GET", "/v1/orders", { token: buyer.token })).body.items).toEqual([])
        const still = yield* api.call("GET", `/v1/reservations/${held.body.id}`, { token: buyer.token })
        expect(still.body.status).toBe("active")
        // A name for a ticket type that takes none is refused too (it would be lost).
        const plainHold = yield* hold(api, buyer.token, holdBody(sale.eventId, sale.plainId, 1))
        const unexpected = yield* checkout(api, buyer.token, plainHold.body.id, ["Ada"])
        expect(unexpected.status).toBe(422)
        expect(unexpected.body.issues[0].code).toBe("unexpected")
        // Without a body at all, a ticket type that takes no names checks out as before.
        expect((yield* checkout(api, buyer.token, plainHold.body.id)).status).toBe(202)
      })
    )

    it.effect("the names given at checkout are on the tickets; the buyer renames theirs, nobody else can", () =>
      Effect.gen(function* () {
        const api = yield* clientOf
        const sale = yield* namedSale(api, "required")
        const buyer = yield* api.account("customer")
        const other = yield* api.account("customer")
        const order = yield* buyNamed(api, buyer.token, sale.eventId, sale.namedId, [
          "  Ada   Lovelace ",
          "Alan Turing"
        ])
        expect(order.tickets.map((t: { attendeeName: string }) => t.attendeeName)).toEqual([
          "Ada Lovelace",
          "Alan Turing"
        ])
        const ticketId = order.tickets[0].id as string
        const seen = yield* api.call("GET", `/v1/tickets/${ticketId}`, { token: buyer.token })
        expect(seen.body).toMatchObject({ attendeeName: "Ada Lovelace", code: expect.any(String) })

        const renamed = yield* rename(api, buyer.token, ticketId, "Grace Hopper")
        expect(renamed.status).toBe(200)
        expect(renamed.body).toMatchObject({ id: ticketId, attendeeName: "Grace Hopper", code: expect.any(String) })
        const asOrganizer = yield* api.call("GET", `/v1/tickets/${ticketId}`, { token: sale.organizer.token })
        expect(asOrganizer.body).toMatchObject({ attendeeName: "Grace Hopper", code: null })

        // Another customer and the organizer cannot rename it: to them it is not theirs to change (404).
        expect((yield* rename(api, other.token, ticketId, "Mallory")).status).toBe(404)
        expect((yield* rename(api, sale.organizer.token, ticketId, "Mallory")).status).toBe(404)
        expect((yield* rename(api, undefined as never, ticketId, "Mallory")).status).toBe(401)
        // A required name is never blanked; bad names are 422 with the issue.
        const blank = yield* rename(api, buyer.token, ticketId, "  ")
        expect(blank.status).toBe(422)
        expect(blank.body.issues).toEqual([
          { code: "missing", path: ["name"], message: "this ticket type requires the attendee's name" }
        ])
        expect((yield* rename(api, buyer.token, ticketId, "x".repeat(101))).status).toBe(422)
        expect((yield* rename(api, buyer.token, ticketId, "two\u0007lines")).status).toBe(422)
        const after = yield* api.call("GET", `/v1/tickets/${ticketId}`, { token: buyer.token })
        expect(after.body.attendeeName).toBe("Grace Hopper")
      })
    )

    it.effect("optional names: cleared with null; the export shows them; erasure blanks them", () =>
      Effect.gen(function* () {
        const api = yield* clientOf
        const sale = yield* namedSale(api, "optional")
        const buyer = yield* api.account("customer")
        const order = yield* buyNamed(api, buyer.token, sale.eventId, sale.namedId, ["Ada Lovelace", null])
        const [first, second] = order.tickets as Array<{ id: string; attendeeName: string | null }>
        expect([first?.attendeeName, second?.attendeeName]).toEqual(["Ada Lovelace", null])
        expect((yield* rename(api, buyer.token, second?.id as string, "Charles Babbage")).status).toBe(200)
        const cleared = yield* rename(api, buyer.token, first?.id as string, null)
        expect(cleared.status).toBe(200)
        expect(cleared.body.attendeeName).toBeNull()

        const exported = yield* api.call("GET", "/v1/me/export", { token: buyer.token })
        expect(exported.body.tickets.map((t: { attendeeName: string | null }) => t.attendeeName)).toEqual([
          null,
          "Charles Babbage"
        ])

        const erased = yield* api.call("DELETE", "/v1/me", { token: buyer.token, body: { password: buyer.password } })
        expect(erased.status).toBe(204)
        const seen = yield* api.call("GET", `/v1/tickets/${second?.id}`, { token: sale.organizer.token })
        expect(seen.status).toBe(200)
        expect(seen.body.attendeeName).toBeNull()
      })
    )

    it.effect(
      "a ticket type that takes no names: its tickets cannot be named (409) until the organizer asks for names",
      () =>
        Effect.gen(function* () {
          const api = yield* clientOf
          const sale = yield* namedSale(api, "optional")
          const buyer = yield* api.account("customer")
          const order = yield* buyNamed(api, buyer.token, sale.eventId, sale.plainId, [null])
          const refused = yield* rename(api, buyer.token, order.tickets[0].id, "Ada")
          expect(refused.status).toBe(409)
          expect(refused.body).toMatchObject({ _tag: "AttendeeNameLocked", code: "names_not_taken" })
          // The organizer asks for names afterwards: the ticket can be named from then on.
          const changed = yield* api.call("PATCH", `/v1/events/${sale.eventId}/ticket-types/${sale.plainId}`, {
            token: sale.organizer.token,
            body: { attendeeNames: "optional" }
          })
          expect(changed.status).toBe(200)
          expect(changed.body.attendeeNames).toBe("optional")
          expect((yield* rename(api, buyer.token, order.tickets[0].id, "Ada")).body.attendeeName).toBe("Ada")
        })
    )
  })

  // The event starts in 30 days; a cut-off of a year before it has passed already.
  layer(TestServerLive({ ATTENDEE_NAME_CUTOFF_HOURS: "8760" }), { timeout: "180 seconds", excludeTestServices: true })(
    "after the cut-off",
    (it) => {
      it.effect("a name can no longer be changed: 409 name_cutoff_passed, the name as it was", () =>
        Effect.gen(function* () {
          const api = yield* clientOf
          const sale = yield* namedSale(api, "optional")
          const buyer = yield* api.account("customer")
          const order = yield* buyNamed(api, buyer.token, sale.eventId, sale.namedId, ["Ada Lovelace"])
          const ticketId = order.tickets[0].id as string
          const refused = yield* rename(api, buyer.token, ticketId, "Grace Hopper")
          expect(refused.status).toBe(409)
          expect(refused.body).toMatchObject({ _tag: "AttendeeNameLocked", code: "name_cutoff_passed" })
          const seen = yield* api.call("GET", `/v1/tickets/${ticketId}`, { token: buyer.token })
          expect(seen.body.attendeeName).toBe("Ada Lovelace")
        })
      )
    }
  )
})

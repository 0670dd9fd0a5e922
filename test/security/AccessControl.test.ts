import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { InProcessSandbox } from "../../src/services/payments/PaymentGatewayLive.ts"
import { AccessTarget, accessControlTable, seatingOf, World, WorldLive } from "../support/AccessControlTable.ts"
import { type Api, PAID, purchase } from "../support/Purchase.ts"
import { hold, holdBody } from "../support/Sale.ts"
import { ADMIN, ownerView, type SecurityWorld } from "../support/SecurityWorld.ts"
import { client, TEST_JWT_SECRET, TestServerLive } from "../support/TestServer.ts"

/**
 * Access control of every endpoint on one process: the table (test/support/AccessControlTable.ts), and requests
 * that mix ids across owners.
 */

const ServerLive = TestServerLive({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password })

const TargetLive = Layer.effect(
  AccessTarget,
  Effect.gen(function* () {
    const sandbox = yield* InProcessSandbox
    return {
      api: yield* client,
      webhookSecret: Option.match(sandbox, { onNone: () => "", onSome: (s) => s.webhookSecret }),
      jwtSecret: TEST_JWT_SECRET
    }
  })
)

const Server = WorldLive.pipe(Layer.provideMerge(TargetLive), Layer.provideMerge(ServerLive))

describe("access control of every endpoint", () => {
  layer(Server, { timeout: "180 seconds", excludeTestServices: true })("the table", (it) => {
    accessControlTable(it)

    describe("ids mixed across owners", () => {
      it.effect("another organizer cannot reach a ticket type through their own event", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const before = yield* ownerView(api, w)
          const reply = yield* api.call(
            "PATCH",
            `/v1/events/${w.ids.otherOrganizerEvent}/ticket-types/${w.ids.ticketType}`,
            { token: w.otherOrganizer.token, body: { capacity: 1, name: "Hijacked" } }
          )
          expect(reply.status).toBe(404)
          expect(reply.body._tag).toBe("TicketTypeNotFound")
          expect(yield* ownerView(api, w)).toEqual(before)
        })
      )

      it.effect("another organizer cannot seat their draft with someone else's ticket type", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const before = yield* ownerView(api, w)
          const reply = yield* api.call("POST", `/v1/events/${w.ids.otherOrganizerDraft}/seating`, {
            token: w.otherOrganizer.token,
            body: seatingOf(w.ids.ticketType).body
          })
          expect(reply.status).toBe(422)
          expect(reply.body).toMatchObject({ _tag: "EventRuleViolation", rule: "unknown_ticket_type" })
          const seats = yield* api.call("GET", `/v1/events/${w.ids.otherOrganizerDraft}/seats`, {
            token: w.otherOrganizer.token
          })
          expect(seats.body.sections).toEqual([])
          expect(yield* ownerView(api, w)).toEqual(before)
        })
      )

      it.effect("a check-in naming someone else's draft answers 404, as every other call about it does", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          for (const caller of [w.otherCustomer, w.otherOrganizer, w.otherStaff]) {
            const reply = yield* api.call("POST", "/v1/check-ins", {
              token: caller.token,
              body: { eventId: w.ids.draft, code: w.codes.ticket }
            })
            expect(reply.status).toBe(404)
          }
          // Its organizer is told what is wrong with the code instead.
          const own = yield* api.call("POST", "/v1/check-ins", {
            token: w.organizer.token,
            body: { eventId: w.ids.draft, code: w.codes.ticket }
          })
          expect(own.status).toBe(422)
        })
      )

      it.effect("staff of another event cannot check a ticket in by naming their own event", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const before = yield* ownerView(api, w)
          const reply = yield* api.call("POST", "/v1/check-ins", {
            token: w.otherStaff.token,
            body: { eventId: w.ids.sideEvent, code: w.codes.ticket }
          })
          expect(reply.status).toBe(422)
          expect(reply.body.code).toBe("other_event")
          const ticket = yield* api.call("GET", `/v1/tickets/${w.ids.ticket}`, { token: w.customer.token })
          expect(ticket.body).toMatchObject({ status: "valid", checkedInAt: null })
          expect(yield* ownerView(api, w)).toEqual(before)
        })
      )

      it.effect("a customer cannot hold an event's tickets under another event, nor hold on a draft", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const availability = () =>
            Effect.map(
              api.call("GET", `/v1/events/${w.ids.event}`, { token: w.organizer.token }),
              (r) => r.body.ticketTypes
            )
          const before = yield* availability()
          const crossed = yield* hold(api, w.otherCustomer.token, holdBody(w.ids.sideEvent, w.ids.ticketType, 1))
          expect(crossed.status).toBeGreaterThanOrEqual(400)
          expect(crossed.status).toBeLessThan(500)
          const onDraft = yield* hold(api, w.otherCustomer.token, holdBody(w.ids.draft, w.ids.draftTicketType, 1))
          expect(onDraft.status).toBe(404)
          expect(onDraft.body._tag).toBe("EventNotFound")
          expect(yield* availability()).toEqual(before)
        })
      )

      it.effect(
        "a customer cannot refund someone else's tickets through their own order",
        () =>
          Effect.gen(function* () {
            const api = yield* client
            const w = yield* World
            const own = yield* purchase(
              api,
              w.otherCustomer.token,
              w.ids.sideEvent,
              yield* sideTicketType(api, w),
              1,
              PAID
            )
            expect(own.status).toBe("confirmed")
            const before = yield* ownerView(api, w)
            const reply = yield* api.call("POST", `/v1/orders/${own.id}/refund`, {
              token: w.otherCustomer.token,
              body: { ticketIds: [w.ids.ticket] }
            })
            expect(reply.status).toBe(409)
            expect(reply.body.code).toBe("ticket_not_refundable")
            expect(yield* ownerView(api, w)).toEqual(before)
            const mine = yield* api.call("GET", `/v1/orders/${own.id}`, { token: w.otherCustomer.token })
            expect(mine.body).toMatchObject({ status: "confirmed", refundedMinor: 0 })
          }),
        60_000
      )

      it.effect("an erased account's tokens open nothing any more", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const leaving = yield* api.account("customer", "leaving")
          const erased = yield* api.call("DELETE", "/v1/me", {
            token: leaving.token,
            body: { password: leaving.password }
          })
          expect(erased.status).toBe(204)
          const login = yield* api.call("POST", "/v1/auth/login", {
            body: { email: leaving.email, password: leaving.password }
          })
          expect(login.status).toBe(401)
          const refreshed = yield* api.call("POST", "/v1/auth/refresh", {
            body: { refreshToken: leaving.refreshToken }
          })
          expect(refreshed.status).toBe(401)
          // The access token it had must not act for the erased account either: no new holds, no reading.
          const held = yield* hold(api, leaving.token, holdBody(w.ids.event, w.ids.ticketType, 1))
          const me = yield* api.call("GET", "/v1/me", { token: leaving.token })
          expect({ hold: held.status, me: me.status }).toEqual({ hold: 401, me: 401 })
        })
      )

      it.effect("a token that is not ours is refused everywhere it is required, never trusted", () =>
        Effect.gen(function* () {
          const api = yield* client
          const w = yield* World
          const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url")
          const claims = {
            sub: w.admin.id,
            typ: "organizer",
            adm: true,
            iss: "goticket",
            aud: "goticket-api",
            exp: 4102444800
          }
          const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`
          const tampered = (() => {
            const [header, , signature] = w.customer.token.split(".")
            return `${header}.${b64({ ...claims, sub: w.customer.id })}.${signature}`
          })()
          for (const token of [unsigned, tampered, `${w.customer.token}x`, "null", "undefined"]) {
            for (const path of ["/v1/me", `/v1/orders/${w.ids.order}`, "/v1/admin/dead-letters/notifications"]) {
              const reply = yield* api.call("GET", path, { token })
              expect(reply.status, `${path} with ${token.slice(0, 20)}…`).toBe(401)
              expect(reply.body._tag).toBe("Unauthenticated")
            }
            // The optional-authentication endpoints refuse a bad token too, rather than falling back to anonymous.
            const draft = yield* api.call("GET", `/v1/events/${w.ids.draft}`, { token })
            expect(draft.status).toBe(401)
          }
        })
      )
    })
  })
})

const sideTicketType = (api: Api, w: SecurityWorld) =>
  Effect.map(
    api.call("GET", `/v1/events/${w.ids.sideEvent}`, { token: w.organizer.token }),
    (r) => r.body.ticketTypes[0].id as string
  )

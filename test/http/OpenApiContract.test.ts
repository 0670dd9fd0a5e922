import { describe, expect, layer } from "@effect/vitest"
import { createConfig, lintFromString } from "@redocly/openapi-core"
import { Effect } from "effect"
import fc from "fast-check"
import { arbitraryOf, bodySchemaOf, headerValue } from "../support/OpenApiArbitrary.ts"
import { holdBody, publishedSale } from "../support/Sale.ts"
import { client, eventBody, inDays, TestServerLive } from "../support/TestServer.ts"

const METHODS = ["get", "put", "post", "delete", "patch"]

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON
type Json = any

const operationsOf = (document: Json) =>
  Object.entries<Json>(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method] !== undefined).map((method) => ({ path, method, operation: item[method] }))
  )

describe("the OpenAPI document (/openapi.json) tells clients the truth", () => {
  layer(TestServerLive(), { excludeTestServices: true })("", (it) => {
    const fetchDocument = Effect.gen(function* () {
      const api = yield* client
      const reply = yield* api.call("GET", "/openapi.json")
      expect(reply.status).toBe(200)
      return { api, document: reply.body as Json, text: JSON.stringify(reply.body) }
    })

    it.effect("passes the Redocly linter's recommended rules without an error", () =>
      Effect.gen(function* () {
        const { text } = yield* fetchDocument
        const problems = yield* Effect.promise(async () =>
          lintFromString({
            source: text,
            absoluteRef: "/openapi.json",
            config: await createConfig({ extends: ["recommended"] })
          })
        )
        const errors = problems.filter((problem) => problem.severity === "error")
        expect(errors.map((e) => `${e.ruleId}: ${e.message} at ${e.location[0]?.pointer}`)).toEqual([])
      })
    )

    it.effect("has servers, a summary on every operation, a description on every tag, and no framework names", () =>
      Effect.gen(function* () {
        const { document, text } = yield* fetchDocument
        expect(document.servers.length).toBeGreaterThan(0)
        for (const { path, method, operation } of operationsOf(document))
          expect(operation.summary, `${method} ${path}`).toEqual(expect.any(String))
        for (const tag of document.tags) expect(tag.description, tag.name).toEqual(expect.any(String))
        const leaks = text.match(/.{0,60}(Brand<|Encoded|decoded into|[│└├]|Expected ).{0,60}/gu) ?? []
        expect(leaks).toEqual([])
      })
    )

    it.effect("answers state the rules too: statuses as enums, date-times, non-negative money and counts", () =>
      Effect.gen(function* () {
        const { document } = yield* fetchDocument
        const schemas = document.components.schemas
        const dateTime = { type: "string", format: "date-time" }
        const money = { type: "integer", minimum: 0 }
        expect(schemas.Order.properties.status.enum).toEqual([
          "pending_payment",
          "confirmed",
          "cancelled",
          "partially_refunded",
          "refunded"
        ])
        expect(schemas.Order.properties.createdAt).toMatchObject(dateTime)
        expect(schemas.Order.properties.confirmedAt.anyOf[0]).toMatchObject(dateTime)
        expect(schemas.Order.properties.totalMinor).toMatchObject(money)
        expect(schemas.Order.properties.lines.items.properties.unitPriceMinor).toMatchObject(money)
        expect(schemas.Order.properties).not.toHaveProperty("customerId")
        expect(schemas.Checkout.properties.totalMinor).toMatchObject(money)
        expect(schemas.Payment.properties.confirmUrl).toMatchObject({ type: "string", format: "uri" })
        expect(schemas.Ticket.properties.issuedAt).toMatchObject(dateTime)
        expect(schemas.Ticket.properties.status.enum).toEqual(["valid", "voided"])
        expect(schemas.Ticket.properties.qrUrl).toMatchObject({ format: "uri-reference" })
        expect(schemas.Refund.properties.status.enum).toEqual(["pending", "completed"])
        expect(schemas.Refund.properties.amountMinor).toMatchObject(money)
        expect(schemas.Reservation.properties.status.enum).toEqual(["active", "released", "expired", "converted"])
        expect(schemas.Reservation.properties.expiresAt).toMatchObject(dateTime)
        expect(schemas.Reservation.properties.tickets).toMatchObject({ type: "integer", minimum: 1 })
        expect(schemas.Reservation.properties.items.items.properties.quantity).toMatchObject({ minimum: 1 })
        expect(schemas.Reservation.properties).not.toHaveProperty("customerId")
        expect(schemas.Event.properties.startsAt).toMatchObject(dateTime)
        expect(schemas.Event.properties.status.enum).toEqual(["draft", "published", "cancelled", "ended"])
        expect(schemas.Event.properties.refundCutoffHours.anyOf[0]).toMatchObject({ minimum: 0, maximum: 8760 })
        expect(schemas.TicketType.properties.available).toMatchObject({ type: "integer", minimum: 0 })
        expect(schemas.TicketType.properties.maxPerOrder).toMatchObject({ minimum: 1, maximum: 100 })
        expect(schemas.EventSales.properties.totals.properties.grossMinor).toMatchObject(money)
        expect(schemas.User.properties.createdAt).toMatchObject(dateTime)
      })
    )

    it.effect("states the rules: emails, date-times, bounded integers, time zones, event types, seat labels", () =>
      Effect.gen(function* () {
        const { document } = yield* fetchDocument
        const schemas = document.components.schemas
        expect(schemas.RegisterRequest.properties.email).toMatchObject({ format: "email", maxLength: 254 })
        expect(schemas.RegisterRequest.properties.password).toMatchObject({ minLength: 10, maxLength: 256 })
        expect(schemas.CreateEventRequest.properties.startsAt).toMatchObject({ type: "string", format: "date-time" })
        expect(schemas.CreateEventRequest.properties.venue.properties.timezone.enum).toContain("Europe/Paris")
        expect(schemas.CreateTicketTypeRequest.properties.priceMinor).toMatchObject({ type: "integer", minimum: 0 })
        expect(schemas.CreateTicketTypeRequest.properties.capacity).toMatchObject({
          type: "integer",
          maximum: 1_000_000
        })
        expect(schemas.RegisterWebhookRequest.properties.eventTypes.items.enum).toContain("OrderConfirmed")
        const seat = schemas.SeatingRequest.properties.sections.items.properties.rows.items.properties.seats.items
        expect(seat.properties.label).toMatchObject({ maxLength: 20 })
        const limit = document.paths["/v1/events"].get.parameters.find((p: Json) => p.name === "limit")
        expect(limit.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 100 })
        expect(document.info.description).toContain("NUL")
        const hold = document.paths["/v1/reservations"].post.responses
        expect(Object.keys(hold["201"].headers)).toEqual(expect.arrayContaining(["x-request-id", "Location"]))
        expect(Object.keys(hold["429"].headers)).toContain("Retry-After")
        expect(hold["401"].headers["WWW-Authenticate"]).toBeDefined()
        for (const status of ["408", "414", "431"]) expect(hold[status]).toBeDefined()
      })
    )

    it.effect("refuses with one sentence naming the field and the rule, and the issues that matter", () =>
      Effect.gen(function* () {
        const api = yield* client
        const customer = yield* api.account("customer")
        const reply = yield* api.call("POST", "/v1/reservations", {
          token: customer.token,
          headers: { "idempotency-key": crypto.randomUUID() },
          body: holdBody(crypto.randomUUID(), crypto.randomUUID(), 0)
        })
        expect(reply.status).toBe(400)
        expect(reply.body.issues).toEqual([
          {
            code: "out_of_range",
            path: ["items", 0, "quantity"],
            message: "must be a whole number from 1 to 100",
            _tag: "Refinement"
          }
        ])
        expect(reply.body.message).toBe("body field items[0].quantity must be a whole number from 1 to 100")
        const event = yield* api.call("POST", "/v1/events", {
          token: (yield* api.account("organizer")).token,
          body: eventBody({ startsAt: "6555-60-62T21:34-49:20" })
        })
        expect(event.status).toBe(400)
        expect(event.body.message).toContain("body field startsAt must be an RFC 3339 date-time")
        const limit = yield* api.call("GET", "/v1/events?limit=1000")
        expect(limit.body.message).toBe("query parameter limit must be a whole number from 1 to 100")
        const order = yield* api.call("GET", "/v1/orders/not-an-id", { token: customer.token })
        expect(order.body.message).toBe("path parameter orderId must be a UUID")
      })
    )

    it.effect(
      "answers 405 with Allow for a method a path does not have, 401 with WWW-Authenticate, 201 with Location",
      () =>
        Effect.gen(function* () {
          const api = yield* client
          const put = yield* api.call("PUT", "/v1/events")
          expect(put.status).toBe(405)
          expect(put.headers.get("allow")).toBe("GET, POST, HEAD")
          expect((yield* api.call("GET", "/v1/nothing-here")).status).toBe(404)
          expect((yield* api.call("HEAD", "/v1/events")).status).toBe(200)
          const anonymous = yield* api.call("GET", "/v1/me")
          expect(anonymous.status).toBe(401)
          expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="goticket"')
          const organizer = yield* api.account("organizer")
          const created = yield* api.call("POST", "/v1/events", { token: organizer.token, body: eventBody() })
          expect(created.status).toBe(201)
          expect(created.headers.get("location")).toBe(`/v1/events/${created.body.id}`)
        })
    )

    it.effect(
      "never answers 400 to a request that the document allows (register, create an event, hold tickets)",
      () =>
        Effect.gen(function* () {
          const { api, document } = yield* fetchDocument
          const organizer = yield* api.account("organizer")
          const customer = yield* api.account("customer")
          // The plausible holds are another customer's: the first one's generated holds can use up the per-customer limit.
          const plausibleCustomer = yield* api.account("customer")
          const sale = yield* publishedSale(api, { capacity: 1000, maxPerOrder: 100, rows: 3, seatsPerRow: 5 })
          // Holds aim at a real sale: the generated ids of the event and ticket types are replaced by the sale's own.
          // Half of the holds are kept as generated, with their voucher code (refused 422 VoucherNotValid, never 400).
          const asGenerated = ({ voucherCode, ...body }: Json) => ({
            ...body,
            ...(voucherCode !== undefined && { voucherCode }),
            eventId: sale.eventId,
            ...(body.items && { items: body.items.map((item: Json) => ({ ...item, ticketTypeId: sale.gaId })) }),
            ...(body.bestAvailable && {
              bestAvailable: { ...body.bestAvailable, ticketTypeId: sale.seatedId, sectionId: undefined }
            })
          })
          // The other half ask for one ticket a sale can give: one GA item, or the best seat.
          // (Generated seat ids name no seat, so those holds ask for GA instead.)
          const plausible = (body: Json) =>
            body.bestAvailable
              ? {
                  eventId: sale.eventId,
                  bestAvailable: {
                    ...body.bestAvailable,
                    ticketTypeId: sale.seatedId,
                    sectionId: undefined,
                    quantity: 1
                  }
                }
              : { eventId: sale.eventId, items: [{ ticketTypeId: sale.gaId, quantity: 1 }] }
          const onSale = (body: Json, asIs: boolean) => (asIs ? asGenerated(body) : plausible(body))
          // Half of the events get a schedule the event rules accept (a start in a month, sales before it).
          const plausibleSchedule = (body: Json, asIs: boolean) => {
            if (asIs) return body
            const { endsAt: _e, salesStartAt: _s, salesEndAt: _x, ...rest } = body
            return { ...rest, startsAt: inDays(30) }
          }
          const cases = [
            {
              path: "/v1/auth/register",
              token: undefined,
              plausibleToken: undefined,
              headers: fc.constant({}),
              adapt: (body: Json, _asIs: boolean) => body
            },
            {
              path: "/v1/events",
              token: organizer.token,
              plausibleToken: organizer.token,
              headers: fc.constant({}),
              adapt: plausibleSchedule
            },
            {
              path: "/v1/reservations",
              token: customer.token,
              plausibleToken: plausibleCustomer.token,
              headers: headerValue(200).map((key) => ({ "idempotency-key": key })),
              adapt: onSale
            }
          ]
          for (const { path, token, plausibleToken, headers, adapt } of cases) {
            const statuses: Array<number> = []
            const request = fc.record({
              sent: fc
                .tuple(arbitraryOf(document, bodySchemaOf(document, "post", path)), fc.boolean())
                .map(([body, asIs]) => ({ body: adapt(body, asIs), token: asIs ? token : plausibleToken })),
              headers
            })
            yield* Effect.promise(() =>
              fc.assert(
                fc.asyncProperty(request, async ({ sent: { body, token }, headers }) => {
                  const reply = await Effect.runPromise(api.call("POST", path, { token, headers, body }))
                  statuses.push(reply.status)
                  if (reply.status === 400) throw new Error(`${path} answered 400: ${JSON.stringify(reply.body)}`)
                  expect(reply.status).toBeLessThan(500)
                }),
                { numRuns: 60 }
              )
            )
            // Not only refusals: some of the generated requests did what they asked.
            expect(
              statuses.some((status) => status === 201),
              `${path}: ${statuses.join(" ")}`
            ).toBe(true)
          }
        }),
      120_000
    )
  })
})

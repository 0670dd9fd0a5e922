import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { describe, expect, layer } from "@effect/vitest"
import { SpanKind, SpanStatusCode } from "@opentelemetry/api"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import { serviceSpanProcessors } from "../../src/services/observability/Tracing.ts"
import { PAID, purchase } from "../support/Purchase.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

const exporter = new InMemorySpanExporter()
const InMemoryTracing = NodeSdk.layer(() => ({
  resource: { serviceName: "goticket-test" },
  spanProcessor: serviceSpanProcessors(new SimpleSpanProcessor(exporter))
}))

const wait = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

describe("traces, as an SRE reads them", () => {
  layer(TestServerLive().pipe(Layer.provide(InMemoryTracing)), { timeout: "120 seconds", excludeTestServices: true })(
    "with an exporter",
    (it) => {
      it.effect(
        "an idle service exports no span over 10 s (the polling loops' empty ticks are dropped)",
        () =>
          Effect.gen(function* () {
            yield* wait(1_000)
            exporter.reset()
            yield* wait(10_000)
            expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual([])
          }),
        30_000
      )

      it.effect("server spans are named by route; a 4xx is not an error; no credential header is recorded", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 1, maxPerOrder: 1 })
          const customer = yield* api.account("customer")
          exporter.reset()
          const refused = yield* hold(api, customer.token, holdBody(sale.eventId, sale.gaId, 2))
          expect(refused.status).toBe(409)
          const missing = yield* api.call("GET", `/v1/orders/${crypto.randomUUID()}`, { token: customer.token })
          expect(missing.status).toBe(404)
          yield* wait(200)
          const servers = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER)
          expect(servers.map((span) => span.name)).toEqual(["POST /v1/reservations", "GET /v1/orders/{orderId}"])
          for (const span of servers) {
            expect(span.status.code).not.toBe(SpanStatusCode.ERROR)
            const recorded = JSON.stringify(span.attributes).toLowerCase()
            expect(recorded).not.toContain("authorization")
            expect(recorded).not.toContain(customer.token.toLowerCase())
          }
          expect(servers[0]?.attributes["http.response.status_code"]).toBe(409)
        })
      )

      it.effect("a hold is one trace (its cached look-ups included) whose hold span names the event and the hold", () =>
        Effect.gen(function* () {
          const api = yield* client
          const sale = yield* publishedSale(api, { capacity: 10, maxPerOrder: 2 })
          const customer = yield* api.account("customer")
          yield* wait(1_500) // the catalog snapshot and the account check are no longer cached: the hold reads them
          exporter.reset()
          const placed = yield* hold(api, customer.token, holdBody(sale.eventId, sale.gaId, 2))
          expect(placed.status).toBe(201)
          yield* wait(300)
          const spans = exporter.getFinishedSpans()
          const server = spans.find((span) => span.kind === SpanKind.SERVER)
          expect(server?.name).toBe("POST /v1/reservations")
          const traceOf = (span: (typeof spans)[number]) => span.spanContext().traceId
          // The relay's loop is a trace of its own; its publish links to the request that wrote the event.
          const relayTraces = new Set(spans.filter((span) => span.name === "Outbox.relay").map(traceOf))
          const others = spans.filter((span) => !relayTraces.has(traceOf(span)))
          const listed = spans.map((span) => `${span.name} ${traceOf(span)}`)
          expect(new Set(others.map(traceOf)), listed.join("\n")).toEqual(new Set([server && traceOf(server)]))
          const publish = spans.find((span) => span.name === "OutboxRelay.publish")
          if (publish !== undefined)
            expect(publish.links.map((link) => link.context.traceId)).toContain(server && traceOf(server))
          const holdSpan = spans.find((span) => span.name === "Reservations.hold")
          expect(holdSpan?.attributes["goticket.event.id"]).toBe(sale.eventId)
          expect(holdSpan?.attributes["goticket.reservation.id"]).toBe(placed.body.id)
        })
      )

      it.effect(
        "a purchase: the checkout's trace opens the payment, a saga run that suspends names what it waits for, the run the webhook resumes links to the checkout, no span is an error",
        () =>
          Effect.gen(function* () {
            const api = yield* client
            const sale = yield* publishedSale(api, { capacity: 10, maxPerOrder: 2 })
            const customer = yield* api.account("customer")
            exporter.reset()
            const order = yield* purchase(api, customer.token, sale.eventId, sale.gaId, 2, PAID)
            expect(order.status).toBe("confirmed")
            yield* wait(1_000)
            const spans = exporter.getFinishedSpans()
            const traceOf = (span: (typeof spans)[number]) => span.spanContext().traceId
            const checkout = spans.find((span) => span.name === "POST /v1/reservations/{reservationId}/checkout")
            const runs = spans.filter((span) => span.name === "CheckoutSaga")
            // The first run opens the payment in the checkout's trace and waits; the payment's webhook resumes it.
            expect(
              spans.find((span) => span.name === "OpenPayment" && traceOf(span) === (checkout && traceOf(checkout)))
            ).toBeDefined()
            expect(runs.length).toBeGreaterThanOrEqual(2)
            for (const run of runs) {
              expect(run.status.code).not.toBe(SpanStatusCode.ERROR)
              if (run.attributes["effect.fiber.interrupted"] === true)
                expect(run.attributes["goticket.workflow.waiting_for"]).toBeDefined()
            }
            expect(spans.some((span) => span.name === "CaptureAndIssueTickets")).toBe(true)
            // The run resumed by the webhook is in another trace, and links to the checkout request's span.
            const capture = spans.find((span) => span.name === "CaptureAndIssueTickets")
            const resumed = runs.find((run) => capture !== undefined && traceOf(run) === traceOf(capture))
            expect(resumed).toBeDefined()
            expect(traceOf(resumed as (typeof spans)[number])).not.toBe(checkout && traceOf(checkout))
            const links = (resumed?.links ?? []).map((link) => ({
              traceId: link.context.traceId,
              kind: link.attributes?.["goticket.link"]
            }))
            expect(links).toContainEqual({ traceId: checkout && traceOf(checkout), kind: "checkout request" })
            // The first run is in the checkout's trace already: it links to nothing.
            const first = runs.find((run) => traceOf(run) === (checkout && traceOf(checkout)))
            expect(first?.links ?? []).toEqual([])
            const checkoutSpan = spans.find((span) => span.name === "Orders.checkout")
            expect(checkoutSpan?.attributes["goticket.order.id"]).toBe(order.id)
            expect(checkoutSpan?.attributes["goticket.event.id"]).toBe(sale.eventId)
            expect(spans.filter((span) => span.status.code === SpanStatusCode.ERROR).map((span) => span.name)).toEqual(
              []
            )
          })
      )
    }
  )
})

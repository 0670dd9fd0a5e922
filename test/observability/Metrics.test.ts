import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { promtool, promtoolFound } from "../support/Promtool.ts"
import { hold, holdBody, publishedSale } from "../support/Sale.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/** The value of one series (name with its labels exactly as exposed), undefined when absent. */
const seriesValue = (text: string, series: string): number | undefined => {
  for (const line of text.split("\n")) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1))
  return undefined
}

const HOLD_4XX = 'http_server_request_duration_seconds_count{method="POST",route="/v1/reservations",status_class="4xx"}'
const HOLD_2XX = 'http_server_request_duration_seconds_count{method="POST",route="/v1/reservations",status_class="2xx"}'

const KEY_SERIES_AT_ZERO = [
  HOLD_2XX,
  HOLD_4XX,
  'http_server_request_duration_seconds_count{method="GET",route="/v1/orders/{orderId}",status_class="5xx"}',
  'goticket_holds_placed_total{kind="general_admission"}',
  'goticket_holds_refused_total{reason="sold_out"}',
  'goticket_holds_refused_total{reason="max_per_order_exceeded"}',
  'goticket_checkouts_total{outcome="confirmed"}',
  'goticket_checkouts_total{outcome="payment_timed_out"}',
  'goticket_checkout_duration_seconds_count{outcome="confirmed"}',
  'goticket_saga_backlog{status="suspended"}',
  'goticket_dead_letters{consumer="notifications"}',
  'goticket_event_handler_failures_total{consumer="sales-stats"}',
  'goticket_rate_limited_total{class="holds"}',
  "goticket_outbox_lag_seconds",
  "goticket_holds_expired_total"
]

describe("/metrics, as Prometheus scrapes it", () => {
  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("a fresh service", (it) => {
    it.effect("passes promtool, has every key series at zero from the start, and counts a hold and a refusal", () =>
      Effect.gen(function* () {
        const api = yield* client
        const first = yield* api.call("GET", "/metrics")
        expect(first.status).toBe(200)
        expect(first.headers.get("content-type")).toContain("text/plain")
        const text = String(first.body)
        if (promtoolFound) promtool(["check", "metrics"], text)
        for (const series of KEY_SERIES_AT_ZERO) expect([series, seriesValue(text, series)]).toEqual([series, 0])
        for (const series of [
          'goticket_dependency_up{dependency="database"}',
          "process_resident_memory_bytes",
          "nodejs_eventloop_lag_p99_seconds",
          "nodejs_heap_size_used_bytes"
        ])
          expect(seriesValue(text, series), series).toBeGreaterThan(0)
        expect(text).toContain("# TYPE nodejs_gc_duration_seconds histogram")
        // No ids in labels: every route label is a template.
        expect(text).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}/)

        const sale = yield* publishedSale(api, { capacity: 2, maxPerOrder: 2 })
        const customer = yield* api.account("customer")
        expect((yield* hold(api, customer.token, holdBody(sale.eventId, sale.gaId, 2))).status).toBe(201)
        expect((yield* hold(api, customer.token, holdBody(sale.eventId, sale.gaId, 3))).status).toBe(409)
        const other = yield* api.account("customer")
        const soldOut = yield* hold(api, other.token, holdBody(sale.eventId, sale.gaId, 1))
        expect(soldOut.body.code).toBe("sold_out")

        const after = String((yield* api.call("GET", "/metrics")).body)
        if (promtoolFound) promtool(["check", "metrics"], after)
        expect(seriesValue(after, 'goticket_holds_placed_total{kind="general_admission"}')).toBe(1)
        expect(seriesValue(after, 'goticket_holds_refused_total{reason="max_per_order_exceeded"}')).toBe(1)
        expect(seriesValue(after, 'goticket_holds_refused_total{reason="sold_out"}')).toBe(1)
        expect(seriesValue(after, HOLD_2XX)).toBe(1)
        expect(seriesValue(after, HOLD_4XX)).toBe(2)
      })
    )
  })
})

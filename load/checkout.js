// k6 checkout: customers hold, check out, pay at the (sandbox) provider and wait for their order to be confirmed,
// as `npm run bench:checkout` (its load part) does in-process.
//   EMAIL_VERIFICATION=off RATE_LIMITS=off npm start   # the embedded default runs the sandbox provider in-process
//   k6 run load/checkout.js               # BASE_URL, CUSTOMERS, POLL_MS, CARD to change the defaults
// Measures checkout → confirmed as the customer sees it (goticket_checkout_to_confirmed).
import { check, sleep } from "k6"
import http from "k6/http"
import { Counter, Trend } from "k6/metrics"
import { authHeaders, BASE_URL, createSale, customers, hold } from "./common.js"

const CUSTOMERS = Number(__ENV.CUSTOMERS || 200)
const POLL_MS = Number(__ENV.POLL_MS || 250)
const CARD = __ENV.CARD || "4242424242424242"
const ORDER_TIMEOUT_S = Number(__ENV.ORDER_TIMEOUT_S || 120)

const checkoutToConfirmed = new Trend("goticket_checkout_to_confirmed", true)
const confirmed = new Counter("goticket_orders_confirmed")
const failures = new Counter("goticket_checkout_failures")

export const options = {
  scenarios: {
    checkout: {
      executor: "per-vu-iterations",
      vus: CUSTOMERS,
      iterations: 1,
      maxDuration: "10m"
    }
  },
  thresholds: {
    goticket_checkout_failures: ["count==0"],
    checks: ["rate==1"],
    goticket_checkout_to_confirmed: ["p(95)<5000"]
  },
  setupTimeout: "10m"
}

export function setup() {
  return { sale: createSale("k6 checkout", CUSTOMERS * 2, 2), tokens: customers(CUSTOMERS, "checkout") }
}

export default function (data) {
  const token = data.tokens[(__VU - 1) % data.tokens.length]
  const held = hold(token, data.sale, 1 + Math.floor(Math.random() * 2))
  if (!check(held, { "hold placed": (r) => r.status === 201 })) return failures.add(1)
  const started = Date.now()
  const checkout = http.post(`${BASE_URL}/v1/reservations/${held.json().id}/checkout`, null, {
    headers: authHeaders(token),
    tags: { name: "POST /v1/reservations/{reservationId}/checkout" }
  })
  if (!check(checkout, { "checkout accepted": (r) => r.status === 201 || r.status === 202 })) return failures.add(1)
  const { orderId, payment } = checkout.json()
  const paid = http.post(payment.confirmUrl, JSON.stringify({ card: CARD }), {
    headers: { "content-type": "application/json" },
    tags: { name: "provider confirm" }
  })
  if (!check(paid, { "payment confirmed at the provider": (r) => r.status < 300 })) return failures.add(1)
  const deadline = Date.now() + ORDER_TIMEOUT_S * 1000
  while (Date.now() < deadline) {
    const order = http.get(`${BASE_URL}/v1/orders/${orderId}`, {
      headers: authHeaders(token),
      tags: { name: "GET /v1/orders/{orderId}" }
    })
    const status = order.status === 200 ? order.json().status : undefined
    if (status === "confirmed") {
      checkoutToConfirmed.add(Date.now() - started)
      confirmed.add(1)
      check(order, { "order confirmed with its tickets": (r) => r.json().tickets.length > 0 })
      return
    }
    if (status === "cancelled") break
    sleep(POLL_MS / 1000)
  }
  failures.add(1)
  check(null, { "order confirmed in time": () => false })
}

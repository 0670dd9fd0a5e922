// k6 flash sale: many customers race for few units, as `npm run bench:flash-sale` does in-process.
//   EMAIL_VERIFICATION=off RATE_LIMITS=off npm start   # the service under test, set up as the benchmarks do
//   k6 run load/flash-sale.js             # BASE_URL, UNITS, ATTEMPTS, VUS, CUSTOMERS to change the defaults
// Every hold attempt must be answered 201 (held) or 409 (sold out / refused): no 5xx, and never more units held
// than the sale has.
import { check } from "k6"
import http from "k6/http"
import { Counter } from "k6/metrics"
import { BASE_URL, createSale, customers, hold } from "./common.js"

const UNITS = Number(__ENV.UNITS || 10000)
const ATTEMPTS = Number(__ENV.ATTEMPTS || 100000)
const VUS = Number(__ENV.VUS || 64)
const CUSTOMERS = Number(__ENV.CUSTOMERS || VUS)

const unitsGranted = new Counter("goticket_units_granted")
const soldOut = new Counter("goticket_holds_refused")
const serverErrors = new Counter("goticket_server_errors")

export const options = {
  scenarios: {
    flash_sale: {
      executor: "shared-iterations",
      vus: VUS,
      iterations: ATTEMPTS,
      maxDuration: "30m"
    }
  },
  thresholds: {
    goticket_server_errors: ["count==0"],
    checks: ["rate==1"],
    "http_req_duration{name:POST /v1/reservations}": ["p(99)<1000"]
  },
  setupTimeout: "10m"
}

// 409 is an answer, not a failure: the sale is meant to sell out.
http.setResponseCallback(http.expectedStatuses(201, 409))

export function setup() {
  return { sale: createSale("k6 flash sale", UNITS, 4), tokens: customers(CUSTOMERS, "flash") }
}

export default function (data) {
  const token = data.tokens[(__VU - 1) % data.tokens.length]
  const quantity = 1 + Math.floor(Math.random() * 4)
  const response = hold(token, data.sale, quantity)
  if (response.status >= 500) serverErrors.add(1)
  if (response.status === 201) unitsGranted.add(quantity)
  if (response.status === 409) soldOut.add(1)
  check(response, { "hold answered 201 or 409": (r) => r.status === 201 || r.status === 409 })
}

export function teardown(data) {
  const event = http.get(`${BASE_URL}/v1/events/${data.sale.eventId}`).json()
  console.log(`after the sale: ${JSON.stringify(event.ticketTypes)}`)
}

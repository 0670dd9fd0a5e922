// Shared by the k6 scripts: the target, a sale set up through the REST API, customers with tokens.
import { check, fail } from "k6"
import http from "k6/http"

export const BASE_URL = (__ENV.BASE_URL || "http://localhost:3000").replace(/\/$/, "")
const JSON_HEADERS = { "content-type": "application/json" }

/** A random UUID v4 (an Idempotency-Key per attempt). */
export const uuid = () =>
  "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16)
  })

export const authHeaders = (token, extra) => Object.assign({ authorization: `Bearer ${token}` }, JSON_HEADERS, extra)

const must = (response, status, what) => {
  if (response.status !== status) fail(`${what}: expected ${status}, got ${response.status} ${response.body}`)
  return response.json()
}

/** Logs in and returns the access token. */
export const login = (email, password) =>
  must(
    http.post(`${BASE_URL}/v1/auth/login`, JSON.stringify({ email, password }), { headers: JSON_HEADERS }),
    200,
    `login ${email}`
  ).accessToken

/**
 * A published event with one general-admission ticket type of `capacity` units, created by an organizer (the demo
 * organizer unless ORGANIZER_EMAIL / ORGANIZER_PASSWORD say otherwise).
 */
export const createSale = (title, capacity, maxPerOrder) => {
  const token = login(
    __ENV.ORGANIZER_EMAIL || "demo-organizer@goticket.dev",
    __ENV.ORGANIZER_PASSWORD || "demo-organizer-password"
  )
  const event = must(
    http.post(
      `${BASE_URL}/v1/events`,
      JSON.stringify({
        title: `${title} ${uuid().slice(0, 8)}`,
        venue: { name: "k6 Arena", timezone: "Europe/Paris" },
        startsAt: "2030-06-01T19:00:00Z"
      }),
      { headers: authHeaders(token) }
    ),
    201,
    "create the event"
  )
  const ticketType = must(
    http.post(
      `${BASE_URL}/v1/events/${event.id}/ticket-types`,
      JSON.stringify({ name: "GA", priceMinor: 2500, currency: "EUR", capacity, maxPerOrder }),
      { headers: authHeaders(token) }
    ),
    201,
    "add the ticket type"
  )
  const published = http.post(`${BASE_URL}/v1/events/${event.id}/publish`, null, { headers: authHeaders(token) })
  check(published, { "event published": (r) => r.status === 200 })
  return { eventId: event.id, ticketTypeId: ticketType.id }
}

/**
 * `count` customers registered and logged in. Registration answers 201 only with EMAIL_VERIFICATION=off on the
 * service (otherwise the account waits for its mailed link), and one client address registering and holding this
 * much needs RATE_LIMITS=off: run the service that way for load tests, as the benchmarks do.
 */
export const customers = (count, prefix) => {
  const run = uuid().slice(0, 8)
  const tokens = []
  for (let i = 0; i < count; i++) {
    const email = `${prefix}-${run}-${i}@load.goticket.dev`
    const password = "a-long-load-test-password"
    must(
      http.post(
        `${BASE_URL}/v1/auth/register`,
        JSON.stringify({ email, password, name: `Load ${i}`, accountType: "customer" }),
        { headers: JSON_HEADERS }
      ),
      201,
      `register ${email} (is the service running with EMAIL_VERIFICATION=off?)`
    )
    tokens.push(login(email, password))
  }
  return tokens
}

/** Places a hold; 201 (held) and 409 (sold out, refused) are both expected answers. */
export const hold = (token, sale, quantity) =>
  http.post(
    `${BASE_URL}/v1/reservations`,
    JSON.stringify({ eventId: sale.eventId, items: [{ ticketTypeId: sale.ticketTypeId, quantity }] }),
    { headers: authHeaders(token, { "idempotency-key": uuid() }), tags: { name: "POST /v1/reservations" } }
  )

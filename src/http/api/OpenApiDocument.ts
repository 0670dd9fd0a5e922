/**
 * The finishing of the OpenAPI document (/openapi.json) that the schemas cannot say themselves: the answers every
 * operation may get from the server's front (408, 414, 431), the response headers (x-request-id, rate limits,
 * Retry-After, Location, WWW-Authenticate), component names without the framework's `Encoded` suffix, and schemas
 * written the way a generator reads them (a query string that carries a whole number is an `integer`; `allOf` and
 * one-member `anyOf` wrappers folded into their schema).
 */

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON, walked generically
type Json = any

const header = (description: string, schema: Json = { type: "string" }) => ({ description, schema })

/** The headers the API's answers carry, as components. */
const headers = {
  RequestId: header(
    "The request's id: the caller's own `X-Request-Id` when it is 1 to 128 letters, digits or `_.:-`, else a new UUID. Quote it when reporting a problem."
  ),
  RateLimitLimit: header("Requests the caller's quota allows per window (on rate-limited routes)", { type: "integer" }),
  RateLimitRemaining: header("Requests left in the current window (on rate-limited routes)", { type: "integer" }),
  RateLimitReset: header("Seconds until the quota is whole again (on rate-limited routes)", { type: "integer" }),
  RateLimitPolicy: header("The quota as `<limit>;w=<window seconds>` (IETF RateLimit header fields draft)"),
  RetryAfter: header("Seconds to wait before trying again", { type: "integer", minimum: 1 }),
  Location: header("Where the created resource can be read (GET)", { type: "string", format: "uri-reference" }),
  WWWAuthenticate: header(
    'How to authenticate: `Bearer realm="goticket"` (with `error="invalid_token"` when one was sent)'
  )
} as const

const ref = (name: keyof typeof headers) => ({ $ref: `#/components/headers/${name}` })

const rateLimitHeaders = {
  "RateLimit-Limit": ref("RateLimitLimit"),
  "RateLimit-Remaining": ref("RateLimitRemaining"),
  "RateLimit-Reset": ref("RateLimitReset"),
  "RateLimit-Policy": ref("RateLimitPolicy")
}

/** Answers of the server's front, before any route: the same for every operation. */
const frontResponses = {
  RequestTimeout: {
    description: "The request did not arrive in time (headers or body too slow); the connection is closed",
    content: { "application/json": { schema: { $ref: "#/components/schemas/RequestTimeout" } } }
  },
  UriTooLong: {
    description: "The path and query exceed 8192 characters",
    content: { "application/json": { schema: { $ref: "#/components/schemas/UriTooLong" } } }
  },
  RequestHeaderFieldsTooLarge: {
    description: "The request line and headers exceed 16 KiB; the connection is closed",
    content: { "application/json": { schema: { $ref: "#/components/schemas/RequestHeaderFieldsTooLarge" } } }
  }
}

const frontError = (tag: string, description: string, extra: Json = {}) => ({
  type: "object",
  description,
  properties: { _tag: { type: "string", enum: [tag] }, message: { type: "string" }, ...extra },
  required: ["_tag", "message"]
})

const frontSchemas = {
  RequestTimeout: frontError("RequestTimeout", "The request took too long to arrive"),
  UriTooLong: frontError("UriTooLong", "The request target is too long", {
    limit: { type: "integer", description: "The longest path and query accepted, in characters" }
  }),
  RequestHeaderFieldsTooLarge: frontError("RequestHeaderFieldsTooLarge", "The request line and headers are too large")
}

/** Tags as the document lists them, in the order of the API, with a sentence for each. */
export const tagDescriptions: Record<string, string> = {
  Health: "Liveness and readiness probes for orchestrators, and Prometheus metrics",
  Accounts: "Registration, email confirmation, login, token refresh and logout",
  Me: "The caller's own account",
  "Account recovery":
    "Password reset by mail, confirming a new email address, and the second step of a two-factor login",
  "Account security": "The caller's password, email address and two-factor authentication (organizers and admins)",
  Privacy: "The caller's personal data: export it, or erase the account",
  Events: "Published events, their ticket types, availability and seat maps: readable by anyone",
  Organizer:
    "An organizer's own events: create, price, seat, publish, cancel, staff and sales figures. Also open to the organizer's API keys (`Authorization: Bearer gto_…`): a read key may call the GET endpoints, a write key all of them, for the events the key names (all the organizer's events when it names none; only such a key may create an event); beyond that the key is refused with 403",
  "Organizer API keys":
    "Keys for an organizer's own integrations (gto_…), scoped to read or write and to all or some of the organizer's events: create (shown once), list, revoke",
  "Organizer orders":
    "An event's orders as its organizer manages them: read one, refund or cancel it. Open to the organizer's API keys (read: GET, write: refunds) for the events they name",
  Reservations: "Holds: tickets kept for a customer for a few minutes, until checkout or expiry",
  Orders: "Checkout of a hold, payment, the order's progress and refunds",
  Vouchers: "Discount codes an organizer hands out for an event, and their redemptions",
  "Waiting lists":
    "Waiting lists of sold-out ticket types: customers join and leave, the first in line get returned tickets as offers; organizers see and switch them",
  Tickets: "Issued tickets and their QR images",
  "Check-in": "Door staff scanning tickets at the entrance",
  Payments: "The payment provider's signed notifications",
  "Organizer webhooks": "Endpoints of the organizer's own systems that receive domain events, signed",
  Administration: "Operations for platform administrators: dead letters and their replay",
  "Service keys": "The keys of internal callers of the RPC interface, for administrators: create, list, revoke",
  Audit: "Who did what and when, for administrators and organizers"
}

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Whether `part` can be merged into `into` without changing what either says. */
const mergeable = (into: Json, part: Json): boolean =>
  isObject(part) && part.$ref === undefined && Object.keys(part).every((key) => !(key in into))

/** A schema as generators read it best: wrappers folded, integer query strings stated as integers. */
const tidySchema = (schema: Json): Json => {
  if (Array.isArray(schema)) return schema.map(tidySchema)
  if (!isObject(schema)) return schema
  let out: Json = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, tidySchema(value)]))
  // A query string that carries a whole number (IntegerText): the integer it carries.
  if (out.type === "string" && Array.isArray(out.allOf) && out.allOf.length === 1 && out.allOf[0]?.type === "integer") {
    const { allOf, type: _, ...rest } = out
    out = { ...rest, ...allOf[0] }
  }
  if (Array.isArray(out.allOf)) {
    const kept: Array<Json> = []
    for (const part of out.allOf) {
      if (mergeable(out, part)) out = { ...out, ...part }
      else kept.push(part)
    }
    const { allOf: _, ...rest } = out
    out = kept.length === 0 ? rest : { ...rest, allOf: kept }
  }
  // One alternative is that alternative; the wrapper's own words (an optional parameter's description) win.
  if (Array.isArray(out.anyOf) && out.anyOf.length === 1 && isObject(out.anyOf[0]) && out.anyOf[0].$ref === undefined) {
    const { anyOf, ...rest } = out
    out = { ...anyOf[0], ...rest }
  }
  return out
}

/** Renames components `XEncoded` to `X` (`XJson` when `X` is taken) and every reference to them. */
const withoutEncodedSuffix = (spec: Json): Json => {
  const schemas: Record<string, Json> = spec.components?.schemas ?? {}
  const renames = new Map<string, string>()
  for (const name of Object.keys(schemas)) {
    const plain = name.replace(/Encoded$/, "")
    if (plain !== name) renames.set(`#/components/schemas/${name}`, plain in schemas ? `${plain}Json` : plain)
  }
  const rewrite = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(rewrite)
    if (!isObject(value)) return value
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) =>
        key === "$ref" && typeof inner === "string" && renames.has(inner)
          ? [key, `#/components/schemas/${renames.get(inner)}`]
          : [key, rewrite(inner)]
      )
    )
  }
  const renamed = Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [
      renames.get(`#/components/schemas/${name}`) ?? name,
      rewrite(schema)
    ])
  )
  return { ...rewrite(spec), components: { ...spec.components, schemas: renamed } }
}

/** The headers of one answer, by its status. */
const headersOf = (status: string, path: string, method: string): Record<string, Json> => {
  const out: Record<string, Json> = { "x-request-id": ref("RequestId") }
  if (status.startsWith("2") || status === "429") Object.assign(out, rateLimitHeaders)
  if (status === "429" || status === "503") out["Retry-After"] = ref("RetryAfter")
  if (status === "401") out["WWW-Authenticate"] = ref("WWWAuthenticate")
  if (status === "201" && method === "post" && createdAt(path) !== undefined) out.Location = ref("Location")
  return out
}

/** The collection routes whose 201 answer carries a Location, and where the created resource is read. */
const created: Record<string, string> = {
  "/v1/events": "/v1/events/{eventId}",
  "/v1/reservations": "/v1/reservations/{reservationId}"
}
export const createdAt = (path: string): string | undefined => created[path]

/** Operations whose body may be left out altogether (checkout: attendee names are asked for only by some events). */
const optionalBodies = new Set(["post /v1/reservations/{reservationId}/checkout"])

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

/** The whole finishing, applied to the generated document (OpenApi.Transform on GoTicketApi). */
export const finishDocument = (generated: Record<string, Json>): Record<string, Json> => {
  const spec = withoutEncodedSuffix(generated)
  const paths: Record<string, Json> = {}
  for (const [path, item] of Object.entries<Json>(spec.paths ?? {})) {
    const next: Json = { ...item }
    for (const method of METHODS) {
      const operation = item[method]
      if (!isObject(operation)) continue
      const responses: Record<string, Json> = {}
      for (const [status, response] of Object.entries<Json>(operation.responses ?? {}))
        responses[status] = { ...response, headers: { ...response.headers, ...headersOf(status, path, method) } }
      responses["408"] ??= { $ref: "#/components/responses/RequestTimeout" }
      responses["414"] ??= { $ref: "#/components/responses/UriTooLong" }
      responses["431"] ??= { $ref: "#/components/responses/RequestHeaderFieldsTooLarge" }
      const optionalBody = optionalBodies.has(`${method} ${path}`) && isObject(operation.requestBody)
      next[method] = {
        ...operation,
        ...(optionalBody ? { requestBody: { ...operation.requestBody, required: false } } : {}),
        responses
      }
    }
    paths[path] = next
  }
  const tags = (spec.tags ?? []).map((tag: Json) => ({
    ...tag,
    description: tag.description ?? tagDescriptions[tag.name]
  }))
  return tidySchema({
    ...spec,
    tags,
    paths,
    components: {
      ...spec.components,
      schemas: { ...spec.components?.schemas, ...frontSchemas },
      responses: { ...spec.components?.responses, ...frontResponses },
      headers: { ...spec.components?.headers, ...headers }
    }
  })
}

import { ByteSize, Cause, Effect, Option, Result, Stream } from "effect"
import {
  HttpBody,
  HttpEffect,
  HttpIncomingMessage,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "effect/http"
import { HttpApiError } from "effect/http-api"
import { AuditContext } from "../domain/audit/AuditContext.ts"
import { clientAddress, rateLimitHeaders, retryAfterSeconds } from "../services/security/TrafficClasses.ts"
import { decodeFailureAnswer } from "./DecodeFailures.ts"
import { RequestContext, type RequestFacts } from "./RequestContext.ts"
import { recordRequest } from "./RouteMetrics.ts"
import type { Admission, TrafficGate } from "./TrafficGate.ts"

const REQUEST_ID = /^[\w.:-]{1,128}$/

/** The request's id: a sane incoming X-Request-Id is kept, anything else is replaced by a fresh UUID. */
export const requestIdOf = (incoming: string | undefined): string =>
  incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID()

const json = (status: number, body: Record<string, unknown>) => HttpServerResponse.jsonUnsafe(body, { status })

const tooLarge = (limit: number) =>
  json(413, {
    _tag: "PayloadTooLarge",
    message: `the request body exceeds the limit of ${limit} bytes`,
    limitBytes: limit
  })

/** Longer request targets (path and query) are refused before any routing or parsing. */
export const MAX_URL_LENGTH = 8_192

const urlTooLong = () =>
  json(414, {
    _tag: "UriTooLong",
    message: `the request path and query exceed ${MAX_URL_LENGTH} characters`,
    limit: MAX_URL_LENGTH
  })

const unsupportedMediaType = (contentType: string) =>
  json(415, {
    _tag: "UnsupportedMediaType",
    message: `request bodies must be JSON (Content-Type: application/json), not ${contentType.slice(0, 100) || "unlabelled"}`
  })

/** Whether a request that carries a body labels it JSON (`application/json`, or any `+json` type). */
const bodyIsNotJson = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const length = request.headers["content-length"]
  const hasBody = (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined
  if (!hasBody) return undefined
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? ""
  return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type) ? undefined : type
}

/** The 429 body of a rate-limited request (the same as the API's RateLimited error). */
export const rateLimitedBody = (retryAfterSeconds: number) => ({
  _tag: "RateLimited",
  message: `too many requests; retry in ${retryAfterSeconds} s`,
  retryAfterSeconds
})

const rateLimited = (retryAfterSeconds: number) => json(429, rateLimitedBody(retryAfterSeconds))

/** User agents are kept this long at most (audit records, logs). */
export const MAX_USER_AGENT = 256

/** Without a gate (unit tests of the pipeline): the socket's peer, nothing rated. */
const ungated = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Admission> =>
  Effect.succeed({ ip: clientAddress(Option.getOrUndefined(request.remoteAddress), undefined, 0), rated: undefined })

/** Decoding an absurdly nested body (thousands of levels) can exhaust the stack before any schema refuses it. */
const isStackOverflow = (u: unknown) => u instanceof RangeError && /call stack/i.test(u.message)

/**
 * A safety net behind the payload schemas: text PostgreSQL refuses to store (a NUL character: 22021; a character
 * with no UTF-8 form: 22P05) is the client's mistake, not a failure of ours.
 */
const isUnstorableText = (u: unknown): boolean => {
  for (let cause = u, depth = 0; typeof cause === "object" && cause !== null && depth < 5; depth++) {
    const code = (cause as { code?: unknown }).code
    if (code === "22021" || code === "22P05") return true
    cause = (cause as { cause?: unknown }).cause
  }
  return false
}

/** The router found no route for the request. */
const isRouteNotFound = (u: unknown): boolean =>
  HttpServerError.isHttpServerError(u) && u.reason._tag === "RouteNotFound"

/** Reading the request body failed: too large, cut off, or (for a raw reader) not parseable. */
const requestParseError = (u: unknown): HttpServerError.RequestParseError | undefined =>
  HttpServerError.isHttpServerError(u) && u.reason._tag === "RequestParseError" ? u.reason : undefined

/** The log message of a defect met while serving a request. */
export const UNHANDLED = "unhandled failure while serving a request"

/** The 500 body of a defect: the request id to quote, nothing about the failure itself. */
export const internalErrorBody = (requestId: string) => ({
  _tag: "InternalServerError",
  message: "something went wrong on our side; quote the requestId if you report it",
  requestId
})

const unhandled = (cause: Cause.Cause<unknown>, facts: RequestFacts) =>
  Effect.logError(UNHANDLED, cause).pipe(Effect.as(json(500, internalErrorBody(facts.requestId))))

/**
 * Turns what escaped the API into a JSON answer:
 * - a body that is not JSON or a request that does not match the contract (the framework's answer is an empty
 *   400) → 400 MalformedRequest or HttpApiDecodeError;
 * - a body over the limit → 413 PayloadTooLarge;
 * - no such route → 404 RouteNotFound;
 * - any defect → 500 InternalServerError with the request id, logged with its cause.
 */
const errorResponse = (cause: Cause.Cause<unknown>, facts: RequestFacts, limit: number) => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure) && isRouteNotFound(failure.value))
    return Effect.succeed(json(404, { _tag: "RouteNotFound", message: "no such route" }))
  const found = Cause.findDefect(cause)
  if (Result.isFailure(found)) return unhandled(cause, facts)
  const defect = found.success
  if (HttpApiError.HttpApiSchemaError.is(defect))
    return Effect.flatMap(decodeFailureAnswer(defect), (answer) =>
      answer === undefined
        ? unhandled(cause, facts)
        : Effect.succeed(
            json(
              400,
              answer._tag === "HttpApiDecodeError"
                ? { _tag: answer._tag, issues: answer.issues, message: answer.message }
                : { _tag: answer._tag, message: answer.message }
            )
          )
    )
  const parse = requestParseError(defect)
  if (parse !== undefined) {
    if (parse.reason === "BodyTooLarge") return Effect.succeed(tooLarge(limit))
    if (parse.cause instanceof SyntaxError)
      return Effect.succeed(
        json(400, { _tag: "MalformedRequest", message: `the body is not valid JSON: ${parse.cause.message}` })
      )
    return Effect.succeed(json(400, { _tag: "MalformedRequest", message: "the request body could not be read" }))
  }
  if (isStackOverflow(defect))
    return Effect.succeed(json(400, { _tag: "MalformedRequest", message: "the body is nested too deeply" }))
  if (isUnstorableText(defect))
    return Effect.succeed(
      json(400, {
        _tag: "MalformedRequest",
        message: "text must not contain NUL characters or invalid Unicode"
      })
    )
  return unhandled(cause, facts)
}

/** A method the path does not answer: 405 with the methods it does answer in `Allow`. */
const methodNotAllowed = (method: string, allow: ReadonlyArray<string>) =>
  HttpServerResponse.setHeader(
    json(405, {
      _tag: "MethodNotAllowed",
      message: `${method} is not a method of this path; it answers ${allow.join(", ")}`,
      allow
    }),
    "allow",
    allow.join(", ")
  )

/**
 * Around the router (before the API's answer is sent): whatever the API's own error schemas cannot express
 * becomes a JSON answer here; typed failures go on untouched. With `allowedMethods`, a known path asked with a
 * method it does not answer is a 405 with `Allow` rather than a 404.
 */
export const errorTranslation =
  (maxBodyBytes: number, allowedMethods?: (path: string) => ReadonlyArray<string>) =>
  <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.catchCause(app, (cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
      const failure = Cause.findErrorOption(cause)
      if (Option.isSome(failure) && !isRouteNotFound(failure.value)) return Effect.failCause(cause)
      if (Option.isSome(failure) && allowedMethods !== undefined)
        return HttpServerRequest.HttpServerRequest.pipe(
          Effect.map((request) => {
            const allow = allowedMethods(request.url.split("?")[0] ?? "")
            return allow.length > 0 && !allow.includes(request.method)
              ? methodNotAllowed(request.method, allow)
              : json(404, { _tag: "RouteNotFound", message: "no such route" })
          })
        )
      return Effect.flatMap(Effect.serviceOption(RequestContext), (facts) =>
        errorResponse(
          cause,
          Option.getOrElse(facts, () => ({ requestId: "unknown" }) as RequestFacts),
          maxBodyBytes
        )
      )
    })

/**
 * Headers every answer carries: no MIME sniffing, no framing, no referrer, no caching of personal answers by
 * shared caches. The JSON API also forbids any active content (`default-src 'none'`); the docs page, which runs
 * its own scripts and styles, keeps the framing ban only.
 */
export const securityHeaders = (url: string): Record<string, string> => ({
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "content-security-policy": url.startsWith("/docs")
    ? "frame-ancestors 'none'"
    : "default-src 'none'; frame-ancestors 'none'"
})

/** An SSE comment (ignored by clients) that opens every event stream. */
const STREAM_OPENING = new TextEncoder().encode(": stream open\n\n")

/**
 * An event stream's answer leaves at once: Node holds the status and headers until the first body byte, which for a
 * stream with nothing to say yet (a client resuming with Last-Event-ID) would be its first keep-alive, seconds later.
 * So event streams open with a comment; they are also marked not to be cached or buffered by proxies.
 */
export const openEventStream = (response: HttpServerResponse.HttpServerResponse) => {
  const body = response.body
  if (body._tag !== "Stream" || !body.contentType.startsWith("text/event-stream")) return response
  return HttpServerResponse.setBody(
    response,
    HttpBody.stream(Stream.concat(Stream.succeed(STREAM_OPENING), body.stream), body.contentType)
  ).pipe(HttpServerResponse.setHeaders({ "cache-control": "no-cache", "x-accel-buffering": "no" }))
}

const bodyDecoder = new TextDecoder()

/** Where a resource created by a POST to `path` is read, given its id (the 201's `Location`). */
const createdResources: Record<string, (id: string) => string> = {
  "/v1/events": (id) => `/v1/events/${id}`,
  "/v1/reservations": (id) => `/v1/reservations/${id}`
}

/** The id in a JSON answer's body, when there is one. */
const idInBody = (response: HttpServerResponse.HttpServerResponse): string | undefined => {
  if (response.body._tag !== "Uint8Array") return undefined
  try {
    const id = (JSON.parse(bodyDecoder.decode(response.body.body)) as { id?: unknown }).id
    return typeof id === "string" ? id : undefined
  } catch {
    return undefined
  }
}

/**
 * Headers that follow from the answer itself: a 401 says how to authenticate (`WWW-Authenticate: Bearer`, with
 * `error="invalid_token"` when a token was sent), a 201 of a collection says where the new resource is (`Location`).
 */
export const answerHeaders = (
  request: { readonly method: string; readonly url: string; readonly headers: Record<string, string | undefined> },
  response: HttpServerResponse.HttpServerResponse
): Record<string, string> => {
  if (response.status === 401 && response.headers["www-authenticate"] === undefined)
    return {
      "www-authenticate":
        request.headers.authorization === undefined
          ? 'Bearer realm="goticket"'
          : 'Bearer realm="goticket", error="invalid_token"'
    }
  if (response.status === 201 && request.method === "POST") {
    const located = createdResources[request.url.split("?")[0] ?? ""]
    const id = located === undefined ? undefined : idInBody(response)
    if (located !== undefined && id !== undefined) return { location: located(id) }
  }
  return {}
}

/** What the request log line says about a request that ended. */
export interface RequestLine {
  readonly method: string
  readonly route: string
  readonly status: number
  readonly ip: string
  /** performance.now() when the request arrived. */
  readonly started: number
  readonly requestId: string
  readonly userId: string | undefined
  readonly traceId: string | null
}

/** The one log line per request (INFO, "http request"). */
export const logRequest = (line: RequestLine) =>
  Effect.logInfo("http request").pipe(
    Effect.annotateLogs({
      "http.method": line.method,
      "http.route": line.route,
      "http.status": line.status,
      "client.address": line.ip,
      "http.duration_ms": Math.round((performance.now() - line.started) * 100) / 100,
      requestId: line.requestId,
      userId: line.userId ?? null,
      traceId: line.traceId
    })
  )

/**
 * Around every request: assigns a request id (or keeps a sane incoming X-Request-Id); refuses, before any routing,
 * an overlong target (414), a rate-limited client (429, as the gate decided), an oversized body (413) and a body
 * that is not JSON (415); provides the request facts and the audit context to the API; and writes one structured
 * log line when the request ends. The response is already on its way when this wrapper resumes, so the headers
 * (request id, security, rate limits) and the final status go through a pre-response handler.
 */
export const requestLogging =
  (maxBodyBytes: number, gate?: TrafficGate) =>
  <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    E,
    Exclude<R, RequestContext> | HttpServerRequest.HttpServerRequest
  > =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const incoming = request.headers["x-request-id"]
      const started = performance.now()
      const tooLong = request.url.length > MAX_URL_LENGTH
      const admission = tooLong ? yield* ungated(request) : yield* (gate?.admit ?? ungated)(request)
      const facts: RequestFacts = {
        requestId: requestIdOf(incoming),
        route: undefined,
        userId: undefined,
        rated: admission.rated
      }
      let status = 500
      const headers = { ...securityHeaders(request.url), "x-request-id": facts.requestId }
      const stamp = (response: HttpServerResponse.HttpServerResponse) => {
        status = response.status
        const rated = facts.rated === undefined ? headers : { ...headers, ...rateLimitHeaders(facts.rated) }
        return HttpServerResponse.setHeaders(openEventStream(response), {
          ...rated,
          ...answerHeaders(request, response)
        })
      }
      const refusal = admission.rated?.decision.allowed === false ? admission.rated : undefined
      // Every body the API takes is JSON: anything else (multipart, form data, text) is refused unread.
      const notJson = bodyIsNotJson(request)
      const declared = Number(request.headers["content-length"] ?? 0)
      const userAgent = request.headers["user-agent"]
      const exit = yield* Effect.exit(
        tooLong
          ? Effect.sync(() => stamp(urlTooLong()))
          : refusal !== undefined
            ? Effect.sync(() => stamp(rateLimited(retryAfterSeconds(refusal.decision))))
            : declared > maxBodyBytes
              ? Effect.sync(() => stamp(tooLarge(maxBodyBytes)))
              : notJson !== undefined
                ? Effect.sync(() => stamp(unsupportedMediaType(notJson)))
                : HttpEffect.appendPreResponseHandler((_request, response) => Effect.sync(() => stamp(response))).pipe(
                    Effect.andThen(app),
                    Effect.provideService(HttpIncomingMessage.MaxBodySize, ByteSize.bytes(maxBodyBytes)),
                    Effect.provideService(RequestContext, facts),
                    Effect.provideService(AuditContext, {
                      ip: admission.ip,
                      userAgent: userAgent === undefined ? null : userAgent.slice(0, MAX_USER_AGENT),
                      requestId: facts.requestId
                    })
                  )
      )
      if (exit._tag === "Failure" && Cause.hasInterruptsOnly(exit.cause)) status = 499
      recordRequest(request.method, facts.route, status, (performance.now() - started) / 1000)
      const span = yield* Effect.option(Effect.currentSpan)
      yield* logRequest({
        method: request.method,
        route: facts.route ?? request.url.split("?")[0] ?? "",
        status,
        ip: admission.ip,
        started,
        requestId: facts.requestId,
        userId: facts.userId,
        traceId: Option.match(span, { onNone: () => null, onSome: (s) => s.traceId })
      })
      return yield* exit
    })

import type { IncomingMessage, ServerResponse } from "node:http"
import { Cause, Config, Context, Effect, Exit, LogLevel, Option, References, Tracer } from "effect"
import { HttpTraceContext } from "effect/http"
import { AccessTokens } from "../domain/accounts/AccessTokens.ts"
import type { Actor } from "../domain/accounts/Actor.ts"
import { AuditContext } from "../domain/audit/AuditContext.ts"
import type { HoldRequest } from "../domain/reservations/HoldRequest.ts"
import { ActiveAccounts } from "../services/accounts/ActiveAccounts.ts"
import { hotPathSpan } from "../services/observability/HotPathSpan.ts"
import {
  clientAddress,
  rateLimitHeaders,
  retryAfterSeconds,
  trafficClassOf
} from "../services/security/TrafficClasses.ts"
import { TrafficConfig } from "../services/security/TrafficConfig.ts"
import { TrafficControl } from "../services/security/TrafficControl.ts"
import type { ReservationView } from "./api/ReservationsApi.ts"
import { type FrontRoute, replayRequest } from "./FrontDoor.ts"
import { type Answer, holdContract } from "./HoldContract.ts"
import { makeHoldHandler } from "./handlers/ReservationsLive.ts"
import { rememberDecodedBodies } from "./RememberedBodies.ts"
import { RequestContext, type RequestFacts } from "./RequestContext.ts"
import {
  internalErrorBody,
  logRequest,
  MAX_USER_AGENT,
  rateLimitedBody,
  requestIdOf,
  securityHeaders,
  UNHANDLED
} from "./RequestPipeline.ts"
import { recordRequest } from "./RouteMetrics.ts"

const PATH = "/v1/reservations"
/** `Authorization: Bearer <token>` as both the traffic gate and the API's bearer scheme read it alike. */
const BEARER = /^Bearer\s+(\S+)$/i
/** Hold bodies are small (100 chosen seats ≈ 4 KB); a larger one takes the generic path. */
const MAX_BODY = 64 * 1024

/**
 * LEAN_HOLD_ROUTE: `on` (the default) serves `POST /v1/reservations` through the lean route below; `off` leaves it
 * to the generic pipeline (for comparison, or as an escape hatch).
 */
export const LeanHoldRouteConfig = Config.Literals(["on", "off"], "LEAN_HOLD_ROUTE").pipe(
  Config.withDefault("on"),
  Config.map((v) => v === "on")
)

const textDecoder = new TextDecoder()

/**
 * `POST /v1/reservations` served from the front door: the same contract, errors, statuses, headers, rate limits,
 * audit origin and log line as the generic pipeline (RequestPipeline, the HttpApi middleware, ReservationsLive), at
 * a fraction of its cost per request: no router, no middleware chain, no response pipeline, one fiber per request.
 * What is served is not implemented twice: the schemas and statuses come from the API definition (holdContract),
 * the hold from the same handler as the HttpApi one (makeHoldHandler).
 *
 * It only takes requests it can answer exactly as the generic path would, and it decides that before anything
 * happens that the generic path would do again (rating, holding): a request that is not well-formed JSON of the
 * contract with a valid token of an existing account, or that any header makes special (no Content-Length, a
 * chunked or large body, another media type, a CORS origin while CORS is on), goes to the generic path, with its
 * body replayed when it was read: that path refuses it with its usual 4xx. From rating on, the route answers
 * everything itself, defects included.
 */
export const makeHoldRoute = (options: { readonly corsEnabled: boolean; readonly maxBodyBytes: number }) =>
  Effect.gen(function* () {
    const tokens = yield* AccessTokens
    const accounts = yield* ActiveAccounts
    const traffic = yield* TrafficControl
    const hold = yield* makeHoldHandler
    const { trustedProxies } = yield* TrafficConfig
    // Every request's fiber runs in the service's context (a few hundred services) and adds a few to it (its spans,
    // the request facts, the audit origin): with room for them as overlays, no addition copies the whole map (at
    // Context's default depth of 8, one per request did).
    const context = Context.makeUnsafe<never>((yield* Effect.context<never>()).mapUnsafe, { maxDepth: 32 })
    const contract = holdContract()
    const trafficClass = trafficClassOf("POST", PATH)
    const maxBody = Math.min(MAX_BODY, options.maxBodyBytes)

    // The sold-out refusal is one reused error per ticket type (Reservations): so is its body.
    const bodies = new WeakMap<object, Answer | undefined>()
    const refusalOf = (error: unknown): Answer | undefined => {
      if (typeof error !== "object" || error === null) return contract.refusal(error)
      if (bodies.has(error)) return bodies.get(error)
      const answer = contract.refusal(error)
      bodies.set(error, answer)
      return answer
    }
    const security = securityHeaders(PATH)
    // The request's log line is built only when it is written (LOG_LEVEL at Info or below): a dropped line costs
    // its annotations all the same.
    const logsRequests = LogLevel.isGreaterThanOrEqualTo("Info", Context.get(context, References.MinimumLogLevel))

    // A sale's buyers send the same few bodies: each text is parsed and decoded once.
    const payloadOf = rememberDecodedBodies(
      (text): HoldRequest | undefined => {
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          return undefined
        }
        const payload = contract.decodePayload(json)
        return Exit.isSuccess(payload) ? payload.value : undefined
      },
      { capacity: 1_000, maxLength: 1_024 }
    )

    /** What the request asks for, or undefined when the generic path must answer it (it refuses it, most likely). */
    const parse = (request: IncomingMessage, body: Buffer) => {
      const bearer = BEARER.exec(request.headers.authorization ?? "")?.[1]
      if (bearer === undefined) return undefined
      const headers = contract.decodeHeaders(request.headers)
      if (Exit.isFailure(headers)) return undefined
      const payload = payloadOf(textDecoder.decode(body))
      if (payload === undefined) return undefined
      return { bearer, key: headers.value["idempotency-key"], payload }
    }

    const write = (response: ServerResponse, facts: RequestFacts, answer: Answer) => {
      if (response.writableEnded || response.destroyed) return
      const headers: Record<string, string | number> = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(answer.body),
        ...security,
        "x-request-id": facts.requestId
      }
      if (facts.rated !== undefined) Object.assign(headers, rateLimitHeaders(facts.rated))
      if (answer.location !== undefined) headers.location = answer.location
      response.writeHead(answer.status, headers)
      response.end(answer.body)
    }

    /** What the hold ended with, as the endpoint answers it (a defect or an interruption fails the effect). */
    const answerOf = (outcome: Exit.Exit<typeof ReservationView.Type, unknown>): Effect.Effect<Answer> => {
      if (Exit.isSuccess(outcome))
        return Effect.succeed({
          status: contract.success.status,
          body: JSON.stringify(contract.success.encode(outcome.value)),
          location: `${PATH}/${outcome.value.id}`
        })
      const error = Cause.findErrorOption(outcome.cause)
      const refusal = Option.isSome(error) ? refusalOf(error.value) : undefined
      // Not a failure the endpoint declares: a defect (or an interruption), answered 500 by the caller.
      return refusal === undefined ? Effect.failCause(outcome.cause as Cause.Cause<never>) : Effect.succeed(refusal)
    }

    /**
     * The hold itself, once the request is known good: rated, held, answered. Combinators rather than a generator:
     * this runs for every refusal of a flash sale.
     */
    const serve = (
      request: { readonly actor: Actor; readonly payload: HoldRequest; readonly key: string },
      facts: RequestFacts,
      origin: typeof AuditContext.Service
    ): Effect.Effect<Answer> =>
      Effect.flatMap(
        traffic.admit({ trafficClass, ip: origin.ip ?? "", userId: request.actor.userId }),
        (admitted): Effect.Effect<Answer> => {
          facts.rated = admitted
          // Refused at the gate, as the request pipeline refuses: before authentication (no user in the log line).
          if (admitted?.decision.allowed === false)
            return Effect.succeed({
              status: 429,
              body: JSON.stringify(rateLimitedBody(retryAfterSeconds(admitted.decision)))
            })
          facts.userId = request.actor.userId
          return Effect.flatMap(
            Effect.exit(
              hold(request.actor, request.payload, request.key).pipe(
                Effect.provideService(RequestContext, facts),
                Effect.provideService(AuditContext, origin)
              )
            ),
            answerOf
          )
        }
      )

    // One generator function for all requests (Effect.fnUntraced), not one made per request (`Effect.gen(function*
    // ...)` inside a per-request function): with one per request, about a fifth of what a refusal allocates outlived
    // V8's young collections and was promoted, the request's objects with it (likely through each generator
    // function's own prototype and hidden class, which live in the old generation until a full collection); with one,
    // and V8's allocation-site pretenuring off (README: Quick start), next to none (`--trace-gc-nvp`, `npm run
    // bench:holds`, 2026-12-05).
    const program = Effect.fnUntraced(
      function* (
        request: IncomingMessage,
        response: ServerResponse,
        body: Buffer,
        started: number,
        pass: (request: IncomingMessage) => void
      ) {
        // 1. Anything the generic path would answer otherwise goes there, before anything is rated or held.
        const input = parse(request, body)
        const verified = input === undefined ? undefined : yield* Effect.exit(tokens.verify(input.bearer))
        const active =
          verified === undefined || Exit.isFailure(verified)
            ? undefined
            : yield* Effect.exit(accounts.ensure(verified.value))
        if (input === undefined || active === undefined || Exit.isFailure(active))
          return pass(replayRequest(request, body))

        // 2. From here on, this route answers, whatever happens.
        const facts: RequestFacts = {
          requestId: requestIdOf(header(request, "x-request-id")),
          route: PATH,
          userId: undefined,
          rated: undefined
        }
        const userAgent = header(request, "user-agent")
        const origin = {
          ip: clientAddress(request.socket.remoteAddress, header(request, "x-forwarded-for"), trustedProxies),
          userAgent: userAgent === undefined ? null : userAgent.slice(0, MAX_USER_AGENT),
          requestId: facts.requestId
        }
        const span = yield* Effect.currentSpan.pipe(Effect.orElseSucceed(() => undefined))
        const exit = yield* Effect.exit(serve({ ...input, actor: active.value }, facts, origin))
        let status: number
        if (Exit.isSuccess(exit)) {
          status = exit.value.status
          write(response, facts, exit.value)
        } else if (Cause.hasInterruptsOnly(exit.cause)) status = 499
        else {
          status = 500
          yield* Effect.logError(UNHANDLED, exit.cause)
          write(response, facts, { status, body: JSON.stringify(internalErrorBody(facts.requestId)) })
        }
        if (span !== undefined) annotateServerSpan(span, request, status)
        recordRequest("POST", PATH, status, (performance.now() - started) / 1000)
        if (logsRequests)
          yield* logRequest({
            method: "POST",
            route: PATH,
            status,
            ip: origin.ip,
            started,
            requestId: facts.requestId,
            userId: facts.userId,
            traceId: span?.traceId ?? null
          })
        // A defect fails the server span, as HttpMiddleware.tracer fails it for a 5xx.
        if (status === 500 && Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
      },
      (effect, request) =>
        hotPathSpan("POST", {
          kind: "server",
          parent: Option.getOrUndefined(HttpTraceContext.fromHeaders(request.headers as never))
        })(effect)
    )

    const run = (
      request: IncomingMessage,
      response: ServerResponse,
      body: Buffer,
      started: number,
      pass: (request: IncomingMessage) => void
    ) => {
      // A failure was answered and logged by the program; it only fails the server span.
      const fiber = Effect.runForkWith(context)(Effect.ignoreCause(program(request, response, body, started, pass)))
      response.once("close", () => {
        if (!response.writableEnded) fiber.interruptUnsafe()
      })
    }

    const route: FrontRoute = (request, response, pass) => {
      if (request.method !== "POST" || request.url !== PATH) return false
      const headers = request.headers
      if (headers["transfer-encoding"] !== undefined || (options.corsEnabled && headers.origin !== undefined))
        return false
      const declared = headers["content-length"]
      const length = declared === undefined ? 0 : Number(declared)
      if (!(length > 0 && length <= maxBody) || !isJson(headers["content-type"])) return false
      const started = performance.now()
      const chunks: Array<Buffer> = []
      let done = false
      request.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
      })
      request.once("end", () => {
        if (done) return
        done = true
        run(request, response, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), started, pass)
      })
      request.once("error", (error) => {
        if (done) return
        done = true
        pass(replayRequest(request, Buffer.concat(chunks), error))
      })
      return true
    }
    return route
  })

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value.join(", ") : value
}

/** The one media type the endpoint decodes (HttpApi normalizes it the same way: no parameters, any case). */
const isJson = (contentType: string | undefined) =>
  contentType !== undefined && (contentType.split(";")[0] ?? "").trim().toLowerCase() === "application/json"

/**
 * The attributes HttpMiddleware.tracer and HttpRouter give a sampled server span of an exporting tracer. A native
 * span (what Effect's native tracer makes when no tracing backend is installed) stays in memory: nothing reads them.
 */
const annotateServerSpan = (span: Tracer.AnySpan, request: IncomingMessage, status: number) => {
  if (span._tag !== "Span" || !span.sampled || span instanceof Tracer.NativeSpan) return
  const { hostname, port } = hostOf(request.headers.host ?? "localhost")
  span.attribute("http.request.method", "POST")
  span.attribute("url.full", `http://${hostname}${port === 80 ? "" : `:${port}`}${PATH}`)
  span.attribute("url.path", PATH)
  span.attribute("url.scheme", "http")
  if (hostname !== "") {
    span.attribute("server.address", hostname.startsWith("[") ? hostname.slice(1, -1) : hostname)
    span.attribute("server.port", port)
  }
  const agent = request.headers["user-agent"]
  if (agent !== undefined) span.attribute("user_agent.original", agent)
  if (request.socket.remoteAddress !== undefined) span.attribute("client.address", request.socket.remoteAddress)
  span.attribute("http.route", PATH)
  span.attribute("http.response.status_code", status)
}

/** The Host header as the WHATWG URL parser reads it (lower case, default port dropped), parsed once per host. */
const hosts = new Map<string, { readonly hostname: string; readonly port: number }>()
const hostOf = (host: string) => {
  let found = hosts.get(host)
  if (found === undefined) {
    let url: URL | undefined
    try {
      url = new URL(`http://${host}${PATH}`)
    } catch {
      url = undefined
    }
    found = { hostname: url?.hostname ?? "", port: url === undefined || url.port === "" ? 80 : Number(url.port) }
    if (hosts.size >= 1_000) hosts.clear()
    hosts.set(host, found)
  }
  return found
}

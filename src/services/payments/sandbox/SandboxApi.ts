import { Effect, Schema, SchemaIssue } from "effect"
import { HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import { PaymentIntent, Refund } from "../../../domain/payments/PaymentGateway.ts"
import { Balance, SandboxRefusal } from "./SandboxLedger.ts"
import {
  ConfirmBody,
  CreateIntentBody,
  type ErrorBody,
  IDEMPOTENCY_KEY_HEADER,
  RefundBody,
  WebhookEndpointBody
} from "./SandboxProtocol.ts"
import type { SandboxState } from "./SandboxState.ts"
import { secretsEqual } from "./Signature.ts"
import type { WebhookDelivery } from "./WebhookDelivery.ts"

export interface SandboxApiDeps {
  readonly state: SandboxState
  readonly delivery: WebhookDelivery
  readonly apiKey: string
  /** Called when a confirmation left an intent `processing`: finishes the authorisation later. */
  readonly scheduleAuthorization: (intentId: string) => Effect.Effect<void>
}

const encodeIntent = Schema.encodeSync(PaymentIntent)
const encodeRefund = Schema.encodeSync(Refund)
const encodeBalance = Schema.encodeSync(Balance)

const refusal = (status: SandboxRefusal["status"], code: string, message: string) =>
  new SandboxRefusal({ status, code, message })

const errorResponse = (error: SandboxRefusal) => {
  const body: typeof ErrorBody.Encoded = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.intent === undefined ? {} : { intent: encodeIntent(error.intent) })
    }
  }
  return HttpServerResponse.jsonUnsafe(body, { status: error.status })
}

/** Request bodies: every problem reported at once, unknown fields refused. */
const body = <A>(schema: Schema.ConstraintDecoder<A>) =>
  HttpServerRequest.schemaBodyJson(schema, { errors: "all", onExcessProperty: "error" })

const intentIdParam = HttpRouter.schemaPathParams(Schema.Struct({ id: Schema.String }))

/** Server-side calls carry the secret key: `Authorization: Bearer <SANDBOX_API_KEY>`. */
const authorize = (apiKey: string) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const header = request.headers.authorization
    return header !== undefined && secretsEqual(header, `Bearer ${apiKey}`)
      ? Effect.void
      : Effect.fail(refusal(401, "invalid_api_key", "send the secret key as Authorization: Bearer <key>"))
  })

/** Every call that changes money names its Idempotency-Key: the sandbox refuses one without. */
const idempotencyKey = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
  const key = request.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]?.trim()
  return key !== undefined && key.length > 0 && key.length <= 255
    ? Effect.succeed(key)
    : Effect.fail(
        refusal(400, "idempotency_key_required", `send an ${IDEMPOTENCY_KEY_HEADER} header (1 to 255 characters)`)
      )
})

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** Every problem of a request, one per line as `path: message`, e.g. `amountMinor: Expected number, got "1"`. */
const describe = (error: Schema.SchemaError) =>
  formatIssues(error.issue)
    .issues.map(
      (issue) =>
        `${issue.path === undefined || issue.path.length === 0 ? "body" : issue.path.map(String).join(".")}: ${issue.message}`
    )
    .join("\n")

type HandlerError = SandboxRefusal | Schema.SchemaError | HttpServerError.HttpServerError

/** Turns every failure into the JSON error shape; a defect is logged and answered 500. */
const respond = <R>(name: string, handler: Effect.Effect<HttpServerResponse.HttpServerResponse, HandlerError, R>) =>
  handler.pipe(
    Effect.catchTags({
      SandboxRefusal: (error) => Effect.succeed(errorResponse(error)),
      SchemaError: (error) => Effect.succeed(errorResponse(refusal(400, "invalid_request", describe(error)))),
      HttpServerError: () =>
        Effect.succeed(errorResponse(refusal(400, "invalid_json", "the body must be a JSON object")))
    }),
    Effect.catchDefect((defect) =>
      Effect.as(
        Effect.logError("sandbox request failed", defect),
        HttpServerResponse.jsonUnsafe(
          { error: { code: "internal_error", message: "the sandbox failed; see its log" } },
          { status: 500 }
        )
      )
    ),
    Effect.withSpan(`SandboxApi.${name}`)
  )

const ok = (body: unknown) => HttpServerResponse.jsonUnsafe(body)

/** One Debug line per request (LOG_LEVEL=Debug shows them): the sandbox is polled and hammered by load tests. */
const logRequests = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.tap(app, (response) =>
      Effect.logDebug("sandbox request").pipe(
        Effect.annotateLogs({ method: request.method, url: request.url, status: response.status })
      )
    )
  )

/** The sandbox PSP's routes (see SandboxProtocol.ts for the wire format). */
export const makeSandboxApp = Effect.fnUntraced(function* (deps: SandboxApiDeps) {
  const { state, delivery } = deps
  const authorized = authorize(deps.apiKey)

  const router = yield* HttpRouter.make
  yield* router.add("GET", "/health", ok({ status: "ok" }))

  yield* router.add(
    "POST",
    "/v1/payment_intents",
    respond(
      "createIntent",
      Effect.gen(function* () {
        yield* authorized
        const key = yield* idempotencyKey
        const input = yield* body(CreateIntentBody)
        return ok(encodeIntent(yield* state.createIntent({ idempotencyKey: key, ...input })))
      })
    )
  )

  yield* router.add(
    "GET",
    "/v1/payment_intents/:id",
    respond(
      "retrieve",
      Effect.gen(function* () {
        yield* authorized
        const { id } = yield* intentIdParam
        return ok(encodeIntent(yield* state.retrieve(id)))
      })
    )
  )

  // Public: the customer's client calls it with the intent's client secret, never with the API key.
  yield* router.add(
    "POST",
    "/v1/payment_intents/:id/confirm",
    respond(
      "confirm",
      Effect.gen(function* () {
        const { id } = yield* intentIdParam
        const { client_secret } = yield* HttpServerRequest.schemaSearchParams(
          Schema.Struct({ client_secret: Schema.optional(Schema.String) })
        )
        if (client_secret === undefined)
          return yield* refusal(400, "client_secret_required", "confirm with the client_secret of the confirmUrl")
        const { card } = yield* body(ConfirmBody)
        const intent = yield* state.confirm({ intentId: id, clientSecret: client_secret, card })
        if (intent.status === "processing") yield* deps.scheduleAuthorization(intent.id)
        return ok(encodeIntent(intent))
      })
    )
  )

  yield* router.add(
    "POST",
    "/v1/payment_intents/:id/capture",
    respond(
      "capture",
      Effect.gen(function* () {
        yield* authorized
        const key = yield* idempotencyKey
        const { id } = yield* intentIdParam
        return ok(encodeIntent(yield* state.capture({ intentId: id, idempotencyKey: key })))
      })
    )
  )

  yield* router.add(
    "POST",
    "/v1/payment_intents/:id/cancel",
    respond(
      "cancel",
      Effect.gen(function* () {
        yield* authorized
        const key = yield* idempotencyKey
        const { id } = yield* intentIdParam
        return ok(encodeIntent(yield* state.cancel({ intentId: id, idempotencyKey: key })))
      })
    )
  )

  yield* router.add(
    "POST",
    "/v1/refunds",
    respond(
      "refund",
      Effect.gen(function* () {
        yield* authorized
        const key = yield* idempotencyKey
        const input = yield* body(RefundBody)
        return ok(encodeRefund(yield* state.refund({ ...input, idempotencyKey: key })))
      })
    )
  )

  yield* router.add(
    "GET",
    "/v1/balance",
    respond(
      "balance",
      Effect.gen(function* () {
        yield* authorized
        return ok(encodeBalance(yield* state.balance))
      })
    )
  )

  yield* router.add(
    "GET",
    "/v1/webhook_endpoints",
    respond(
      "webhookEndpoint",
      Effect.gen(function* () {
        yield* authorized
        return ok({ url: (yield* delivery.url) ?? null })
      })
    )
  )

  yield* router.add(
    "POST",
    "/v1/webhook_endpoints",
    respond(
      "setWebhookEndpoint",
      Effect.gen(function* () {
        yield* authorized
        const { url } = yield* body(WebhookEndpointBody)
        yield* delivery.setUrl(url ?? undefined)
        yield* Effect.logInfo("webhook endpoint set").pipe(Effect.annotateLogs({ url }))
        return ok({ url })
      })
    )
  )

  return router.asHttpEffect().pipe(
    Effect.catch((error) =>
      HttpServerError.isHttpServerError(error) && error.reason._tag === "RouteNotFound"
        ? Effect.succeed(errorResponse(refusal(404, "route_not_found", "no such route")))
        : Effect.fail(error)
    ),
    logRequests
  )
})

import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { HttpEffect, HttpServerResponse } from "effect/http"
import { HttpApiError } from "effect/http-api"
import { errorTranslation, requestLogging } from "../../src/http/RequestPipeline.ts"

/** The same wrapping as the server: logging outside, error translation inside, around a handler that may die. */
const serve = (handler: Effect.Effect<HttpServerResponse.HttpServerResponse>) =>
  HttpEffect.toWebHandler(requestLogging(1024)(errorTranslation(1024)(handler)))

describe("a defect in a handler", () => {
  it("becomes a JSON 500 carrying the request id, and the next request is served", async () => {
    let calls = 0
    const handle = serve(
      Effect.suspend(() =>
        ++calls === 1 ? Effect.die(new Error("boom")) : Effect.succeed(HttpServerResponse.text("fine"))
      )
    )
    const failed = await handle(new Request("http://test/x", { headers: { "x-request-id": "req-42" } }))
    expect(failed.status).toBe(500)
    expect(await failed.json()).toEqual({
      _tag: "InternalServerError",
      message: "something went wrong on our side; quote the requestId if you report it",
      requestId: "req-42"
    })
    expect(failed.headers.get("x-request-id")).toBe("req-42")

    const next = await handle(new Request("http://test/x"))
    expect(next.status).toBe(200)
    expect(await next.text()).toBe("fine")
  })
})

describe("a request the framework could not decode", () => {
  it("becomes a JSON 400 HttpApiDecodeError listing every issue with its path", async () => {
    const decoded = Schema.decodeUnknownEffect(Schema.Struct({ limit: Schema.Int, cursor: Schema.String }), {
      errors: "all"
    })({ limit: "x" })
    const handle = serve(
      decoded.pipe(
        Effect.as(HttpServerResponse.text("decoded")),
        Effect.catch((cause) => Effect.die(new HttpApiError.HttpApiSchemaError({ kind: "Query", cause })))
      )
    )
    const reply = await handle(new Request("http://test/x?limit=x"))
    expect(reply.status).toBe(400)
    const body = (await reply.json()) as { _tag: string; issues: Array<{ path: Array<string> }>; message: unknown }
    expect(body._tag).toBe("HttpApiDecodeError")
    expect(body.issues.map((i) => i.path)).toEqual([["limit"], ["cursor"]])
    expect(typeof body.message).toBe("string")
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff")
  })
})

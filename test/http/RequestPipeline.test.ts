import { HttpApp, HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { errorTranslation, requestLogging } from "../../src/http/RequestPipeline.ts"

/** The same wrapping as the server: logging outside, error translation inside, around a handler that may die. */
const serve = (handler: HttpApp.Default) => HttpApp.toWebHandler(requestLogging(1024)(errorTranslation(1024)(handler)))

describe("a defect in a handler", () => {
  it("becomes a JSON 500 carrying the request id, and the next request is served", async () => {
    let calls = 0
    const handle = serve(
      Effect.suspend(() => (++calls === 1 ? Effect.die(new Error("boom")) : HttpServerResponse.text("fine")))
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

import { connect } from "node:net"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { client, TestServerLive } from "../support/TestServer.ts"

/**
 * Opens a raw connection, sends `head`, then keeps trickling `drip` every 200 ms (as a slowloris client does),
 * and resolves with what the server answered once it closed the connection.
 */
const trickle = (base: string, head: string, drip: string) =>
  Effect.callback<{ readonly answer: string; readonly closed: boolean }>((resume) => {
    const { hostname, port } = new URL(base)
    const socket = connect(Number(port), hostname)
    let answer = ""
    let timer: NodeJS.Timeout | undefined
    socket.setEncoding("utf8")
    socket.on("connect", () => {
      socket.write(head)
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(drip)
      }, 200)
    })
    socket.on("data", (chunk: string) => {
      answer += chunk
    })
    const done = (closed: boolean) => {
      clearInterval(timer)
      socket.destroy()
      resume(Effect.succeed({ answer, closed }))
    }
    socket.on("close", () => done(true))
    socket.on("error", () => done(true))
    // The test's own guard: a server that never closes fails the assertion below instead of hanging.
    const guard = setTimeout(() => done(false), 20_000)
    return Effect.sync(() => {
      clearTimeout(guard)
      clearInterval(timer)
      socket.destroy()
    })
  })

describe("slow clients", () => {
  layer(
    TestServerLive({ HTTP_HEADERS_TIMEOUT_MS: "1000", HTTP_REQUEST_TIMEOUT_MS: "2000", HTTP_TIMEOUT_CHECK_MS: "200" }),
    {
      timeout: "120 seconds",
      excludeTestServices: true
    }
  )("timeouts", (it) => {
    it.effect("a client that never finishes its headers is answered 408 and cut off", () =>
      Effect.gen(function* () {
        const api = yield* client
        const result = yield* trickle(api.base, "GET /v1/events HTTP/1.1\r\nHost: goticket\r\n", "X-Slow: 1\r\n")
        expect(result.closed).toBe(true)
        expect(result.answer).toMatch(/^HTTP\/1\.1 408/)
        expect(result.answer).toContain('"_tag":"RequestTimeout"')
      })
    )

    it.effect("a client that never finishes its body is answered 408 and cut off", () =>
      Effect.gen(function* () {
        const api = yield* client
        const result = yield* trickle(
          api.base,
          "POST /v1/auth/login HTTP/1.1\r\nHost: goticket\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
          " "
        )
        expect(result.closed).toBe(true)
        expect(result.answer).toMatch(/^HTTP\/1\.1 408/)
      })
    )

    it.effect("the server keeps serving other clients meanwhile", () =>
      Effect.gen(function* () {
        const api = yield* client
        const slow = yield* Effect.forkChild(
          trickle(api.base, "GET /v1/events HTTP/1.1\r\nHost: goticket\r\n", "X-Slow: 1\r\n")
        )
        const answers = yield* Effect.all(
          Array.from({ length: 5 }, () => api.call("GET", "/v1/events")),
          { concurrency: "unbounded" }
        )
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200])
        expect((yield* Fiber.join(slow)).closed).toBe(true)
      })
    )
  })
})

describe("bytes that are not HTTP", () => {
  layer(TestServerLive(), { timeout: "120 seconds", excludeTestServices: true })("parser errors", (it) => {
    it.effect("are answered 400 in JSON, and the connection is closed", () =>
      Effect.gen(function* () {
        const api = yield* client
        const result = yield* trickle(api.base, "HELLO THERE\r\n\r\n", "")
        expect(result.closed).toBe(true)
        expect(result.answer).toMatch(/^HTTP\/1\.1 400/)
        expect(result.answer).toContain('"_tag":"MalformedRequest"')
      })
    )
  })
})

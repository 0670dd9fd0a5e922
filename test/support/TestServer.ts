import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ConfigProvider, Effect, Layer, References } from "effect"
import { HttpServer } from "effect/http"
import { applicationOver } from "../../src/Application.ts"
import { TestDatabaseLive } from "./TestDatabase.ts"

/** The token-signing secret of every test server (tests that mint tokens themselves use it too). */
export const TEST_JWT_SECRET = "test-secret-test-secret-test-secret-0123456789"

/** Settings of the server under test: a random port, a fixed secret, cheap password hashing, no demo data. */
export const testConfig = (overrides: Record<string, string> = {}) =>
  ConfigProvider.fromEnv({
    env: {
      HOST: "127.0.0.1",
      PORT: "0",
      JWT_SECRET: TEST_JWT_SECRET,
      SCRYPT_LOG2_N: "10",
      SEED_DEMO: "false",
      // Every test client calls from 127.0.0.1; the suites about rate limits turn them on with their own numbers.
      RATE_LIMITS: "off",
      EMAIL_VERIFICATION: "off",
      GOTICKET_DATA_DIR: mkdtempSync(join(tmpdir(), "goticket-test-")),
      ...overrides
    }
  })

/** The whole service, listening on a random port over a fresh test database. */
export const TestServerLive = (overrides: Record<string, string> = {}) =>
  applicationOver(TestDatabaseLive).pipe(
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")),
    Layer.provide(ConfigProvider.layer(testConfig(overrides)))
  )

export interface Reply {
  readonly status: number
  readonly headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  readonly body: any
}

export interface CallOptions {
  readonly token?: string | undefined
  readonly body?: unknown
  readonly rawBody?: string | undefined
  readonly headers?: Record<string, string> | undefined
}

/** A plain HTTP client for the running server, the way any API user would call it. */
export const client = Effect.map(HttpServer.HttpServer, (server) => clientAt(HttpServer.formatAddress(server.address)))

/** The same client for a server at `base` (`http://host:port`), e.g. one running as another process. */
export const clientAt = (base: string) => {
  const call = (method: string, path: string, options: CallOptions = {}) =>
    Effect.promise(async (): Promise<Reply> => {
      const headers: Record<string, string> = { ...options.headers }
      if (options.token) headers.authorization = `Bearer ${options.token}`
      let body: string | undefined = options.rawBody
      if (options.body !== undefined) {
        body = JSON.stringify(options.body)
        headers["content-type"] ??= "application/json"
      }
      if (body !== undefined) headers["content-type"] ??= "application/json"
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(15_000),
        ...(body === undefined ? {} : { body })
      })
      const text = await response.text()
      let parsed: unknown = text
      try {
        parsed = text === "" ? null : JSON.parse(text)
      } catch {}
      return { status: response.status, headers: response.headers, body: parsed }
    })

  let n = 0
  /** Registers an account and logs it in; returns its id, email, access token and refresh token. */
  const account = (accountType: "customer" | "organizer", name: string = accountType) =>
    Effect.gen(function* () {
      const email = `${name}-${++n}-${crypto.randomUUID().slice(0, 8)}@example.com`
      const password = "correct-horse-battery"
      const registered = yield* call("POST", "/v1/auth/register", { body: { email, password, name, accountType } })
      if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered.body)}`)
      const login = yield* call("POST", "/v1/auth/login", { body: { email, password } })
      return {
        id: registered.body.id as string,
        email,
        password,
        token: login.body.accessToken as string,
        refreshToken: login.body.refreshToken as string
      }
    })

  return { base, call, account }
}

const DAY = 24 * 3600 * 1000
export const inDays = (days: number, hour = 19) =>
  new Date(Math.floor((Date.now() + days * DAY) / DAY) * DAY + hour * 3600 * 1000).toISOString()

export const eventBody = (overrides: Record<string, unknown> = {}) => ({
  title: "Night Concert",
  description: "An evening of music",
  venue: { name: "Grand Hall", address: "1 Main St", timezone: "Europe/Paris" },
  startsAt: inDays(30),
  endsAt: inDays(30, 23),
  ...overrides
})

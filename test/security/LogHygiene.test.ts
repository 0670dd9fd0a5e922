import { afterAll, beforeAll, describe, expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger, References } from "effect"
import { applicationOver } from "../../src/Application.ts"
import { PAID, purchase } from "../support/Purchase.ts"
import { publishedSale } from "../support/Sale.ts"
import { TestDatabaseLive } from "../support/TestDatabase.ts"
import { client, testConfig } from "../support/TestServer.ts"

/**
 * What the service writes to its logs, at every level, must never hold a password, an access or refresh token, or
 * a full e-mail address: logs travel to places (aggregators, tickets, screenshots) that personal data and
 * credentials must not reach. The service runs here with a logger that keeps every line, in both formats it can
 * use (JSON in production, logfmt by default), with the log level at All; console and stdout writes are kept too.
 */

const captured: Array<string> = []

/** Keeps each log entry as the JSON and the logfmt logger would write it (message, annotations, spans, cause). */
const capturing = Logger.make<unknown, void>((options) => {
  captured.push(Logger.formatJson.log(options))
  captured.push(Logger.formatLogFmt.log(options))
})

const ADMIN = { email: "Log.Admin@Example.com", password: "log-admin-password-0042" } as const

const Server = applicationOver(TestDatabaseLive).pipe(
  // In place of the default logger; the tracer's logger (log entries as span events) stays.
  Layer.provide(Logger.layer([capturing, Logger.tracerLogger])),
  Layer.provide(Layer.succeed(References.MinimumLogLevel, "All")),
  Layer.provide(ConfigProvider.layer(testConfig({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password })))
)

// Anything that bypasses the logger and writes to the console or the process's streams is kept as well.
const restore: Array<() => void> = []
beforeAll(() => {
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    const original = console[method]
    console[method] = (...args: Array<unknown>) => {
      captured.push(args.map((a) => (typeof a === "string" ? a : safeJson(a))).join(" "))
      original.apply(console, args)
    }
    restore.push(() => {
      console[method] = original
    })
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream)
    stream.write = ((chunk: unknown, ...rest: Array<never>) => {
      captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"))
      return original(chunk as string, ...rest)
    }) as typeof stream.write
    restore.push(() => {
      stream.write = original
    })
  }
})
afterAll(() => {
  for (const undo of restore) undo()
})

const safeJson = (value: unknown) => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** The captured lines that contain `secret` (e-mails compared without regard to case). */
const linesWith = (secret: string, ignoreCase = false) =>
  captured.filter((line) => (ignoreCase ? line.toLowerCase().includes(secret.toLowerCase()) : line.includes(secret)))

const expectNowhere = (what: string, secret: string, ignoreCase = false) => {
  const found = linesWith(secret, ignoreCase)
  expect(
    found.map((line) => line.slice(0, 500)),
    `${what} appears in the logs`
  ).toEqual([])
}

describe("log hygiene", () => {
  layer(Server, { timeout: "180 seconds", excludeTestServices: true })("a captured service", (it) => {
    it.effect(
      "never logs a customer's password, tokens or e-mail address, whatever they do",
      () =>
        Effect.gen(function* () {
          const api = yield* client
          const suffix = crypto.randomUUID().slice(0, 8)
          const email = `Grace.Hopper+${suffix}@Example.COM`
          const password = `s3cret-Pa55word-${suffix}`

          // A registration refused for a NUL character in the name, the password in the same body.
          const broken = yield* api.call("POST", "/v1/auth/register", {
            body: { email, password, name: "Grace\u0000Hopper", accountType: "customer" }
          })
          expect(broken.status).toBeGreaterThanOrEqual(400)

          // Registration and logins: success, wrong password, unknown address, wrong case.
          const registered = yield* api.call("POST", "/v1/auth/register", {
            body: { email, password, name: "Grace Hopper", accountType: "customer" }
          })
          expect(registered.status).toBe(201)
          const again = yield* api.call("POST", "/v1/auth/register", {
            body: { email: email.toLowerCase(), password, name: "Grace Again", accountType: "customer" }
          })
          expect(again.status).toBe(409)
          const login = yield* api.call("POST", "/v1/auth/login", { body: { email, password } })
          expect(login.status).toBe(200)
          const token: string = login.body.accessToken
          const refreshToken: string | undefined = login.body.refreshToken
          expect(
            (yield* api.call("POST", "/v1/auth/login", { body: { email, password: `${password}-wrong` } })).status
          ).toBe(401)
          expect(
            (yield* api.call("POST", "/v1/auth/login", { body: { email: `nobody-${email}`, password } })).status
          ).toBe(401)

          // Validation errors with the password (and the address) in the body.
          const invalid = [
            { email: "not-an-email", password, name: "Grace", accountType: "customer" },
            { email, password, name: "", accountType: "boss" },
            { email, password, name: "Grace", accountType: "customer", isAdmin: true },
            { email, password: 12345, name: "Grace", accountType: "customer" }
          ]
          for (const body of invalid) expect((yield* api.call("POST", "/v1/auth/register", { body })).status).toBe(400)
          expect(
            (yield* api.call("POST", "/v1/auth/login", { body: { email, password: password.repeat(30) } })).status
          ).toBe(400)
          expect(
            (yield* api.call("POST", "/v1/auth/login", { body: { email, password, extra: password } })).status
          ).toBe(400)
          expect(
            (yield* api.call("POST", "/v1/auth/login", { rawBody: `{"email":"${email}","password":"${password}"` }))
              .status
          ).toBe(400)
          // A body the service cannot read at all, with the credentials in it.
          const unreadable = yield* api.call("POST", "/v1/auth/login", {
            headers: { "content-type": "multipart/form-data; boundary=x" },
            rawBody: JSON.stringify({ email, password })
          })
          expect(unreadable.status).toBeGreaterThanOrEqual(400)

          // The token at work, and near-copies of it that must be refused.
          for (const path of ["/v1/me", "/v1/me/export", "/v1/orders", "/v1/events"])
            expect((yield* api.call("GET", path, { token })).status).toBe(200)
          expect((yield* api.call("GET", "/v1/me", { token: `${token}x` })).status).toBe(401)
          expect((yield* api.call("GET", "/v1/me", { headers: { authorization: `Basic ${token}` } })).status).toBe(401)
          expect(
            (yield* api.call("GET", `/v1/events/${crypto.randomUUID()}`, { token: `${token.slice(0, -4)}AAAA` })).status
          ).toBe(401)
          if (refreshToken !== undefined) {
            expect(
              (yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: `${refreshToken}x` } })).status
            ).toBe(401)
            const refreshed = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken } })
            expect(refreshed.status).toBe(200)
            const logout = yield* api.call("POST", "/v1/auth/logout", {
              body: { refreshToken: refreshed.body.refreshToken }
            })
            expect(logout.status).toBe(204)
          }

          // A purchase: holds, the checkout saga, the payment webhook, the confirmation mail, the organizer's webhooks.
          const sale = yield* publishedSale(api, { capacity: 10 })
          const order = yield* purchase(api, token, sale.eventId, sale.gaId, 1, PAID)
          expect(order.status).toBe("confirmed")
          // A wrong password where the account is erased, then the real erasure.
          expect((yield* api.call("DELETE", "/v1/me", { token, body: { password: `${password}-nope` } })).status).toBe(
            401
          )
          // Let the background work (relay, consumers, mails) log what it logs about this customer.
          yield* Effect.sleep("1500 millis")

          // The capture works: the request log lines name the customer by id.
          expect(linesWith(registered.body.id).length, "log lines about the customer").toBeGreaterThan(0)
          expectNowhere("the password", password)
          expectNowhere("the access token", token)
          expectNowhere("the access token's signature", token.split(".")[2] as string)
          if (refreshToken !== undefined) expectNowhere("the refresh token", refreshToken)
          expectNowhere("the e-mail address", email, true)
        }),
      120_000
    )

    it.effect("never logs the configured admin's password or e-mail address", () =>
      Effect.gen(function* () {
        const api = yield* client
        const login = yield* api.call("POST", "/v1/auth/login", {
          body: { email: ADMIN.email, password: ADMIN.password }
        })
        expect(login.status).toBe(200)
        expect(
          (yield* api.call("GET", "/v1/admin/dead-letters/notifications", { token: login.body.accessToken })).status
        ).toBe(200)
        expectNowhere("the admin's password", ADMIN.password)
        expectNowhere("the admin's e-mail address", ADMIN.email, true)
        expectNowhere("the admin's access token", login.body.accessToken)
      })
    )
  })
})

import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { type DeliveredMail, readDelivered } from "../contracts/MailerContract.ts"
import { directoryMailbox } from "../support/Mailbox.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

/*
 * A newcomer with no web front (no PUBLIC_BASE_URL): the mailed link points at the service itself, on the port it
 * really listens on (a random one here), and opening it confirms the address.
 */
const dataDir = mkdtempSync(join(tmpdir(), "goticket-link-"))
const mailbox = directoryMailbox(join(dataDir, "mail"))
const PASSWORD = "correct-horse-battery"

const newEmail = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`

/** The verification link mailed to `address` (waits for the mail). */
const linkMailedTo = (address: string) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 15_000
    for (;;) {
      const mails = (yield* mailbox.all).map((raw) => readDelivered(Buffer.from(raw, "utf8")))
      const mail = mails.find((m: DeliveredMail) => m.to.toLowerCase().includes(address))
      const link = mail === undefined ? null : /(https?:\/\/[^\s"<>]+\/verify-email\?token=[\w.%-]+)/.exec(mail.text)
      if (link?.[1] !== undefined) return link[1]
      if (Date.now() > deadline) return yield* Effect.die(new Error(`no link mailed to ${address}`))
      yield* Effect.sleep("25 millis")
    }
  })

const open = (url: string, accept?: string) =>
  Effect.promise(async () => {
    const response = await fetch(url, accept === undefined ? {} : { headers: { accept } })
    return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() }
  })

describe("the mailed verification link, without PUBLIC_BASE_URL", () => {
  layer(TestServerLive({ EMAIL_VERIFICATION: "required", GOTICKET_DATA_DIR: dataDir }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("", (it) => {
    const register = (email: string) =>
      Effect.flatMap(client, (api) =>
        api.call("POST", "/v1/auth/register", {
          body: { email, password: PASSWORD, name: "Newcomer", accountType: "organizer" }
        })
      )

    it.effect("points at the service's own address, and opened in a browser confirms the address with a page", () =>
      Effect.gen(function* () {
        const api = yield* client
        const email = newEmail("browser")
        expect((yield* register(email)).status).toBe(202)
        const link = yield* linkMailedTo(email)
        expect(link.startsWith(`${api.base}/verify-email?token=`)).toBe(true)

        const page = yield* open(link, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        expect(page.status).toBe(200)
        expect(page.type).toMatch(/^text\/html/)
        expect(page.text).toMatch(/confirmed/i)
        expect(page.text).not.toMatch(/accessToken|gtr_/)
        const login = yield* api.call("POST", "/v1/auth/login", { body: { email, password: PASSWORD } })
        expect(login.status).toBe(200)
        // A bare curl gets the page too.
        expect((yield* open(link)).type).toMatch(/^text\/html/)
      })
    )

    it.effect("asked for JSON, it answers like POST /v1/auth/verify-email: the login's tokens", () =>
      Effect.gen(function* () {
        const api = yield* client
        const email = newEmail("json")
        yield* register(email)
        const opened = yield* open(yield* linkMailedTo(email), "application/json")
        expect(opened.status).toBe(200)
        const tokens = JSON.parse(opened.text)
        expect(tokens).toMatchObject({ tokenType: "Bearer", accessToken: expect.any(String) })
        expect((yield* api.call("GET", "/v1/me", { token: tokens.accessToken })).body).toMatchObject({
          email,
          roles: ["organizer"]
        })
      })
    )

    it.effect("an altered link says so, as a page or as JSON, and confirms nothing", () =>
      Effect.gen(function* () {
        const api = yield* client
        const email = newEmail("altered")
        yield* register(email)
        const link = yield* linkMailedTo(email)
        const altered = link.replace(/token=ev1\.(.)/, (_, c: string) => `token=ev1.${c === "A" ? "B" : "A"}`)
        const page = yield* open(altered)
        expect(page.status).toBe(400)
        expect(page.type).toMatch(/^text\/html/)
        expect(page.text).toMatch(/did not work/i)
        const json = yield* open(altered, "application/json")
        expect(json.status).toBe(400)
        expect(JSON.parse(json.text)).toMatchObject({ _tag: "InvalidVerificationToken", reason: "invalid" })
        const login = yield* api.call("POST", "/v1/auth/login", { body: { email, password: PASSWORD } })
        expect(login.status).toBe(403)
      })
    )
  })
})

import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import type { Email } from "../../src/domain/accounts/User.ts"
import { UserRepository } from "../../src/domain/accounts/UserRepository.ts"
import { makeEmailVerificationTokens } from "../../src/services/accounts/EmailVerificationTokens.ts"
import { DEMO_ORGANIZER_EMAIL, DEMO_ORGANIZER_PASSWORD } from "../../src/services/seed/DemoSeed.ts"
import { type DeliveredMail, readDelivered } from "../contracts/MailerContract.ts"
import { directoryMailbox } from "../support/Mailbox.ts"
import { client, TEST_JWT_SECRET, TestServerLive } from "../support/TestServer.ts"

// The test server has no SMTP_URL: the mails are .eml files in GOTICKET_DATA_DIR/mail.
const dataDir = mkdtempSync(join(tmpdir(), "goticket-verification-"))
const mailbox = directoryMailbox(join(dataDir, "mail"))
const PUBLIC_BASE_URL = "https://shop.example.test"
const ADMIN = { email: "verification-admin@example.com", password: "verification-admin-password" }
const PASSWORD = "correct-horse-battery"

const newEmail = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`

/** The mails delivered so far to `address`, once there are at least `count` of them. */
const mailsTo = (address: string, count: number) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 15_000
    for (;;) {
      const all = (yield* mailbox.all).map((raw) => readDelivered(Buffer.from(raw, "utf8")))
      const mine = all.filter((mail) => mail.to.toLowerCase().includes(address.toLowerCase()))
      if (mine.length >= count) return mine
      if (Date.now() > deadline)
        return yield* Effect.die(new Error(`${mine.length} mail(s) to ${address}, not ${count}`))
      yield* Effect.sleep("25 millis")
    }
  })

const LINK = /(https?:\/\/[^\s"<>]+\/verify-email\?token=([A-Za-z0-9._%-]+))/

/** The verification link and its token in a mail, if it has one. */
const linkIn = (mail: DeliveredMail) => {
  const match = LINK.exec(mail.text)
  return match === null ? undefined : { url: match[1] ?? "", token: decodeURIComponent(match[2] ?? "") }
}

describe("email verification over HTTP (EMAIL_VERIFICATION=required)", () => {
  layer(
    TestServerLive({
      EMAIL_VERIFICATION: "required",
      GOTICKET_DATA_DIR: dataDir,
      PUBLIC_BASE_URL,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      SEED_DEMO: "true"
    }),
    { timeout: "120 seconds", excludeTestServices: true }
  )("", (it) => {
    it.effect("register answers the same for a new and a known address, and creates nothing for the known one", () =>
      Effect.gen(function* () {
        const api = yield* client
        const users = yield* UserRepository
        const known = newEmail("known")
        const first = yield* api.call("POST", "/v1/auth/register", {
          body: { email: known, password: PASSWORD, name: "First Owner", accountType: "customer" }
        })
        // Its owner confirmed it: from now on the address is theirs for good.
        const registeredUser = Option.getOrThrow(yield* users.findByEmail(known as Email)).user
        yield* users.markEmailVerified(registeredUser.id, new Date())
        const before = Option.getOrThrow(yield* users.findByEmail(known as Email))

        const again = yield* api.call("POST", "/v1/auth/register", {
          body: { email: known.toUpperCase(), password: "another-password", name: "Intruder", accountType: "organizer" }
        })
        const fresh = yield* api.call("POST", "/v1/auth/register", {
          body: { email: newEmail("fresh"), password: PASSWORD, name: "Fresh", accountType: "customer" }
        })

        expect(first.status).toBe(202)
        expect(first.body).toEqual({ status: "verification_sent", message: expect.stringContaining("inbox") })
        for (const reply of [again, fresh]) {
          expect(reply.status).toBe(first.status)
          expect(reply.body).toEqual(first.body)
        }
        expect(JSON.stringify(again.body)).not.toMatch(/already|exists/i)

        const after = Option.getOrThrow(yield* users.findByEmail(known as Email))
        expect(after.user).toEqual(before.user)
        expect(after.passwordHash).toBe(before.passwordHash)
        expect(after.user).toMatchObject({ name: "First Owner", accountType: "customer" })
      })
    )

    it.effect("an address someone else registered first is its owner's once they register it and follow the link", () =>
      Effect.gen(function* () {
        const api = yield* client
        const email = newEmail("squatted")
        // A squatter registers the victim's address with a password of their own; the link goes to the victim.
        const squat = yield* api.call("POST", "/v1/auth/register", {
          body: { email, password: "the-squatters-password", name: "Squatter", accountType: "organizer" }
        })
        expect(squat.status).toBe(202)
        yield* mailsTo(email, 1)
        // The owner registers it: same answer as ever, and a fresh link.
        const owner = yield* api.call("POST", "/v1/auth/register", {
          body: { email, password: PASSWORD, name: "Owner", accountType: "customer" }
        })
        expect(owner.body).toEqual(squat.body)
        const mails = yield* mailsTo(email, 2)
        const link = linkIn(mails.at(-1) as DeliveredMail)
        expect(link).toBeDefined()
        expect((yield* api.call("POST", "/v1/auth/verify-email", { body: { token: link?.token } })).status).toBe(200)

        const mine = yield* api.call("POST", "/v1/auth/login", { body: { email, password: PASSWORD } })
        expect(mine.status).toBe(200)
        const me = yield* api.call("GET", "/v1/me", { token: mine.body.accessToken })
        expect(me.body).toMatchObject({ name: "Owner", roles: ["customer"] })
        const squatter = yield* api.call("POST", "/v1/auth/login", {
          body: { email, password: "the-squatters-password" }
        })
        expect(squatter.status).toBe(401)
      })
    )

    it.effect("nobody can flood an inbox through register and resend: three mails an hour per address", () =>
      Effect.gen(function* () {
        const api = yield* client
        const victim = newEmail("flooded")
        const answers = [] as Array<number>
        for (let i = 0; i < 3; i++)
          answers.push(
            (yield* api.call("POST", "/v1/auth/register", {
              body: { email: victim, password: PASSWORD, name: "Someone", accountType: "customer" }
            })).status
          )
        for (let i = 0; i < 3; i++)
          answers.push((yield* api.call("POST", "/v1/auth/resend-verification", { body: { email: victim } })).status)
        // The answers do not change (that would tell something); the mails stop.
        expect(answers).toEqual([202, 202, 202, 202, 202, 202])
        yield* mailsTo(victim, 3)
        yield* Effect.sleep("500 millis")
        expect(yield* mailsTo(victim, 3)).toHaveLength(3)
      })
    )

    it.effect("the mail to a known address says it has an account and carries no token", () =>
      Effect.gen(function* () {
        const api = yield* client
        const email = newEmail("owner")
        yield* api.call("POST", "/v1/auth/register", {
          body: { email, password: PASSWORD, name: "Owner", accountType: "customer" }
        })
        const [confirmation] = yield* mailsTo(email, 1)
        const link = linkIn(confirmation as DeliveredMail)
        expect((yield* api.call("POST", "/v1/auth/verify-email", { body: { token: link?.token } })).status).toBe(200)
        yield* api.call("POST", "/v1/auth/register", {
          body: { email, password: "someone-elses-password", name: "Click evil.example", accountType: "customer" }
        })
        const mails = yield* mailsTo(email, 2)
        const notice = mails.find((mail) => linkIn(mail) === undefined)
        expect(notice).toBeDefined()
        expect(notice?.subject).toMatch(/tried to register/i)
        expect(notice?.text).toContain("already has an account")
        expect(notice?.text).toMatch(/log in/i)
        expect(`${notice?.text}${notice?.html}`).not.toMatch(/token|ev1\.|verify-email/)
        // What the registrant typed is not shown to the owner.
        expect(`${notice?.text}${notice?.html}`).not.toContain("evil.example")
      })
    )

    it.effect("a new account logs in only once verified: 403 with the right password, 401 with a wrong one", () =>
      Effect.gen(function* () {
        const api = yield* client
        const email = newEmail("new")
        const registered = yield* api.call("POST", "/v1/auth/register", {
          body: { email, password: PASSWORD, name: "Ada", accountType: "organizer" }
        })
        expect(registered.status).toBe(202)

        const [mail] = yield* mailsTo(email, 1)
        expect(mail?.subject).toMatch(/confirm your email/i)
        const link = linkIn(mail as DeliveredMail)
        expect(link?.url.startsWith(`${PUBLIC_BASE_URL}/verify-email?token=`)).toBe(true)
        expect(mail?.html).toContain("/verify-email?token=")
        expect(`${mail?.text}${mail?.html}`).not.toContain("Ada")

        const unverified = yield* api.call("POST", "/v1/auth/login", { body: { email, password: PASSWORD } })
        expect(unverified.status).toBe(403)
        expect(unverified.body).toMatchObject({ _tag: "EmailNotVerified", message: expect.stringMatching(/confirm/i) })
        const wrong = yield* api.call("POST", "/v1/auth/login", { body: { email, password: "not-the-password" } })
        const unknown = yield* api.call("POST", "/v1/auth/login", {
          body: { email: newEmail("nobody"), password: "not-the-password" }
        })
        expect(wrong.status).toBe(401)
        expect(wrong.body).toEqual(unknown.body)

        const verified = yield* api.call("POST", "/v1/auth/verify-email", { body: { token: link?.token } })
        expect(verified.status).toBe(200)
        expect(verified.body).toMatchObject({ tokenType: "Bearer", expiresIn: 900 })
        expect(typeof verified.body.refreshToken).toBe("string")
        const me = yield* api.call("GET", "/v1/me", { token: verified.body.accessToken })
        expect(me.status).toBe(200)
        expect(me.body).toMatchObject({ email, roles: ["organizer"] })

        const login = yield* api.call("POST", "/v1/auth/login", { body: { email, password: PASSWORD } })
        expect(login.status).toBe(200)
        expect(login.body.tokenType).toBe("Bearer")

        // The link again (a second click): the same answer, the account stays verified.
        const twice = yield* api.call("POST", "/v1/auth/verify-email", { body: { token: link?.token } })
        expect(twice.status).toBe(200)
        expect(typeof twice.body.accessToken).toBe("string")
      })
    )

    it.effect("tampered, foreign, expired and malformed tokens are refused and verify nothing", () =>
      Effect.gen(function* () {
        const api = yield* client
        const users = yield* UserRepository
        const email = newEmail("tamper")
        yield* api.call("POST", "/v1/auth/register", {
          body: { email, password: PASSWORD, name: "Tam", accountType: "customer" }
        })
        const token = linkIn((yield* mailsTo(email, 1))[0] as DeliveredMail)?.token ?? ""
        const user = Option.getOrThrow(yield* users.findByEmail(email as Email)).user

        const last = token.at(-2) === "A" ? "B" : "A"
        const tampered = `${token.slice(0, -2)}${last}${token.at(-1)}`
        // The JWT_SECRET of testConfig: a token made as the server makes them, but 49 hours ago.
        const secret = Redacted.make(TEST_JWT_SECRET)
        const expired = makeEmailVerificationTokens(secret, 48).issue(
          user.id,
          user.email,
          new Date(Date.now() - 49 * 3600 * 1000)
        ).token
        const foreign = makeEmailVerificationTokens(
          Redacted.make("some-other-secret-some-other-secret-0000"),
          48
        ).issue(user.id, user.email, new Date()).token

        for (const [bad, reason] of [
          [tampered, "invalid"],
          [foreign, "invalid"],
          ["not-a-token", "invalid"],
          [expired, "expired"]
        ] as const) {
          const reply = yield* api.call("POST", "/v1/auth/verify-email", { body: { token: bad } })
          expect(reply.status, bad).toBe(400)
          expect(reply.body).toMatchObject({ _tag: "InvalidVerificationToken", reason })
          expect(reply.body.message).toMatch(reason === "expired" ? /expired/ : /invalid/)
        }
        const tooLong = yield* api.call("POST", "/v1/auth/verify-email", { body: { token: "x".repeat(500) } })
        expect(tooLong.status).toBe(400)

        const login = yield* api.call("POST", "/v1/auth/login", { body: { email, password: PASSWORD } })
        expect(login.status).toBe(403)
        expect(Option.isNone(Option.getOrThrow(yield* users.findById(user.id)).emailVerifiedAt)).toBe(true)
      })
    )

    it.effect("resend-verification answers the same for unknown, verified and unverified addresses", () =>
      Effect.gen(function* () {
        const api = yield* client
        const unverified = newEmail("pending")
        const verified = newEmail("done")
        const unknown = newEmail("unknown")
        for (const email of [unverified, verified])
          yield* api.call("POST", "/v1/auth/register", {
            body: { email, password: PASSWORD, name: "R", accountType: "customer" }
          })
        const doneToken = linkIn((yield* mailsTo(verified, 1))[0] as DeliveredMail)?.token
        expect((yield* api.call("POST", "/v1/auth/verify-email", { body: { token: doneToken } })).status).toBe(200)
        yield* mailsTo(unverified, 1)

        const replies = []
        for (const email of [unknown, verified, unverified])
          replies.push(yield* api.call("POST", "/v1/auth/resend-verification", { body: { email } }))
        for (const reply of replies) {
          expect(reply.status).toBe(202)
          expect(reply.body).toEqual(replies[0]?.body)
        }
        expect(replies[0]?.body.status).toBe("verification_sent")

        // Only the unverified account gets a new link, and it works. (Whether to send is decided before the answer:
        // by now nothing more can come to the others.)
        const pending = yield* mailsTo(unverified, 2)
        expect(pending.every((mail) => linkIn(mail) !== undefined)).toBe(true)
        expect((yield* mailsTo(verified, 1)).length).toBe(1)
        expect((yield* mailsTo(unknown, 0)).length).toBe(0)
        const resent = linkIn(pending[pending.length - 1] as DeliveredMail)?.token
        const ok = yield* api.call("POST", "/v1/auth/verify-email", { body: { token: resent } })
        expect(ok.status).toBe(200)
      })
    )

    it.effect("the configured admin and the demo organizer are verified from the start", () =>
      Effect.gen(function* () {
        const api = yield* client
        expect((yield* api.call("POST", "/v1/auth/login", { body: ADMIN })).status).toBe(200)
        const demo = yield* api.call("POST", "/v1/auth/login", {
          body: { email: DEMO_ORGANIZER_EMAIL, password: DEMO_ORGANIZER_PASSWORD }
        })
        expect(demo.status).toBe(200)
      })
    )
  })
})

import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { AuditLog } from "../../src/domain/audit/AuditLog.ts"
import { totpCodeAt } from "../../src/services/accounts/Totp.ts"
import { type DeliveredMail, readDelivered } from "../contracts/MailerContract.ts"
import { directoryMailbox } from "../support/Mailbox.ts"
import { client, TestServerLive } from "../support/TestServer.ts"

// The test server has no SMTP_URL: the mails are .eml files in GOTICKET_DATA_DIR/mail.
const dataDir = mkdtempSync(join(tmpdir(), "goticket-account-security-"))
const mailbox = directoryMailbox(join(dataDir, "mail"))
const PUBLIC_BASE_URL = "https://shop.example.test"
const NEW_PASSWORD = "a-brand-new-password"

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

/** The token of the link to `path` in a mail. */
const tokenIn = (mail: DeliveredMail | undefined, path: string) => {
  const match = new RegExp(`${PUBLIC_BASE_URL}/${path}\\?token=([A-Za-z0-9_%-]+)`).exec(mail?.text ?? "")
  return match === null ? undefined : decodeURIComponent(match[1] ?? "")
}

const actionsOf = (userId: string) =>
  Effect.flatMap(AuditLog, (audit) => audit.search({ resourceId: userId }, { limit: 100 })).pipe(
    Effect.map((page) => page.items.map((record) => `${record.action}:${record.outcome}`))
  )

describe("account recovery and security settings over HTTP", () => {
  layer(TestServerLive({ GOTICKET_DATA_DIR: dataDir, PUBLIC_BASE_URL }), {
    timeout: "120 seconds",
    excludeTestServices: true
  })("", (it) => {
    it.effect("a reset answers the same for any address; its link sets the password once and ends every session", () =>
      Effect.gen(function* () {
        const api = yield* client
        const ada = yield* api.account("customer", "reset")
        const nobody = `nobody-${crypto.randomUUID().slice(0, 8)}@example.com`
        const known = yield* api.call("POST", "/v1/auth/password-reset", { body: { email: ada.email.toUpperCase() } })
        const unknown = yield* api.call("POST", "/v1/auth/password-reset", { body: { email: nobody } })
        expect(known.status).toBe(202)
        expect(unknown.status).toBe(known.status)
        expect(unknown.body).toEqual(known.body)
        expect(known.body).toMatchObject({ status: "reset_requested" })

        const token = tokenIn((yield* mailsTo(ada.email, 1))[0], "reset-password")
        expect(token).toMatch(/^gts_/)
        const tooShort = yield* api.call("POST", "/v1/auth/password-reset/confirm", {
          body: { token, newPassword: "short" }
        })
        expect(tooShort.status).toBe(400)
        const reset = yield* api.call("POST", "/v1/auth/password-reset/confirm", {
          body: { token, newPassword: NEW_PASSWORD }
        })
        expect(reset.status).toBe(204)
        const again = yield* api.call("POST", "/v1/auth/password-reset/confirm", {
          body: { token, newPassword: "yet-another-password" }
        })
        expect(again.status).toBe(400)
        expect(again.body).toMatchObject({ _tag: "SecurityTokenRejected", reason: "used" })
        expect(again.body.message).toMatch(/already used/)

        // Every session ended; the new password works, the old one no longer.
        const refreshed = yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: ada.refreshToken } })
        expect(refreshed.status).toBe(401)
        const old = yield* api.call("POST", "/v1/auth/login", { body: { email: ada.email, password: ada.password } })
        expect(old.status).toBe(401)
        const fresh = yield* api.call("POST", "/v1/auth/login", { body: { email: ada.email, password: NEW_PASSWORD } })
        expect(fresh.status).toBe(200)
        // The owner is told; the address without an account got nothing.
        const mails = yield* mailsTo(ada.email, 2)
        expect(mails.map((mail) => mail.subject)).toContain("Your GoTicket password was changed")
        expect((yield* mailbox.all).some((raw) => raw.includes(nobody))).toBe(false)
        const actions = yield* actionsOf(ada.id)
        expect(actions).toEqual(
          expect.arrayContaining(["auth.password_reset_requested:success", "account.password_reset:success"])
        )
      })
    )

    it.effect("a made-up or altered reset token changes nothing", () =>
      Effect.gen(function* () {
        const api = yield* client
        for (const token of [`gts_${"A".repeat(43)}`, "not-a-token", `gts_${"A".repeat(42)}!`]) {
          const reply = yield* api.call("POST", "/v1/auth/password-reset/confirm", {
            body: { token, newPassword: NEW_PASSWORD }
          })
          expect(reply.status).toBe(400)
          expect(reply.body).toMatchObject({ _tag: "SecurityTokenRejected", reason: "invalid" })
        }
      })
    )

    it.effect("changing the password needs the current one and ends the other sessions", () =>
      Effect.gen(function* () {
        const api = yield* client
        const ada = yield* api.account("customer", "change")
        const wrong = yield* api.call("POST", "/v1/me/password", {
          token: ada.token,
          body: { currentPassword: "not-my-password", newPassword: NEW_PASSWORD }
        })
        expect(wrong.status).toBe(401)
        expect(wrong.body).toMatchObject({ _tag: "InvalidCredentials" })
        const changed = yield* api.call("POST", "/v1/me/password", {
          token: ada.token,
          body: { currentPassword: ada.password, newPassword: NEW_PASSWORD }
        })
        expect(changed.status).toBe(200)
        expect(changed.body.refreshToken).toMatch(/^gtr_/)
        expect((yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: ada.refreshToken } })).status).toBe(
          401
        )
        expect(
          (yield* api.call("POST", "/v1/auth/refresh", { body: { refreshToken: changed.body.refreshToken } })).status
        ).toBe(200)
        expect(
          (yield* api.call("POST", "/v1/auth/login", { body: { email: ada.email, password: NEW_PASSWORD } })).status
        ).toBe(200)
        expect(yield* actionsOf(ada.id)).toEqual(
          expect.arrayContaining(["account.password_change_refused:failed", "account.password_changed:success"])
        )
      })
    )

    it.effect("a new email address counts only once the link mailed to it is followed; the old one is told", () =>
      Effect.gen(function* () {
        const api = yield* client
        const ada = yield* api.account("customer", "mover")
        const taken = yield* api.account("customer", "taken")
        const newEmail = `moved-${crypto.randomUUID().slice(0, 8)}@example.com`
        const asked = yield* api.call("POST", "/v1/me/email", {
          token: ada.token,
          body: { newEmail, password: ada.password }
        })
        expect(asked.status).toBe(202)
        const onTaken = yield* api.call("POST", "/v1/me/email", {
          token: ada.token,
          body: { newEmail: taken.email, password: ada.password }
        })
        expect(onTaken.status).toBe(202)
        expect(onTaken.body).toEqual(asked.body)
        const own = yield* api.call("POST", "/v1/me/email", {
          token: ada.token,
          body: { newEmail: ada.email, password: ada.password }
        })
        expect(own.status).toBe(422)

        const link = (yield* mailsTo(newEmail, 1))[0]
        const token = tokenIn(link, "confirm-email")
        expect(token).toMatch(/^gts_/)
        const notices = yield* mailsTo(ada.email, 2)
        expect(notices.every((mail) => tokenIn(mail, "confirm-email") === undefined)).toBe(true)
        expect(tokenIn((yield* mailsTo(taken.email, 1))[0], "confirm-email")).toBeUndefined()
        // Not moved yet. (The second request withdrew nothing for the free address: only a link was sent for it.)
        expect((yield* api.call("GET", "/v1/me", { token: ada.token })).body.email).toBe(ada.email)

        const confirmed = yield* api.call("POST", "/v1/auth/email-change/confirm", { body: { token } })
        // The second request (to a taken address) withdrew the first link: asking again is how to get a fresh one.
        expect(confirmed.status).toBe(400)
        expect(confirmed.body).toMatchObject({ reason: "invalid" })
        yield* api.call("POST", "/v1/me/email", { token: ada.token, body: { newEmail, password: ada.password } })
        const second = (yield* mailsTo(newEmail, 2))
          .map((mail) => tokenIn(mail, "confirm-email"))
          .find((t) => t !== token)
        const moved = yield* api.call("POST", "/v1/auth/email-change/confirm", { body: { token: second } })
        expect(moved.status).toBe(200)
        expect(moved.body).toMatchObject({ id: ada.id, email: newEmail })
        expect(
          (yield* api.call("POST", "/v1/auth/login", { body: { email: newEmail, password: ada.password } })).status
        ).toBe(200)
        expect(
          (yield* api.call("POST", "/v1/auth/login", { body: { email: ada.email, password: ada.password } })).status
        ).toBe(401)
        expect(yield* actionsOf(ada.id)).toEqual(expect.arrayContaining(["account.email_changed:success"]))
      })
    )

    it.effect("two-factor: enrol with a QR code, confirm, then the login asks for a code; each code works once", () =>
      Effect.gen(function* () {
        const api = yield* client
        const customer = yield* api.account("customer", "no-2fa")
        const refused = yield* api.call("POST", "/v1/me/two-factor/enrolment", {
          token: customer.token,
          body: { password: customer.password }
        })
        expect(refused.status).toBe(403)

        const org = yield* api.account("organizer", "2fa")
        const enrolment = yield* api.call("POST", "/v1/me/two-factor/enrolment", {
          token: org.token,
          body: { password: org.password }
        })
        expect(enrolment.status).toBe(201)
        expect(enrolment.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/GoTicket:.+secret=[A-Z2-7]+/)
        expect(enrolment.body.qrCodeDataUrl).toMatch(/^data:image\/png;base64,iVBORw0KGgo/)
        const secret = Redacted.make(enrolment.body.secret as string)
        const wrong = yield* api.call("POST", "/v1/me/two-factor/enrolment/confirm", {
          token: org.token,
          body: { code: "000000" === totpCodeAt(secret, new Date()) ? "111111" : "000000" }
        })
        expect(wrong.status).toBe(422)
        const confirmed = yield* api.call("POST", "/v1/me/two-factor/enrolment/confirm", {
          token: org.token,
          body: { code: totpCodeAt(secret, new Date()) }
        })
        expect(confirmed.status).toBe(200)
        const recoveryCodes = confirmed.body.recoveryCodes as ReadonlyArray<string>
        expect(recoveryCodes).toHaveLength(10)
        expect(new Set(recoveryCodes).size).toBe(10)
        const status = yield* api.call("GET", "/v1/me/two-factor", { token: org.token })
        expect(status.body).toMatchObject({ available: true, enabled: true, recoveryCodesLeft: 10 })

        const login = () => api.call("POST", "/v1/auth/login", { body: { email: org.email, password: org.password } })
        const challenged = yield* login()
        expect(challenged.status).toBe(202)
        expect(challenged.body).toMatchObject({ status: "two_factor_required", expiresIn: 300 })
        expect(challenged.body.accessToken).toBeUndefined()
        const second = (challengeToken: string, code: string) =>
          api.call("POST", "/v1/auth/login/two-factor", { body: { challengeToken, code } })
        const typo = yield* second(challenged.body.challengeToken, "12345")
        expect(typo.status).toBe(401)
        expect(typo.body).toMatchObject({ _tag: "InvalidTwoFactorCode" })
        // A typo does not cost the challenge; a recovery code works, once.
        const byRecovery = yield* second(challenged.body.challengeToken, (recoveryCodes[0] as string).toUpperCase())
        expect(byRecovery.status).toBe(200)
        expect(byRecovery.body.accessToken).toEqual(expect.any(String))
        expect((yield* second(challenged.body.challengeToken, recoveryCodes[1] as string)).status).toBe(400)
        const next = yield* login()
        expect((yield* second(next.body.challengeToken, recoveryCodes[0] as string)).status).toBe(401)
        // The app's next code (the one of enrolment was used): works once.
        const code = totpCodeAt(secret, new Date(Date.now() + 30_000))
        expect((yield* second(next.body.challengeToken, code)).status).toBe(200)
        const replay = yield* login()
        expect((yield* second(replay.body.challengeToken, code)).status).toBe(401)

        // Off again: password and a code.
        const noCode = yield* api.call("DELETE", "/v1/me/two-factor", {
          token: org.token,
          body: { password: org.password, code: "99999" }
        })
        expect(noCode.status).toBe(422)
        const off = yield* api.call("DELETE", "/v1/me/two-factor", {
          token: org.token,
          body: { password: org.password, code: recoveryCodes[2] }
        })
        expect(off.status).toBe(204)
        const plain = yield* login()
        expect(plain.status).toBe(200)
        expect(plain.body.accessToken).toEqual(expect.any(String))
        expect(yield* actionsOf(org.id)).toEqual(
          expect.arrayContaining([
            "account.two_factor_enrolment_started:success",
            "account.two_factor_enabled:success",
            "auth.login_challenged:success",
            "auth.two_factor_failed:failed",
            "account.two_factor_disabled:success"
          ])
        )
      })
    )

    it.effect("wrong two-factor codes count as failed logins: after five the account is paused, password or not", () =>
      Effect.gen(function* () {
        const api = yield* client
        const org = yield* api.account("organizer", "guessed")
        const enrolment = yield* api.call("POST", "/v1/me/two-factor/enrolment", {
          token: org.token,
          body: { password: org.password }
        })
        const secret = Redacted.make(enrolment.body.secret as string)
        yield* api.call("POST", "/v1/me/two-factor/enrolment/confirm", {
          token: org.token,
          body: { code: totpCodeAt(secret, new Date()) }
        })
        const challenged = yield* api.call("POST", "/v1/auth/login", {
          body: { email: org.email, password: org.password }
        })
        expect(challenged.status).toBe(202)
        const right = () => totpCodeAt(secret, new Date(Date.now() + 30_000))
        const wrongCode = () => (right() === "123456" ? "654321" : "123456")
        const statuses = [] as Array<number>
        for (let i = 0; i < 5; i++)
          statuses.push(
            (yield* api.call("POST", "/v1/auth/login/two-factor", {
              body: { challengeToken: challenged.body.challengeToken, code: wrongCode() }
            })).status
          )
        expect(statuses).toEqual([401, 401, 401, 401, 401])
        const paused = yield* api.call("POST", "/v1/auth/login/two-factor", {
          body: { challengeToken: challenged.body.challengeToken, code: right() }
        })
        expect(paused.status).toBe(429)
        expect(Number(paused.headers.get("retry-after"))).toBeGreaterThan(0)
        // The right password does not buy a fresh allowance of guesses.
        const again = yield* api.call("POST", "/v1/auth/login", { body: { email: org.email, password: org.password } })
        expect(again.status).toBe(429)
      })
    )
  })
})

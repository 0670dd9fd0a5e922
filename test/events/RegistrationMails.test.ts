import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, References } from "effect"
import { SqlClient } from "effect/sql"
import { applicationOver } from "../../src/Application.ts"
import { readDelivered } from "../contracts/MailerContract.ts"
import { directoryMailbox } from "../support/Mailbox.ts"
import { TestDatabaseLive } from "../support/TestDatabase.ts"
import { client, testConfig } from "../support/TestServer.ts"

/*
 * A registration's confirmation mail goes out from the outbox. A service that answers the registration and stops
 * before mailing it (here: an instance without the background work, ROLE=api, closed right after the answer) leaves
 * the AccountRegistered event in the outbox, with the account; the next instance that relays the outbox mails it,
 * once, however often the event is delivered.
 */

const dataDir = mkdtempSync(join(tmpdir(), "goticket-registration-mails-"))
const mailbox = directoryMailbox(join(dataDir, "mail"))
const PASSWORD = "correct-horse-battery"

/** One instance of the service over the test database (its pools, HTTP server and, unless ROLE=api, its workers). */
const instance = (role: "api" | "all") =>
  Layer.unwrap(
    Effect.map(Effect.context<Layer.Success<typeof TestDatabaseLive>>(), (database) =>
      applicationOver(Layer.succeedContext(database)).pipe(
        Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn")),
        Layer.provide(
          ConfigProvider.layer(
            testConfig({
              ROLE: role,
              EMAIL_VERIFICATION: "required",
              GOTICKET_DATA_DIR: dataDir,
              CONSUMER_RETRY_BASE_MS: "20"
            })
          )
        )
      )
    )
  )

const mailsTo = (address: string) =>
  Effect.map(mailbox.all, (all) =>
    all.map((raw) => readDelivered(Buffer.from(raw, "utf8"))).filter((mail) => mail.to.includes(address))
  )

const untilMailed = (address: string) =>
  Effect.gen(function* () {
    // Generous: a loaded machine starts the second instance's relay and consumers slowly.
    for (let i = 0; i < 3000; i++) {
      const mails = yield* mailsTo(address)
      if (mails.length > 0) return mails
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.die(new Error(`no mail to ${address} within 60 s`))
  })

layer(TestDatabaseLive, { timeout: "180 seconds", excludeTestServices: true })(
  "registration mails from the outbox",
  (it) => {
    it.effect(
      "a registration answered by a process that stopped before mailing is mailed by the next one, once, even when its event is delivered again",
      () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const email = `outbox-${crypto.randomUUID().slice(0, 8)}@example.com`

          // The first instance answers the registration and stops, nothing mailed.
          const answered = yield* Effect.scoped(
            Effect.flatMap(Layer.build(instance("api")), (context) =>
              Effect.provide(
                Effect.flatMap(client, (api) =>
                  api.call("POST", "/v1/auth/register", {
                    body: { email, password: PASSWORD, name: "Outbox Reader", accountType: "customer" }
                  })
                ),
                context
              )
            )
          )
          expect(answered.status).toBe(202)
          expect(yield* mailsTo(email)).toEqual([])
          const events = yield* sql<{ id: string; payload: unknown; sentAt: Date | null }>`
            SELECT o.id, o.payload, o.sent_at FROM outbox o JOIN users u ON u.id = o.aggregate_id
            WHERE o.type = 'AccountRegistered' AND u.email = ${email}`
          expect(events).toHaveLength(1)
          // The account's id: nothing that would open it, nothing personal.
          expect(Object.keys(events[0]?.payload as object)).toEqual(["userId"])
          expect(events[0]?.sentAt).toBeNull()

          // The next instance, with the background work, mails it.
          yield* Effect.scoped(
            Effect.gen(function* () {
              const context = yield* Layer.build(instance("all"))
              const api = yield* Effect.provide(client, context)
              const [mail] = yield* untilMailed(email)
              expect(mail?.subject).toBe("Confirm your email address for GoTicket")
              expect(mail?.messageId).toContain(events[0]?.id)
              const token = /verify-email\?token=([A-Za-z0-9._%-]+)/.exec(mail?.text ?? "")?.[1]
              expect(token).toBeDefined()
              const verified = yield* api.call("POST", "/v1/auth/verify-email", {
                body: { token: decodeURIComponent(token ?? "") }
              })
              expect(verified.status).toBe(200)

              // Delivered again (as after a relay that stopped before recording its send): no second mail.
              const eventId = events[0]?.id ?? ""
              const handled = sql<{ n: number }>`
                SELECT count(*)::int AS n FROM inbox WHERE consumer = 'registration-mails' AND event_id = ${eventId}`
              expect((yield* handled)[0]?.n).toBe(1)
              const duplicates = Effect.map(api.call("GET", "/metrics"), (reply) =>
                Number(
                  /^goticket_events_duplicate_total\{[^}]*consumer="registration-mails"[^}]*\} (\d+)$/m.exec(
                    String(reply.body)
                  )?.[1] ?? 0
                )
              )
              const before = yield* duplicates
              yield* sql`UPDATE outbox SET sent_at = NULL WHERE id = ${eventId}`
              // The consumer got it again, and its inbox dropped it.
              for (let i = 0; i < 3000 && (yield* duplicates) === before; i++) yield* Effect.sleep("20 millis")
              expect((yield* duplicates) - before).toBe(1)
              expect(yield* mailsTo(email)).toHaveLength(1)
              expect((yield* handled)[0]?.n).toBe(1)
            })
          )
        }),
      180_000
    )

    it.effect(
      "an unverified account taken over by a new registration is announced again and mailed again; a verified one is not",
      () =>
        Effect.scoped(
          Effect.gen(function* () {
            const sql = yield* SqlClient.SqlClient
            const api = yield* Effect.provide(client, yield* Layer.build(instance("all")))
            const register = (email: string, name: string) =>
              api.call("POST", "/v1/auth/register", {
                body: { email, password: PASSWORD, name, accountType: "customer" }
              })
            const announced = (email: string) =>
              Effect.map(
                sql<{ n: number }>`SELECT count(*)::int AS n FROM outbox o JOIN users u ON u.id = o.aggregate_id
                  WHERE o.type = 'AccountRegistered' AND u.email = ${email}`,
                ([row]) => row?.n ?? 0
              )
            const squatted = `squatted-${crypto.randomUUID().slice(0, 8)}@example.com`
            expect((yield* register(squatted, "Squatter")).status).toBe(202)
            yield* untilMailed(squatted)
            expect((yield* register(squatted, "Owner")).status).toBe(202)
            expect(yield* announced(squatted)).toBe(2)
            for (let i = 0; i < 3000 && (yield* mailsTo(squatted)).length < 2; i++) yield* Effect.sleep("20 millis")
            const mails = yield* mailsTo(squatted)
            expect(mails).toHaveLength(2)
            expect(new Set(mails.map((mail) => mail.messageId)).size).toBe(2)

            // Confirmed: registering the address again changes nothing and announces nothing (its owner is told).
            const [user] = yield* sql<{ id: string }>`SELECT id FROM users WHERE email = ${squatted}`
            yield* sql`UPDATE users SET email_verified_at = now() WHERE id = ${user?.id ?? ""}`
            expect((yield* register(squatted, "Intruder")).status).toBe(202)
            expect(yield* announced(squatted)).toBe(2)
          })
        ),
      120_000
    )
  }
)

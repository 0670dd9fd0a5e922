import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { createServer, type Server, type Socket } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect, Layer, Logger, Result, Schedule } from "effect"
import {
  aMail,
  MailerHarness,
  mailerContract,
  parseMime,
  readDelivered
} from "../../../test/contracts/MailerContract.ts"
import { SmtpSink, startSmtpSink } from "../../../test/support/SmtpSink.ts"
import { Mailer, MailNotSent } from "../../domain/notifications/Mailer.ts"
import { emlFileName, MailerFile } from "./MailerFile.ts"
import { MailerLive } from "./MailerLive.ts"
import { MailerMemory, MemoryMailbox, makeMailerMemory } from "./MailerMemory.ts"
import { MailerSmtp } from "./MailerSmtp.ts"

// ---------------------------------------------------------------------------------------------------------------
// Helpers: a port nothing listens on, a server that accepts and never speaks, a temporary directory.
// ---------------------------------------------------------------------------------------------------------------

const closeServer = (server: Server) =>
  Effect.callback<void>((resume) => {
    server.close(() => resume(Effect.void))
  })

/** A loopback port that was free a moment ago and has nothing listening on it now. */
const closedPort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 1
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** A TCP server that accepts connections and never sends the SMTP greeting. */
const silentServer = Effect.acquireRelease(
  Effect.callback<{ readonly server: Server; readonly sockets: Set<Socket>; readonly port: number }>((resume) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("error", () => undefined)
      socket.on("close", () => sockets.delete(socket))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 1
      resume(Effect.succeed({ server, sockets, port }))
    })
  }),
  ({ server, sockets }) =>
    Effect.andThen(
      Effect.sync(() => {
        for (const socket of sockets) socket.destroy()
      }),
      closeServer(server)
    )
)

const temporaryDirectory = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "goticket-mail-"))),
  (directory) => Effect.promise(() => rm(directory, { recursive: true, force: true }))
)

const emlFiles = (directory: string) =>
  Effect.promise(async () =>
    (await readdir(directory).catch(() => [] as Array<string>)).filter((name) => name.endsWith(".eml")).sort()
  )

const send = (mail = aMail()) => Effect.flatMap(Mailer, (mailer) => mailer.send(mail))

// ---------------------------------------------------------------------------------------------------------------
// The contract against each adapter.
// ---------------------------------------------------------------------------------------------------------------

const smtpAdapters = Layer.unwrap(
  Effect.gen(function* () {
    const sink = yield* SmtpSink
    const down = yield* closedPort
    const harness = MailerHarness.of({
      deliveries: (messageId) =>
        Effect.map(sink.messages, (messages) =>
          messages.map((message) => readDelivered(message.raw)).filter((mail) => mail.messageId === messageId)
        ),
      resend: "repeated",
      unreachable: MailerSmtp.layer({ url: `smtp://127.0.0.1:${down}`, timeout: "2 seconds" })
    })
    return Layer.merge(Layer.succeed(MailerHarness, harness), MailerSmtp.layer({ url: sink.url, timeout: "5 seconds" }))
  })
).pipe(Layer.provide(SmtpSink.layer()))

mailerContract("SMTP to a real SMTP server", smtpAdapters)

const fileAdapters = Layer.unwrap(
  Effect.gen(function* () {
    const root = yield* temporaryDirectory
    const directory = join(root, "mail")
    // A directory below a regular file cannot be created: every write fails.
    yield* Effect.promise(() => writeFile(join(root, "not-a-directory"), "x"))
    const harness = MailerHarness.of({
      deliveries: (messageId) =>
        Effect.gen(function* () {
          const delivered = []
          for (const name of yield* emlFiles(directory)) {
            const mail = readDelivered(yield* Effect.promise(() => readFile(join(directory, name))))
            if (mail.messageId === messageId) delivered.push(mail)
          }
          return delivered
        }),
      resend: "replaced",
      unreachable: MailerFile.layer({ directory: join(root, "not-a-directory", "mail") })
    })
    return Layer.merge(Layer.succeed(MailerHarness, harness), MailerFile.layer({ directory }))
  })
)

mailerContract(".eml files in a directory", fileAdapters)

const memoryAdapters = Layer.effect(
  MailerHarness,
  Effect.map(MemoryMailbox, (mailbox) =>
    MailerHarness.of({
      deliveries: (messageId) =>
        Effect.map(mailbox.withMessageId(messageId), (mails) => mails.map((mail) => ({ ...mail, headerNames: [] }))),
      resend: "repeated",
      unreachable: Layer.effect(
        Mailer,
        Effect.gen(function* () {
          const context = yield* makeMailerMemory
          yield* Effect.flatMap(MemoryMailbox, (down) => down.failWith("the mail service is down")).pipe(
            Effect.provide(context)
          )
          return yield* Effect.provide(Mailer, context)
        })
      )
    })
  )
).pipe(Layer.provideMerge(MailerMemory))

mailerContract("in memory", memoryAdapters)

// ---------------------------------------------------------------------------------------------------------------
// The SMTP adapter's own behaviour.
// ---------------------------------------------------------------------------------------------------------------

describe("MailerSmtp", () => {
  it.live("logs in with the URL's credentials and sends From MAIL_FROM, to the To address only", () =>
    Effect.gen(function* () {
      const sink = yield* startSmtpSink({ auth: { user: "mailer@goticket", pass: "p@ss w:rd/1" } })
      const mail = aMail({ subject: "Hello\r\nBcc: intruder@example.com", to: "ada@example.com" })
      yield* send(mail).pipe(
        Effect.provide(MailerSmtp.layer({ url: sink.url, from: "Box Office <box@tickets.example>" }))
      )
      const [message] = yield* sink.awaitMessages(1)
      expect(message?.user).toBe("mailer@goticket")
      expect(message?.mailFrom).toBe("box@tickets.example")
      expect(message?.rcptTo).toEqual(["ada@example.com"])
      const root = parseMime(message?.raw ?? Buffer.alloc(0))
      expect(root.headers.get("from")).toBe("Box Office <box@tickets.example>")
      expect(root.headers.get("message-id")).toBe(mail.messageId)
      // A line break in the subject does not make a header of its own.
      expect(root.headerNames).not.toContain("bcc")
      expect(root.headerNames.filter((name) => name === "subject")).toHaveLength(1)
      // RFC 5322 on the wire: CRLF line ends only.
      expect(message?.raw.toString("latin1")).not.toMatch(/[^\r]\n/)
    })
  )

  it.live("a wrong password is MailNotSent that says the login failed", () =>
    Effect.gen(function* () {
      const sink = yield* startSmtpSink({ auth: { user: "mailer", pass: "right" } })
      const failure = yield* Effect.flip(
        send().pipe(Effect.provide(MailerSmtp.layer({ url: `smtp://mailer:wrong@127.0.0.1:${sink.port}` })))
      )
      expect(failure).toBeInstanceOf(MailNotSent)
      expect(failure.message).toContain("EAUTH")
      // The password is not repeated in the message.
      expect(failure.message).not.toContain("wrong")
      expect(yield* sink.messages).toHaveLength(0)
    })
  )

  it.live("a refused recipient is MailNotSent with the server's reply", () =>
    Effect.gen(function* () {
      const sink = yield* startSmtpSink({ refuse: (recipient) => recipient.startsWith("nobody@") })
      const failure = yield* Effect.flip(
        send(aMail({ to: "nobody@example.com" })).pipe(Effect.provide(MailerSmtp.layer({ url: sink.url })))
      )
      expect(failure.message).toContain(`smtp://127.0.0.1:${sink.port}`)
      expect(failure.message).toContain("550")
    })
  )

  it.live("a server that never answers is MailNotSent after the timeout, not a hang", () =>
    Effect.gen(function* () {
      const { port } = yield* silentServer
      const started = Date.now()
      const failure = yield* Effect.flip(
        send().pipe(Effect.provide(MailerSmtp.layer({ url: `smtp://127.0.0.1:${port}`, timeout: "400 millis" })))
      )
      const elapsed = Date.now() - started
      expect(failure).toBeInstanceOf(MailNotSent)
      expect(elapsed).toBeGreaterThanOrEqual(350)
      expect(elapsed).toBeLessThan(2_000)
    })
  )

  it.live("a pooled connection that timed out while idle is replaced: the next mail still goes", () =>
    Effect.gen(function* () {
      const sink = yield* startSmtpSink()
      yield* Effect.gen(function* () {
        yield* send()
        yield* Effect.sleep("700 millis")
        yield* send()
      }).pipe(Effect.provide(MailerSmtp.layer({ url: sink.url, timeout: "300 millis", maxConnections: 1 })))
      expect(yield* sink.messages).toHaveLength(2)
    })
  )

  it.live("keeps its connection between mails and closes it when the layer's scope ends", () =>
    Effect.gen(function* () {
      const sink = yield* startSmtpSink()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(MailerSmtp.layer({ url: sink.url, maxConnections: 1 }))
          yield* Effect.provide(Effect.andThen(send(), send()), context)
          expect(yield* sink.openConnections).toBe(1)
        })
      )
      yield* Effect.repeat(sink.openConnections, {
        until: (open) => open === 0,
        schedule: Schedule.spaced("20 millis").pipe(Schedule.upTo({ duration: "3 seconds" }))
      })
      expect(yield* sink.openConnections).toBe(0)
      expect(yield* sink.messages).toHaveLength(2)
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------
// The file adapter's own behaviour.
// ---------------------------------------------------------------------------------------------------------------

describe("MailerFile", () => {
  it("names the file after the Message-ID only, sanitised, without collisions", () => {
    expect(emlFileName("<7d3c0f7e-2b1a-4c55-9f0e-0123456789ab@goticket>")).toBe(
      "7d3c0f7e-2b1a-4c55-9f0e-0123456789ab@goticket.eml"
    )
    expect(emlFileName("7d3c@goticket")).toBe(emlFileName("<7d3c@goticket>"))
    const hostile = emlFileName("<../../etc/passwd>")
    expect(hostile).toMatch(/^[A-Za-z0-9._@+=-]+\.eml$/)
    expect(hostile).not.toContain("/")
    expect(hostile.startsWith(".")).toBe(false)
    expect(emlFileName("<a/b@x>")).not.toBe(emlFileName("<a_b@x>"))
    expect(emlFileName("<a/b@x>")).not.toBe(emlFileName("<a:b@x>"))
    expect(emlFileName(`<${"x".repeat(500)}@x>`).length).toBeLessThan(160)
    expect(emlFileName("<>")).toMatch(/^[0-9a-f]{16}\.eml$/)
  })

  it.live("the same mail sent twice leaves one file: RFC 5322 with CRLF line ends, readable by the owner only", () =>
    Effect.gen(function* () {
      const root = yield* temporaryDirectory
      const directory = join(root, "nested", "mail")
      const mail = aMail()
      yield* Effect.provide(Effect.andThen(send(mail), send(mail)), MailerFile.layer({ directory }))
      const names = yield* Effect.promise(() => readdir(directory))
      expect(names).toEqual([emlFileName(mail.messageId)])
      const path = join(directory, emlFileName(mail.messageId))
      const raw = yield* Effect.promise(() => readFile(path))
      expect(raw.toString("latin1")).not.toMatch(/[^\r]\n/)
      const root822 = parseMime(raw)
      expect(root822.headers.get("from")).toBe("GoTicket <tickets@goticket.local>")
      expect(root822.headers.get("mime-version")).toBe("1.0")
      expect(root822.headers.has("date")).toBe(true)
      expect(readDelivered(raw).messageId).toBe(mail.messageId)
      expect((yield* Effect.promise(() => stat(path))).mode & 0o777).toBe(0o600)
    })
  )

  it.live("mails with different Message-IDs are different files", () =>
    Effect.gen(function* () {
      const directory = yield* temporaryDirectory
      const mails = [aMail(), aMail(), aMail()]
      yield* Effect.provide(Effect.forEach(mails, send), MailerFile.layer({ directory }))
      expect(yield* emlFiles(directory)).toEqual(mails.map((mail) => emlFileName(mail.messageId)).sort())
    })
  )
})

// ---------------------------------------------------------------------------------------------------------------
// The in-memory adapter's controls.
// ---------------------------------------------------------------------------------------------------------------

it.effect("MailerMemory keeps what was sent, fails while an outage is set, and forgets on clear", () =>
  Effect.gen(function* () {
    const mailbox = yield* MemoryMailbox
    const [first, second] = [aMail(), aMail()]
    yield* send(first)
    yield* mailbox.failWith("down for maintenance")
    expect(yield* Effect.flip(send(second))).toEqual(new MailNotSent({ message: "down for maintenance" }))
    yield* mailbox.failWith(null)
    yield* send(second)
    expect((yield* mailbox.sent).map((mail) => mail.messageId)).toEqual([first.messageId, second.messageId])
    yield* mailbox.clear
    expect(yield* mailbox.sent).toEqual([])
  }).pipe(Effect.provide(MailerMemory))
)

// ---------------------------------------------------------------------------------------------------------------
// MailerLive: SMTP when SMTP_URL is set, else files under the data directory; which one is logged.
// ---------------------------------------------------------------------------------------------------------------

/** Runs `effect` with MailerLive under this configuration; answers what it logged too. */
const withLive = <A, E>(config: Record<string, string>, effect: Effect.Effect<A, E, Mailer>) =>
  Effect.gen(function* () {
    const logged: Array<string> = []
    const logger = Logger.make(({ message }) => {
      logged.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
    })
    const result = yield* Effect.result(
      effect.pipe(
        Effect.provide(MailerLive),
        Effect.provide(Logger.layer([logger])),
        Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromUnknown(config))
      )
    )
    return { result, logged }
  })

describe("MailerLive", () => {
  it.live("with SMTP_URL: over SMTP, logging the server without its password", () =>
    Effect.gen(function* () {
      const sink = yield* startSmtpSink({ auth: { user: "box", pass: "s3cret-pw" } })
      const { result, logged } = yield* withLive({ SMTP_URL: sink.url, MAIL_FROM: "Box <box@example.com>" }, send())
      expect(Result.isSuccess(result)).toBe(true)
      expect(yield* sink.messages).toHaveLength(1)
      expect(logged.join("\n")).toContain(`SMTP to smtp://127.0.0.1:${sink.port}`)
      expect(logged.join("\n")).not.toContain("s3cret-pw")
    })
  )

  it.live("without SMTP_URL: .eml files in <GOTICKET_DATA_DIR>/mail", () =>
    Effect.gen(function* () {
      const dataDir = yield* temporaryDirectory
      const mail = aMail()
      const { result, logged } = yield* withLive({ GOTICKET_DATA_DIR: dataDir }, send(mail))
      expect(Result.isSuccess(result)).toBe(true)
      expect(yield* emlFiles(join(dataDir, "mail"))).toEqual([emlFileName(mail.messageId)])
      expect(logged.join("\n")).toContain(join(dataDir, "mail"))
    })
  )

  it.effect("a malformed SMTP_URL or MAIL_FROM is a configuration error", () =>
    Effect.gen(function* () {
      for (const config of [{ SMTP_URL: "http://example.com" }, { SMTP_URL: "not a url" }, { MAIL_FROM: "nobody" }]) {
        const { result } = yield* withLive(config, Effect.void)
        expect(Result.isFailure(result) && result.failure instanceof Config.ConfigError).toBe(true)
      }
    })
  )
})

import type { AddressInfo } from "node:net"
import { Context, Duration, Effect, Layer, Option, Stream, SubscriptionRef } from "effect"
import { SMTPServer } from "smtp-server"

/** One message as the SMTP server took it: the envelope and the exact bytes after DATA (dot-unstuffed). */
export interface ReceivedMessage {
  readonly mailFrom: string
  readonly rcptTo: ReadonlyArray<string>
  /** The user the client logged in as, when it did. */
  readonly user: string | undefined
  readonly raw: Buffer
}

export interface SmtpSinkOptions {
  /** Credentials every client must log in with (AUTH PLAIN/LOGIN over the plain connection); none: no AUTH. */
  readonly auth?: { readonly user: string; readonly pass: string } | undefined
  /** Recipients refused at RCPT TO with a 550, as a real server refuses an unknown mailbox. */
  readonly refuse?: ((recipient: string) => boolean) | undefined
}

export interface SmtpSinkShape {
  readonly host: string
  readonly port: number
  /** `smtp://[user:pass@]127.0.0.1:<port>`, for the adapter under test. */
  readonly url: string
  /** Every message taken so far, in the order the server took them. */
  readonly messages: Effect.Effect<ReadonlyArray<ReceivedMessage>>
  /** Client connections open right now. */
  readonly openConnections: Effect.Effect<number>
  /** Waits until at least `count` messages were taken (dies after `timeout`, 5 s by default). */
  readonly awaitMessages: (count: number, timeout?: Duration.Input) => Effect.Effect<ReadonlyArray<ReceivedMessage>>
}

/**
 * A real SMTP server (the `smtp-server` package) on a free loopback port that keeps every message it is given, for
 * tests of what an SMTP client really sends. No STARTTLS (a plain local connection); a message is stored before the
 * server answers 250 to its DATA, so once the client's send has succeeded the message is here. Closed with the scope.
 */
export const startSmtpSink = (options: SmtpSinkOptions = {}) =>
  Effect.gen(function* () {
    const received = yield* SubscriptionRef.make<ReadonlyArray<ReceivedMessage>>([])
    const context = yield* Effect.context<never>()
    const store = (message: ReceivedMessage) =>
      Effect.runPromiseWith(context)(SubscriptionRef.update(received, (all) => [...all, message]))

    const auth = options.auth
    const server = new SMTPServer({
      disabledCommands: auth === undefined ? ["STARTTLS", "AUTH"] : ["STARTTLS"],
      authOptional: auth === undefined,
      allowInsecureAuth: true,
      logger: false,
      closeTimeout: 100,
      onAuth: (login, _session, callback) =>
        login.username === auth?.user && login.password === auth?.pass
          ? callback(null, { user: login.username })
          : callback(new Error("Invalid username or password")),
      onRcptTo: (address, _session, callback) => {
        if (options.refuse?.(address.address)) {
          const refusal = new Error(`No such user here: ${address.address}`) as Error & { responseCode: number }
          refusal.responseCode = 550
          return callback(refusal)
        }
        callback()
      },
      onData: (stream, session, callback) => {
        const chunks: Array<Buffer> = []
        stream.on("data", (chunk: Buffer) => chunks.push(chunk))
        stream.on("error", (error) => callback(error))
        stream.on("end", () => {
          const envelope = session.envelope
          void store({
            mailFrom: envelope.mailFrom === false ? "" : envelope.mailFrom.address,
            rcptTo: envelope.rcptTo.map((rcpt) => rcpt.address),
            user: session.user,
            raw: Buffer.concat(chunks)
          }).then(
            () => callback(),
            (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)))
          )
        })
      }
    })

    const port = yield* Effect.acquireRelease(
      Effect.callback<number, Error>((resume) => {
        const onError = (error: Error) => resume(Effect.fail(error))
        server.once("error", onError)
        server.listen(0, "127.0.0.1", () => {
          server.off("error", onError)
          resume(Effect.succeed((server.server.address() as AddressInfo).port))
        })
      }),
      () => Effect.callback<void>((resume) => server.close(() => resume(Effect.void)))
    ).pipe(Effect.orDie)
    // A client error after start (a reset connection) is no reason to crash the test process.
    server.on("error", () => {})

    const credentials = auth === undefined ? "" : `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@`
    return {
      host: "127.0.0.1",
      port,
      url: `smtp://${credentials}127.0.0.1:${port}`,
      messages: SubscriptionRef.get(received),
      openConnections: Effect.sync(() => server.connections.size),
      awaitMessages: (count, timeout = "5 seconds") =>
        SubscriptionRef.changes(received).pipe(
          Stream.filter((all) => all.length >= count),
          Stream.runHead,
          Effect.map(Option.getOrElse((): ReadonlyArray<ReceivedMessage> => [])),
          Effect.timeoutOrElse({
            duration: timeout,
            orElse: () =>
              Effect.die(
                new Error(
                  `the SMTP sink did not receive ${count} message(s) within ${Duration.format(Duration.fromInputUnsafe(timeout))}`
                )
              )
          })
        )
    } satisfies SmtpSinkShape
  })

/** The sink as a service, for suites that share one server across their tests. */
export class SmtpSink extends Context.Service<SmtpSink, SmtpSinkShape>()("test/SmtpSink") {
  static readonly layer = (options: SmtpSinkOptions = {}) => Layer.effect(SmtpSink, startSmtpSink(options))
}

import { Config, Duration, Effect, Layer, Redacted } from "effect"
import nodemailer from "nodemailer"
import { type Mail, Mailer, MailNotSent } from "../../domain/notifications/Mailer.ts"
import { validate } from "../config/validate.ts"
import { describeMailError, MailFromConfig, safeTransportOptions, toSendMailOptions } from "./NodemailerMessage.ts"

export interface MailerSmtpOptions {
  /** `smtp://[user:pass@]host[:port]` (STARTTLS when the server offers it) or `smtps://…` (TLS from the start). */
  readonly url: string | Redacted.Redacted
  /** The From header and envelope sender (default `GoTicket <tickets@goticket.local>`). */
  readonly from?: string | undefined
  /**
   * How long one send may take in all: connecting, the greeting, each reply (default 5 s). A server that is down
   * fails at once; one that does not answer fails after this.
   */
  readonly timeout?: Duration.Input | undefined
  /** Connections kept open to the server, each carrying mails one after another (default 2). */
  readonly maxConnections?: number | undefined
}

const DEFAULT_FROM = "GoTicket <tickets@goticket.local>"

/** `smtp://host:port` of a URL, without its credentials or query: what logs and error messages may show. */
export const smtpServerName = (url: string): string => {
  try {
    const parsed = new URL(url)
    const port = parsed.port === "" ? (parsed.protocol === "smtps:" ? "465" : "587") : parsed.port
    return `${parsed.protocol}//${parsed.hostname}:${port}`
  } catch {
    return "the SMTP server (unreadable SMTP_URL)"
  }
}

/**
 * The Mailer over SMTP (nodemailer, a small pool of connections). Each send is bounded by `timeout`; whatever goes
 * wrong — the server down or silent, a refused recipient or login — is MailNotSent naming the server and the reason,
 * and the send is aborted. The pool is closed with the scope.
 */
export const makeMailerSmtp = (options: MailerSmtpOptions) =>
  Effect.gen(function* () {
    const url = typeof options.url === "string" ? options.url : Redacted.value(options.url)
    const server = smtpServerName(url)
    const from = options.from ?? DEFAULT_FROM
    const timeout = Duration.fromInputUnsafe(options.timeout ?? "5 seconds")
    const millis = Math.max(1, Math.round(Duration.toMillis(timeout)))
    const transport = yield* Effect.acquireRelease(
      Effect.sync(() =>
        nodemailer.createTransport({
          ...safeTransportOptions,
          url,
          pool: true,
          maxConnections: options.maxConnections ?? 2,
          connectionTimeout: millis,
          greetingTimeout: millis,
          socketTimeout: millis,
          dnsTimeout: millis,
          // A send retried after a dropped connection is requeued at most once, still within `timeout`.
          maxRequeues: 1
        })
      ),
      (transport) => Effect.sync(() => transport.close({ force: true }))
    )
    // Failures reach the send that suffers them; an 'error' event left without a listener would crash the process.
    const runFork = Effect.runForkWith(yield* Effect.context<never>())
    transport.on("error", (error) => {
      runFork(Effect.logWarning(`mail: SMTP transport to ${server}: ${describeMailError(error)}`))
    })

    const send = Effect.fn("MailerSmtp.send")(function* (mail: Mail) {
      yield* Effect.annotateCurrentSpan({
        "mail.message_id": mail.messageId,
        "mail.attachments": mail.attachments.length,
        "mail.server": server
      })
      yield* Effect.tryPromise({
        // Interrupting the fiber (the timeout below) aborts the send and frees its connection.
        try: (signal) => transport.sendMail({ ...toSendMailOptions(mail, from), signal }),
        catch: (error) => new MailNotSent({ message: `${server} did not take the mail: ${describeMailError(error)}` })
      }).pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () =>
            Effect.fail(
              new MailNotSent({ message: `${server} did not take the mail within ${Duration.format(timeout)}` })
            )
        })
      )
    })

    return Mailer.of({ send })
  })

/** SMTP_URL (redacted: it may carry a password) and MAIL_FROM. */
export const MailerSmtpConfig = Config.all({
  url: Config.Redacted("SMTP_URL").pipe(
    validate({
      message: "SMTP_URL must be a URL such as smtp://user:pass@host:587 or smtps://host:465",
      validation: (value) => {
        const url = URL.canParse(Redacted.value(value)) ? new URL(Redacted.value(value)) : undefined
        return url !== undefined && (url.protocol === "smtp:" || url.protocol === "smtps:") && url.hostname !== ""
      }
    })
  ),
  from: MailFromConfig
})

export const MailerSmtp = {
  layer: (options: MailerSmtpOptions): Layer.Layer<Mailer> => Layer.effect(Mailer, makeMailerSmtp(options)),
  /** From SMTP_URL and MAIL_FROM. */
  layerConfig: Layer.effect(Mailer, Effect.flatMap(MailerSmtpConfig, makeMailerSmtp))
}

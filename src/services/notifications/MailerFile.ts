import { createHash, randomUUID } from "node:crypto"
import { mkdir, open, rename, rm } from "node:fs/promises"
import { join, resolve } from "node:path"
import { Effect, Layer } from "effect"
import nodemailer from "nodemailer"
import { type Mail, Mailer, MailNotSent } from "../../domain/notifications/Mailer.ts"
import { describeMailError, safeTransportOptions, toSendMailOptions } from "./NodemailerMessage.ts"

export interface MailerFileOptions {
  /** Where the .eml files go; created when missing. */
  readonly directory: string
  /** The From header (default `GoTicket <tickets@goticket.local>`). */
  readonly from?: string | undefined
}

const DEFAULT_FROM = "GoTicket <tickets@goticket.local>"
const MAX_NAME = 120

/**
 * The file a mail is written to, from its Message-ID alone: the id without its angle brackets, every character
 * outside `A-Z a-z 0-9 . _ @ + = -` replaced by `_`. Whenever that changed anything but the brackets (or cut a very
 * long id), a hash of the id is added, so that two different ids never share a file.
 */
export const emlFileName = (messageId: string): string => {
  const id = messageId.trim().replace(/^<(.*)>$/s, "$1")
  const safe = id
    .replace(/[^A-Za-z0-9._@+=-]/g, "_")
    .replace(/^\.+/, (dots) => "_".repeat(dots.length))
    .slice(0, MAX_NAME)
  if (safe === id && safe !== "") return `${safe}.eml`
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 16)
  return safe === "" ? `${hash}.eml` : `${safe}-${hash}.eml`
}

/** Writes `bytes` to `target` all at once: a temporary file in the same directory, flushed, then renamed over it. */
const writeAtomically = async (directory: string, target: string, bytes: Uint8Array) => {
  await mkdir(directory, { recursive: true })
  const temporary = join(directory, `.${randomUUID()}.tmp`)
  try {
    // Owner only: a mail carries ticket codes, which admit whoever shows them.
    const file = await open(temporary, "wx", 0o600)
    try {
      await file.writeFile(bytes)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(temporary, target)
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined)
    throw error
  }
}

/**
 * The Mailer into a directory: each mail as an RFC 5322 .eml file (CRLF lines), built by nodemailer's stream transport
 * from the same message the SMTP adapter sends, so a mail client opens it as the customer would see it. The file is
 * named after the Message-ID (`emlFileName`): sending the same mail again replaces its file, it never adds one.
 */
export const makeMailerFile = (options: MailerFileOptions) =>
  Effect.gen(function* () {
    const directory = resolve(options.directory)
    const from = options.from ?? DEFAULT_FROM
    const composer = nodemailer.createTransport({
      ...safeTransportOptions,
      streamTransport: true,
      buffer: true,
      newline: "windows"
    })

    const send = Effect.fn("MailerFile.send")(function* (mail: Mail) {
      const file = join(directory, emlFileName(mail.messageId))
      yield* Effect.annotateCurrentSpan({ "mail.message_id": mail.messageId, "mail.file": file })
      const message = yield* Effect.tryPromise({
        try: () => composer.sendMail(toSendMailOptions(mail, from)),
        catch: (error) => new MailNotSent({ message: `could not build the mail: ${describeMailError(error)}` })
      })
      const bytes = message.message
      if (!Buffer.isBuffer(bytes)) return yield* Effect.die(new Error("the stream transport did not give a buffer"))
      yield* Effect.tryPromise({
        try: () => writeAtomically(directory, file, bytes),
        catch: (error) =>
          new MailNotSent({ message: `could not write the mail to ${file}: ${describeMailError(error)}` })
      })
    })

    return Mailer.of({ send })
  })

export const MailerFile = {
  layer: (options: MailerFileOptions): Layer.Layer<Mailer> => Layer.effect(Mailer, makeMailerFile(options))
}

import { Config } from "effect"
import type { SendMailOptions } from "nodemailer"
import addressparser from "nodemailer/lib/addressparser"
import type { Mail } from "../../domain/notifications/Mailer.ts"
import { validate } from "../config/validate.ts"

/** The From address of every mail: MAIL_FROM, e.g. `GoTicket <tickets@example.com>`. */
export const MailFromConfig = Config.String("MAIL_FROM").pipe(
  validate({
    message: "MAIL_FROM must be an address such as `GoTicket <tickets@example.com>`",
    validation: (from) => {
      const parsed = addressparser(from)
      return parsed.length === 1 && /^[^\s@]+@[^\s@]+$/.test(parsed[0]?.address ?? "")
    }
  }),
  Config.withDefault("GoTicket <tickets@goticket.local>")
)

/**
 * Options every transport of ours gets: the message is built from the Mail's own bytes only, never from a path or
 * URL found in it (nodemailer could otherwise read a file or fetch a URL named as an attachment's content).
 */
export const safeTransportOptions = { disableFileAccess: true, disableUrlAccess: true } as const

/**
 * The port's Mail as nodemailer's message: the same for every adapter, so that the SMTP server and the .eml file see
 * the same MIME tree — multipart/alternative of the text and the HTML, the HTML in multipart/related with its inline
 * images (`cid`), any other attachment beside them.
 */
export const toSendMailOptions = (mail: Mail, from: string): SendMailOptions => ({
  from,
  to: mail.to,
  subject: mail.subject,
  messageId: mail.messageId,
  text: mail.text,
  html: mail.html,
  attachments: mail.attachments.map((attachment) => ({
    filename: attachment.filename,
    contentType: attachment.contentType,
    content: Buffer.from(attachment.content.buffer, attachment.content.byteOffset, attachment.content.byteLength),
    ...(attachment.contentId === undefined
      ? { contentDisposition: "attachment" }
      : { cid: attachment.contentId, contentDisposition: "inline" })
  }))
})

/** What went wrong in a nodemailer call, in one line: its code, the SMTP reply if any, its message. */
export const describeMailError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const details = error as Error & { code?: unknown; responseCode?: unknown; permanent?: unknown }
  const code = typeof details.code === "string" ? `${details.code}: ` : ""
  const permanence = details.permanent === true ? " (permanent refusal)" : ""
  return `${code}${error.message.replace(/\s+/g, " ").trim()}${permanence}`
}

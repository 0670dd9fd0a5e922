import { Context, type Effect, Schema } from "effect"

export interface MailAttachment {
  readonly filename: string
  readonly contentType: string
  readonly content: Uint8Array
  /** Set for an inline image the HTML body shows as `cid:<contentId>`. */
  readonly contentId?: string
}

export interface Mail {
  /** Stable per notification (derived from the event it tells of), so a resend can be recognised downstream. */
  readonly messageId: string
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html: string
  readonly attachments: ReadonlyArray<MailAttachment>
}

/** The mail could not be handed over (server down, refused): worth retrying. */
export class MailNotSent extends Schema.TaggedError<MailNotSent>()("MailNotSent", {
  message: Schema.String
}) {}

/** Port: hands mail over for delivery. */
export interface MailerShape {
  readonly send: (mail: Mail) => Effect.Effect<void, MailNotSent>
}

export class Mailer extends Context.Service<Mailer, MailerShape>()("goticket/Mailer") {}

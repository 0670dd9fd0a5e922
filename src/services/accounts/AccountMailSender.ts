import { Cause, Effect, Option } from "effect"
import { type Mail, Mailer } from "../../domain/notifications/Mailer.ts"
import { maskEmail } from "../../domain/shared/Redaction.ts"
import { MailThrottle } from "../security/MailThrottle.ts"

/** A mail-sending failure as the log may show it: the address masked, anything like a token cut out. */
export const scrubbed = (text: string, address: string): string =>
  text
    .replace(new RegExp(address.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), maskEmail(address))
    .replace(/ev1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, "ev1.***")
    .replace(/gts_[A-Za-z0-9_-]+/g, "gts_***")

/**
 * How the account mails go out: handed to the Mailer without making the caller wait for it (nor fail with it). A
 * failure is logged with the address masked and never with the mail's content (it may carry a token).
 * `throttled` sends only within the address's ACCOUNT_MAILS_PER_HOUR (mails anyone can make us send); `now` always
 * (notices of a change the account's owner made).
 */
export const makeAccountMailSender = Effect.gen(function* () {
  const mailer = yield* Mailer
  const mailThrottle = yield* MailThrottle

  const now = (kind: string, mail: Mail) =>
    mailer.send(mail).pipe(
      Effect.catchCause((cause) => {
        const failure = Cause.findErrorOption(cause)
        const reason = Option.isSome(failure) ? failure.value.message : Cause.pretty(cause)
        return Effect.logWarning(`account mail not sent: ${scrubbed(reason, mail.to)}`)
      }),
      Effect.annotateLogs({ mail: kind, to: maskEmail(mail.to) }),
      Effect.withSpan("Accounts.sendMail", { attributes: { "mail.kind": kind } }),
      Effect.forkDetach(),
      Effect.asVoid
    )

  /** Sends if the address had not had its hourly share yet; answers whether it was sent. */
  const throttled = (kind: string, mail: Mail) =>
    Effect.flatMap(mailThrottle.allow(mail.to), (allowed) =>
      allowed
        ? Effect.as(now(kind, mail), true)
        : Effect.logWarning("account mail not sent: this address had its hourly share").pipe(
            Effect.annotateLogs({ mail: kind, to: maskEmail(mail.to) }),
            Effect.as(false)
          )
    )

  return { now, throttled } as const
})

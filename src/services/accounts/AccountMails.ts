import type { Email } from "../../domain/accounts/User.ts"
import type { Mail } from "../../domain/notifications/Mailer.ts"
import { escapeHtml, htmlDocument, paragraph } from "../notifications/MailFormat.ts"

/*
 * The mails about an account itself. They greet no one by name: the address was typed by whoever registered, who may
 * not be its owner, so nothing that person chose (the name) is put in front of the owner.
 */

/** A fresh Message-ID per mail: each of these mails is new (a registration's names its event instead). */
const messageIdOf = (kind: string): string => `<account-${kind}-${crypto.randomUUID()}@goticket>`

const mailOf = (
  kind: string,
  to: Email,
  subject: string,
  text: ReadonlyArray<string>,
  html: string,
  messageId = messageIdOf(kind)
): Mail => ({
  messageId,
  to,
  subject,
  text: `${text.join("\n")}\n`,
  html: htmlDocument(subject, html),
  attachments: []
})

const hours = (n: number) => (n === 1 ? "1 hour" : `${n} hours`)

/** The link to confirm an address: `<PUBLIC_BASE_URL>/verify-email?token=…`. */
export const verificationLink = (publicBaseUrl: string, token: string): string =>
  `${publicBaseUrl}/verify-email?token=${encodeURIComponent(token)}`

/**
 * To a new account's address: the link that confirms it (and logs in). `messageId` names a mail that may be sent again
 * (a registration's, from its event); else the mail gets a new one.
 */
export const verificationMail = (to: Email, link: string, ttlHours: number, messageId?: string): Mail => {
  const subject = "Confirm your email address for GoTicket"
  const intro = "Welcome to GoTicket. To finish creating your account, confirm that this address is yours:"
  const validity = `The link is valid for ${hours(ttlHours)} and logs you in. If it has expired, ask for a new one from the log-in page.`
  const notYou =
    "If you did not create a GoTicket account, ignore this mail: an account whose address is not confirmed cannot be used."
  return mailOf(
    "verification",
    to,
    subject,
    ["Hello,", "", intro, "", link, "", validity, "", notYou],
    [
      paragraph("Hello,"),
      paragraph(intro),
      `<p><a href="${escapeHtml(link)}" style="font-weight: bold;">Confirm my email address</a></p>`,
      `<p style="font-size: 12px; word-break: break-all;">${escapeHtml(link)}</p>`,
      paragraph(validity),
      paragraph(notYou)
    ].join("\n"),
    messageId
  )
}

/** To the owner of an address someone tried to register again: no link, nothing to confirm, nothing changed. */
export const alreadyRegisteredMail = (to: Email): Mail => {
  const subject = "Someone tried to register with your email address"
  const what =
    "Someone (perhaps you) just tried to create a GoTicket account with this email address. It already has an account, so nothing was created or changed."
  const ifYou = "If it was you, there is no need to register again: log in with your password."
  const ifNot = "If it was not you, you can ignore this mail: your account is unchanged."
  return mailOf(
    "already-registered",
    to,
    subject,
    ["Hello,", "", what, "", ifYou, "", ifNot],
    [paragraph("Hello,"), paragraph(what), paragraph(ifYou), paragraph(ifNot)].join("\n")
  )
}

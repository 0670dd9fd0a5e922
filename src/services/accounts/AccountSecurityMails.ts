import type { Email } from "../../domain/accounts/User.ts"
import type { Mail } from "../../domain/notifications/Mailer.ts"
import { maskEmail } from "../../domain/shared/Redaction.ts"
import { escapeHtml, htmlDocument, paragraph } from "../notifications/MailFormat.ts"

/* The mails of account recovery and security settings. Like the other account mails they greet no one by name. */

const mailOf = (kind: string, to: Email, subject: string, text: ReadonlyArray<string>, html: string): Mail => ({
  messageId: `<account-${kind}-${crypto.randomUUID()}@goticket>`,
  to,
  subject,
  text: `${text.join("\n")}\n`,
  html: htmlDocument(subject, html),
  attachments: []
})

/** A mail whose paragraphs are plain text, with one link (button and the URL written out) after the first ones. */
const withLink = (
  kind: string,
  to: Email,
  subject: string,
  before: ReadonlyArray<string>,
  link: { readonly url: string; readonly label: string },
  after: ReadonlyArray<string>
): Mail =>
  mailOf(
    kind,
    to,
    subject,
    [
      "Hello,",
      "",
      ...before.flatMap((p) => [p, ""]),
      link.url,
      "",
      ...after.flatMap((p, i) => (i === 0 ? [p] : ["", p]))
    ],
    [
      paragraph("Hello,"),
      ...before.map(paragraph),
      `<p><a href="${escapeHtml(link.url)}" style="font-weight: bold;">${escapeHtml(link.label)}</a></p>`,
      `<p style="font-size: 12px; word-break: break-all;">${escapeHtml(link.url)}</p>`,
      ...after.map(paragraph)
    ].join("\n")
  )

const plain = (kind: string, to: Email, subject: string, paragraphs: ReadonlyArray<string>): Mail =>
  mailOf(
    kind,
    to,
    subject,
    ["Hello,", "", ...paragraphs.flatMap((p, i) => (i === 0 ? [p] : ["", p]))],
    [paragraph("Hello,"), ...paragraphs.map(paragraph)].join("\n")
  )

const minutes = (n: number) => (n === 1 ? "1 minute" : `${n} minutes`)
const hours = (n: number) => (n === 1 ? "1 hour" : `${n} hours`)

/** `<PUBLIC_BASE_URL>/reset-password?token=…`: the web front's page that asks for the new password. */
export const passwordResetLink = (publicBaseUrl: string, token: string): string =>
  `${publicBaseUrl}/reset-password?token=${encodeURIComponent(token)}`

/** `<PUBLIC_BASE_URL>/confirm-email?token=…`: the web front's page that confirms a new address. */
export const emailChangeLink = (publicBaseUrl: string, token: string): string =>
  `${publicBaseUrl}/confirm-email?token=${encodeURIComponent(token)}`

export const passwordResetMail = (to: Email, link: string, ttlMinutes: number): Mail =>
  withLink(
    "password-reset",
    to,
    "Reset your GoTicket password",
    [
      "Someone (hopefully you) asked to reset the password of the GoTicket account with this address. To choose a new one:"
    ],
    { url: link, label: "Choose a new password" },
    [
      `The link works once, for ${minutes(ttlMinutes)}. Choosing a new password logs you out everywhere.`,
      "If you did not ask for this, ignore this mail: your password stays as it is."
    ]
  )

/** After a reset or a change: the owner learns of it, and what to do if it was not them. */
export const passwordChangedMail = (to: Email): Mail =>
  plain("password-changed", to, "Your GoTicket password was changed", [
    "The password of your GoTicket account was just changed, and every other session of the account was logged out.",
    'If it was you, there is nothing to do. If it was not, reset your password at once from the log-in page ("Forgot your password?"): that ends every session again.'
  ])

/** To the new address: the link that moves the account there. */
export const emailChangeConfirmationMail = (to: Email, link: string, ttlHours: number): Mail =>
  withLink(
    "email-change",
    to,
    "Confirm your new email address for GoTicket",
    ["You asked to use this address for your GoTicket account. To confirm that it is yours:"],
    { url: link, label: "Use this address" },
    [
      `The link works once, for ${hours(ttlHours)}. Until then your account keeps its current address.`,
      "If you did not ask for this, ignore this mail: nothing changes."
    ]
  )

/** To the current address: a change was asked for; it happens only if the new address confirms it. */
export const emailChangeNoticeMail = (to: Email, newEmail: Email): Mail =>
  plain("email-change-notice", to, "A change of your GoTicket email address was asked for", [
    `Someone signed in to your GoTicket account asked to change its email address to ${maskEmail(newEmail)}. The change happens only once the link we sent to that address is followed; until then, this address stays the account's.`,
    "If it was you, there is nothing to do here. If it was not, change your password at once: whoever asked knows it."
  ])

/** To a new address that already has an account: no link, nothing changed. */
export const emailChangeTakenMail = (to: Email): Mail =>
  plain("email-change-taken", to, "Someone tried to move a GoTicket account to your email address", [
    "Someone (perhaps you) asked to move a GoTicket account to this email address. This address already has an account, so nothing was changed.",
    "If it was you, log in with this address instead, or choose another address for your other account. If it was not, you can ignore this mail."
  ])

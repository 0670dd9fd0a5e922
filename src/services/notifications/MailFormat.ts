/*
 * The small pieces every notification mail is made of: escaping, amounts, dates, and one plain HTML layout.
 */

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }

/** Text made safe for HTML content and attribute values. Every string from outside (titles, names) goes through it. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char)

/** A header must stay on one line: line breaks and other control characters become spaces. */
export const oneLine = (text: string): string =>
  text
    .replace(/[\p{Cc}\u2028\u2029]+/gu, " ")
    .replace(/\s{2,}/g, " ")
    .trim()

const moneyFormats = new Map<string, { readonly format: Intl.NumberFormat; readonly decimals: number }>()

/** An amount in minor units with its currency, the currency's own number of decimals: 2500 EUR → "€25.00". */
export const formatMoney = (minor: number, currency: string): string => {
  let known = moneyFormats.get(currency)
  if (known === undefined) {
    let format: Intl.NumberFormat
    try {
      format = new Intl.NumberFormat("en-GB", { style: "currency", currency })
    } catch {
      return `${(minor / 100).toFixed(2)} ${currency}`
    }
    known = { format, decimals: format.resolvedOptions().maximumFractionDigits ?? 2 }
    moneyFormats.set(currency, known)
  }
  return known.format.format(minor / 10 ** known.decimals)
}

const timeOptions: Intl.DateTimeFormatOptions = {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZoneName: "short"
}
/** A formatter per time zone (making one costs far more than using it); an unknown zone gets UTC's. */
const timeFormats = new Map<string, Intl.DateTimeFormat>()
const timeFormatOf = (timeZone: string): Intl.DateTimeFormat => {
  let format = timeFormats.get(timeZone)
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat("en-GB", { ...timeOptions, timeZone })
    } catch {
      format = new Intl.DateTimeFormat("en-GB", { ...timeOptions, timeZone: "UTC" })
    }
    // Zones are few (an event's venue's); the bound only guards against a flood of odd names.
    if (timeFormats.size >= 1_000) timeFormats.clear()
    timeFormats.set(timeZone, format)
  }
  return format
}

/** A moment as the venue's clock shows it, with the zone's abbreviation: "Saturday 12 June 2027, 19:30 CEST". */
export const formatEventTime = (at: Date, timeZone: string): string => timeFormatOf(timeZone).format(at)

/** A whole HTML mail: a title, then `body` (already HTML, its text escaped by the caller). */
export const htmlDocument = (title: string, body: string): string =>
  [
    "<!DOCTYPE html>",
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; line-height: 1.5; max-width: 640px;">',
    body,
    '<p style="color: #666666; font-size: 12px;">GoTicket</p>',
    "</body>",
    "</html>"
  ].join("\n")

/** A paragraph of plain text (escaped). */
export const paragraph = (text: string): string => `<p>${escapeHtml(text)}</p>`

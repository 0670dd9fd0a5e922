/**
 * The mail the embedded default has written (no SMTP_URL: `.eml` files under GOTICKET_DATA_DIR/mail), for trying the
 * service out without a mail server:
 *   npm run -s mail              the newest mail, decoded (headers Subject/To and its text)
 *   npm run -s mail -- token     the token of the newest mail that carries one (verification, password reset, email
 *                                change)
 *   npm run -s mail -- link ADDR the link (any of those) of the newest mail to ADDR, waiting up to 10 s for it (the
 *                                mail goes out a moment after register answers)
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

const dir = join(process.env.GOTICKET_DATA_DIR ?? "./.goticket", "mail")

/** Undoes quoted-printable: soft line breaks go, `=XX` becomes its byte (UTF-8 sequences are rebuilt). */
const decodeQuotedPrintable = (text: string) =>
  Buffer.from(
    text
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    "latin1"
  ).toString("utf8")

const newestFirst = (): Array<string> => {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(".eml"))
      .map((name) => join(dir, name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  } catch {
    return []
  }
}

const LINK = /(https?:\/\/\S+?\/(?:verify-email|reset-password|confirm-email)\?token=[\w.%-]+)/

if (process.argv[2] === "link") {
  const address = (process.argv[3] ?? "").toLowerCase()
  if (address === "") {
    console.error("usage: npm run -s mail -- link <address>")
    process.exit(2)
  }
  const deadline = Date.now() + 10_000
  for (;;) {
    const link = newestFirst()
      .map((file) => decodeQuotedPrintable(readFileSync(file, "utf8")))
      .filter((mail) => new RegExp(`^To: .*${address.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "mi").test(mail))
      .map((mail) => LINK.exec(mail)?.[1])
      .find((l) => l !== undefined)
    if (link !== undefined) {
      console.log(link)
      process.exit(0)
    }
    if (Date.now() > deadline) {
      console.error(
        `no mail with a verification link to ${address} in ${dir} (is SMTP_URL set? then look in your mail server)`
      )
      process.exit(1)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const files = newestFirst()
if (files.length === 0) {
  console.error(`no mail in ${dir} (is SMTP_URL set? then look in your mail server)`)
  process.exit(1)
}

const decoded = files.map((file) => decodeQuotedPrintable(readFileSync(file, "utf8")))
if (process.argv[2] === "token") {
  const token = decoded
    .map((mail) => /(?:verify-email|reset-password|confirm-email)\?token=([\w.-]+)/.exec(mail)?.[1])
    .find((t) => t !== undefined)
  if (token === undefined) {
    console.error("no mail carries a verification token")
    process.exit(1)
  }
  console.log(token)
} else {
  const mail = decoded[0] ?? ""
  const headers = mail.split(/\r?\n\r?\n/)[0] ?? ""
  const pick = (name: string) => new RegExp(`^${name}: (.*)$`, "mi").exec(headers)?.[1] ?? ""
  const text = /Content-Type: text\/plain[\s\S]*?\r?\n\r?\n([\s\S]*?)\r?\n--/i.exec(mail)?.[1] ?? mail
  console.log(`To: ${pick("To")}\nSubject: ${pick("Subject")}\n\n${text.trim()}`)
}

/**
 * The mail the embedded default has written (no SMTP_URL: `.eml` files under GOTICKET_DATA_DIR/mail), for trying the
 * service out without a mail server:
 *   npm run -s mail              the newest mail, decoded (headers Subject/To and its text)
 *   npm run -s mail -- token     the verification token of the newest mail that carries one
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

let files: Array<string> = []
try {
  files = readdirSync(dir)
    .filter((name) => name.endsWith(".eml"))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
} catch {}
if (files.length === 0) {
  console.error(`no mail in ${dir} (is SMTP_URL set? then look in your mail server)`)
  process.exit(1)
}

const decoded = files.map((file) => decodeQuotedPrintable(readFileSync(file, "utf8")))
if (process.argv[2] === "token") {
  const token = decoded.map((mail) => /verify-email\?token=([\w.-]+)/.exec(mail)?.[1]).find((t) => t !== undefined)
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

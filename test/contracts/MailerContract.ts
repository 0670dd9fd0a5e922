import { expect, layer } from "@effect/vitest"
import { Context, Effect, type Layer, Result } from "effect"
import { type Mail, type MailAttachment, Mailer } from "../../src/domain/notifications/Mailer.ts"

// ---------------------------------------------------------------------------------------------------------------
// A minimal reader of RFC 5322 / MIME messages: enough to check what an adapter really produced (headers, encoded
// words, multipart trees, base64 and quoted-printable bodies). Not a general parser: UTF-8 and ASCII only.
// ---------------------------------------------------------------------------------------------------------------

export interface MimePart {
  /** Lower-cased header names; a repeated header keeps its first value. Values unfolded and decoded (RFC 2047). */
  readonly headers: ReadonlyMap<string, string>
  /** Every header name, in order, with repeats (to spot one that should not be there). */
  readonly headerNames: ReadonlyArray<string>
  /** The content-transfer-decoded body of a leaf; empty for a multipart. */
  readonly body: Buffer
  readonly parts: ReadonlyArray<MimePart>
}

const decodeQuotedPrintable = (text: string, underscoreIsSpace: boolean): Buffer => {
  const bytes: Array<number> = []
  const source = text.replace(/=\r?\n/g, "")
  for (let i = 0; i < source.length; i++) {
    const char = source[i] ?? ""
    const hex = source.slice(i + 1, i + 3)
    if (char === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16))
      i += 2
    } else if (char === "_" && underscoreIsSpace) bytes.push(0x20)
    else bytes.push(char.charCodeAt(0) & 0xff)
  }
  return Buffer.from(bytes)
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`), adjacent ones joined. Header bytes are read as UTF-8. */
export const decodeHeaderValue = (value: string): string =>
  Buffer.from(value, "latin1")
    .toString("utf8")
    .replace(/(\?=)\s+(?==\?)/g, "$1")
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _charset: string, encoding: string, text: string) =>
      (encoding.toUpperCase() === "B" ? Buffer.from(text, "base64") : decodeQuotedPrintable(text, true)).toString(
        "utf8"
      )
    )

/** A parameter of a structured header (`boundary`, `filename`, `name`), quoted or not. */
export const headerParameter = (value: string | undefined, name: string): string | undefined => {
  const match = new RegExp(`;\\s*${name}\\*?=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, "i").exec(value ?? "")
  return match === null ? undefined : (match[1] ?? match[2])
}

/** Parses one entity (a whole message or a part of one), read as latin1 so that every byte stays itself. */
const parseEntity = (entity: string): MimePart => {
  const split = /\r?\n\r?\n/.exec(entity)
  const head = split === null ? entity : entity.slice(0, split.index)
  const content = split === null ? "" : entity.slice(split.index + split[0].length)
  const headers = new Map<string, string>()
  const headerNames: Array<string> = []
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":")
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    headerNames.push(name)
    if (!headers.has(name)) headers.set(name, decodeHeaderValue(line.slice(colon + 1).trim()))
  }
  const contentType = headers.get("content-type") ?? "text/plain"
  const boundary = headerParameter(contentType, "boundary")
  if (contentType.toLowerCase().startsWith("multipart/") && boundary !== undefined) {
    const parts: Array<MimePart> = []
    let current: Array<string> | undefined
    for (const line of content.split(/\r?\n/)) {
      if (line.trimEnd() === `--${boundary}--`) break
      if (line.trimEnd() === `--${boundary}`) {
        if (current !== undefined) parts.push(parseEntity(current.join("\r\n")))
        current = []
      } else current?.push(line)
    }
    if (current !== undefined) parts.push(parseEntity(current.join("\r\n")))
    return { headers, headerNames, body: Buffer.alloc(0), parts }
  }
  const encoding = (headers.get("content-transfer-encoding") ?? "7bit").toLowerCase()
  const body =
    encoding === "base64"
      ? Buffer.from(content.replace(/\s+/g, ""), "base64")
      : encoding === "quoted-printable"
        ? decodeQuotedPrintable(content, false)
        : Buffer.from(content, "latin1")
  return { headers, headerNames, body, parts: [] }
}

export const parseMime = (raw: Uint8Array): MimePart => parseEntity(Buffer.from(raw).toString("latin1"))

/** The leaves of a MIME tree, depth first. */
export const leavesOf = (part: MimePart): ReadonlyArray<MimePart> =>
  part.parts.length === 0 ? [part] : part.parts.flatMap(leavesOf)

// ---------------------------------------------------------------------------------------------------------------
// The contract.
// ---------------------------------------------------------------------------------------------------------------

/** A mail as its recipient's side reads it back (from the SMTP server, the .eml file or the in-memory mailbox). */
export interface DeliveredMail {
  readonly messageId: string
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html: string
  readonly attachments: ReadonlyArray<MailAttachment>
  /** Header names of the message (lower case, repeats kept); empty where there are no headers (in memory). */
  readonly headerNames: ReadonlyArray<string>
}

/** A raw RFC 5322 message as a DeliveredMail: text and HTML are the first such leaves not sent as attachments. */
export const readDelivered = (raw: Uint8Array): DeliveredMail => {
  const root = parseMime(raw)
  const leaves = leavesOf(root)
  const typeOf = (leaf: MimePart) => (leaf.headers.get("content-type") ?? "text/plain").split(";")[0]?.trim() ?? ""
  const isAttachment = (leaf: MimePart) =>
    leaf.headers.has("content-id") || /^(attachment|inline)\b/i.test(leaf.headers.get("content-disposition") ?? "")
  const body = (type: string) =>
    leaves.find((leaf) => !isAttachment(leaf) && typeOf(leaf) === type)?.body.toString("utf8") ?? ""
  return {
    messageId: root.headers.get("message-id") ?? "",
    to: root.headers.get("to") ?? "",
    subject: root.headers.get("subject") ?? "",
    text: body("text/plain"),
    html: body("text/html"),
    attachments: leaves.filter(isAttachment).map((leaf) => {
      const contentId = leaf.headers.get("content-id")?.replace(/^<(.*)>$/, "$1")
      return {
        filename:
          headerParameter(leaf.headers.get("content-disposition"), "filename") ??
          headerParameter(leaf.headers.get("content-type"), "name") ??
          "",
        contentType: typeOf(leaf),
        content: new Uint8Array(leaf.body),
        ...(contentId === undefined ? {} : { contentId })
      }
    }),
    headerNames: root.headerNames
  }
}

/** What the contract needs besides the port: a way to read back what was delivered, and a broken twin. */
export interface MailerHarnessShape {
  /** Every delivery so far of a mail with this Message-ID, as the recipient's side reads it. */
  readonly deliveries: (messageId: string) => Effect.Effect<ReadonlyArray<DeliveredMail>>
  /**
   * What sending the same mail again leaves: `replaced` (one delivery, the later one: a file per Message-ID) or
   * `repeated` (two deliveries with the same Message-ID, which the receiving side can recognise).
   */
  readonly resend: "replaced" | "repeated"
  /** The same adapter, unable to deliver (server down, directory not writable, outage). */
  readonly unreachable: Layer.Layer<Mailer>
}

export class MailerHarness extends Context.Service<MailerHarness, MailerHarnessShape>()("test/MailerHarness") {}

/** A 1×1 PNG (a real one, so that a mail client would show it). */
export const TINY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64"
)

/** Every byte value, to check that binary content survives the transfer encoding. */
const EVERY_BYTE = new Uint8Array(Array.from({ length: 512 }, (_, i) => i % 256))

const freshId = () => `<${crypto.randomUUID()}@contract.goticket>`

export const aMail = (overrides: Partial<Mail> = {}): Mail => ({
  messageId: freshId(),
  to: "ada@example.com",
  subject: "Your tickets for Café Müller — 2 × GA ✓",
  text: "Hello Ada,\n\nyour two tickets are below.\nCode: GT1.abc.def\n",
  html: '<p>Hello Ada,</p><p>Your ticket:</p><img src="cid:qr-1@goticket" alt="QR code"><p>Code: GT1.abc.def</p>',
  attachments: [
    { filename: "ticket-1.png", contentType: "image/png", content: TINY_PNG, contentId: "qr-1@goticket" },
    { filename: "receipt.pdf", contentType: "application/pdf", content: EVERY_BYTE }
  ],
  ...overrides
})

/** Line ends as the wire has them (CRLF) or as they were given (LF); a final line end is not content. */
const lines = (text: string) => text.replace(/\r\n/g, "\n").replace(/\n+$/, "")

const sameContent = (delivered: DeliveredMail, mail: Mail) => {
  expect(delivered.messageId).toBe(mail.messageId)
  expect(delivered.to).toContain(mail.to)
  expect(delivered.subject).toBe(mail.subject)
  expect(lines(delivered.text)).toBe(lines(mail.text))
  expect(lines(delivered.html)).toBe(lines(mail.html))
  const attachments = (list: ReadonlyArray<MailAttachment>) =>
    list
      .map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        contentId: a.contentId ?? null,
        content: Buffer.from(a.content).toString("base64")
      }))
      .sort((a, b) => a.filename.localeCompare(b.filename))
  expect(attachments(delivered.attachments)).toEqual(attachments(mail.attachments))
}

const sendAll = (mails: ReadonlyArray<Mail>) =>
  Effect.flatMap(Mailer, (mailer) => Effect.forEach(mails, mailer.send, { concurrency: "unbounded", discard: true }))

/** One contract, every adapter: what any Mailer must do. */
export const mailerContract = (name: string, adapters: Layer.Layer<Mailer | MailerHarness, unknown>) =>
  layer(adapters, { timeout: "30 seconds", excludeTestServices: true })(`Mailer contract: ${name}`, (it) => {
    it.effect("a mail arrives with its To, Subject, Message-ID, text and HTML parts and its attachments", () =>
      Effect.gen(function* () {
        const harness = yield* MailerHarness
        const mail = aMail()
        yield* sendAll([mail])
        const [delivered, ...more] = yield* harness.deliveries(mail.messageId)
        expect(more).toHaveLength(0)
        if (delivered === undefined) return expect.fail("nothing was delivered")
        sameContent(delivered, mail)
        // The inline image is the one the HTML shows, under its content id.
        const inline = delivered.attachments.filter((a) => a.contentId !== undefined)
        expect(inline.map((a) => [a.contentType, a.contentId])).toEqual([["image/png", "qr-1@goticket"]])
        expect(delivered.html).toContain(`cid:${inline[0]?.contentId}`)
      })
    )

    it.effect("long lines, non-ASCII text and an empty attachment list arrive unchanged", () =>
      Effect.gen(function* () {
        const harness = yield* MailerHarness
        const long = `${"Zürich ".repeat(200)}end`
        const mail = aMail({
          to: "zoe.o'brien+tickets@example.com",
          subject: `Grüße: «${"x".repeat(150)}» 🎫`,
          text: `${long}\n.\nA line that is only a dot, above (SMTP dot-stuffing).\n`,
          html: `<p>${long}</p>\n<p>日本語のテキスト</p>`,
          attachments: []
        })
        yield* sendAll([mail])
        const delivered = yield* harness.deliveries(mail.messageId)
        expect(delivered).toHaveLength(1)
        if (delivered[0] !== undefined) sameContent(delivered[0], mail)
      })
    )

    it.effect("sending the same mail twice is recognisable: the same Message-ID, the same content", () =>
      Effect.gen(function* () {
        const harness = yield* MailerHarness
        const mail = aMail()
        yield* sendAll([mail])
        yield* sendAll([mail])
        const delivered = yield* harness.deliveries(mail.messageId)
        expect(delivered).toHaveLength(harness.resend === "replaced" ? 1 : 2)
        for (const each of delivered) sameContent(each, mail)
      })
    )

    it.effect("mails sent at the same time all arrive, each once", () =>
      Effect.gen(function* () {
        const harness = yield* MailerHarness
        const mails = Array.from({ length: 6 }, (_, i) => aMail({ subject: `Mail ${i}`, to: `user${i}@example.com` }))
        yield* sendAll(mails)
        for (const mail of mails) {
          const delivered = yield* harness.deliveries(mail.messageId)
          expect(delivered.map((d) => d.subject)).toEqual([mail.subject])
          expect(delivered[0]?.to).toContain(mail.to)
        }
      })
    )

    it.effect("an adapter that cannot deliver fails with MailNotSent, quickly, and says why", () =>
      Effect.gen(function* () {
        const harness = yield* MailerHarness
        const started = Date.now()
        const result = yield* Effect.result(Effect.provide(sendAll([aMail()]), harness.unreachable))
        const elapsed = Date.now() - started
        if (Result.isSuccess(result)) return expect.fail("the mail was sent")
        expect(result.failure._tag).toBe("MailNotSent")
        expect(result.failure.message.length).toBeGreaterThan(10)
        expect(elapsed).toBeLessThan(3_000)
      })
    )
  })

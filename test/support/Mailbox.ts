import { readdir, readFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import type { SmtpSinkShape } from "./SmtpSink.ts"

/** Where a test reads the mail the service sent: an SMTP server, or the directory of the file mailer. */
export interface Mailbox {
  /** Every message received so far (raw RFC 5322 text), once there are at least `count`; dies after `timeoutMs`. */
  readonly atLeast: (count: number, timeoutMs: number) => Effect.Effect<ReadonlyArray<string>>
  readonly all: Effect.Effect<ReadonlyArray<string>>
}

export const smtpMailbox = (sink: SmtpSinkShape): Mailbox => ({
  atLeast: (count, timeoutMs) =>
    Effect.map(sink.awaitMessages(count, `${timeoutMs} millis`), (all) => all.map((m) => m.raw.toString("utf8"))),
  all: Effect.map(sink.messages, (all) => all.map((m) => m.raw.toString("utf8")))
})

export const directoryMailbox = (directory: string): Mailbox => {
  const all = Effect.promise(async () => {
    const names = await readdir(directory).catch(() => [] as string[])
    return Promise.all(names.filter((n) => n.endsWith(".eml")).map((n) => readFile(join(directory, n), "utf8")))
  })
  return {
    all,
    atLeast: (count, timeoutMs) =>
      Effect.gen(function* () {
        const deadline = Date.now() + timeoutMs
        for (;;) {
          const mails = yield* all
          if (mails.length >= count) return mails
          if (Date.now() > deadline)
            return yield* Effect.die(
              new Error(`${directory} holds ${mails.length} mail(s), not ${count}, after ${timeoutMs} ms`)
            )
          yield* Effect.sleep("20 millis")
        }
      })
  }
}

import { Context, Effect, Layer, Ref } from "effect"
import { type Mail, Mailer, MailNotSent } from "../../domain/notifications/Mailer.ts"

/** Test controls of the in-memory Mailer: what it was given, and an outage to simulate. */
export interface MemoryMailboxShape {
  /** Every mail handed over, in order; one sent twice appears twice. */
  readonly sent: Effect.Effect<ReadonlyArray<Mail>>
  /** The mails sent with this Message-ID, in order. */
  readonly withMessageId: (messageId: string) => Effect.Effect<ReadonlyArray<Mail>>
  /** Forgets what was sent. */
  readonly clear: Effect.Effect<void>
  /** While a reason is set, every send fails with MailNotSent(reason) and keeps nothing; null ends the outage. */
  readonly failWith: (reason: string | null) => Effect.Effect<void>
}

export class MemoryMailbox extends Context.Service<MemoryMailbox, MemoryMailboxShape>()("goticket/MemoryMailbox") {}

/** A fresh in-memory Mailer and its mailbox. */
export const makeMailerMemory = Effect.gen(function* () {
  const sent = yield* Ref.make<ReadonlyArray<Mail>>([])
  const outage = yield* Ref.make<string | null>(null)

  const send = Effect.fn("MailerMemory.send")(function* (mail: Mail) {
    yield* Effect.annotateCurrentSpan({ "mail.message_id": mail.messageId })
    const reason = yield* Ref.get(outage)
    if (reason !== null) return yield* new MailNotSent({ message: reason })
    // A copy: what the sender does with its buffers afterwards does not change what was sent.
    const copy: Mail = {
      ...mail,
      attachments: mail.attachments.map((attachment) => ({ ...attachment, content: attachment.content.slice() }))
    }
    yield* Ref.update(sent, (all) => [...all, copy])
  })

  const mailbox = MemoryMailbox.of({
    sent: Ref.get(sent),
    withMessageId: (messageId) => Effect.map(Ref.get(sent), (all) => all.filter((m) => m.messageId === messageId)),
    clear: Ref.set(sent, []),
    failWith: (reason) => Ref.set(outage, reason)
  })
  return Context.make(Mailer, Mailer.of({ send })).pipe(Context.add(MemoryMailbox, mailbox))
})

/** The in-memory Mailer, with its MemoryMailbox for tests to read what was sent. A fresh mailbox per build. */
export const MailerMemory: Layer.Layer<Mailer | MemoryMailbox> = Layer.effectContext(makeMailerMemory)

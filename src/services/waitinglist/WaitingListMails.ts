import { Context, Effect, Layer, Option } from "effect"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import { EventRepository } from "../../domain/catalog/EventRepository.ts"
import type { WaitingListOffered } from "../../domain/events/DomainEvents.ts"
import { Mailer } from "../../domain/notifications/Mailer.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"
import { VoucherRepository } from "../../domain/vouchers/VoucherRepository.ts"
import { escapeHtml, formatEventTime, htmlDocument, oneLine, paragraph } from "../notifications/MailFormat.ts"

/**
 * The mail of a waiting-list offer, from its WaitingListOffered event: the customer's address and the offer's code
 * as they are now (an erased account gets nothing). The Message-ID comes from the event, so a mail sent again after
 * a crash is recognisable as the same one.
 */
export class WaitingListMails extends Context.Service<WaitingListMails>()("goticket/WaitingListMails", {
  make: Effect.gen(function* () {
    const users = yield* UserRepository
    const events = yield* EventRepository
    const vouchers = yield* VoucherRepository
    const mailer = yield* Mailer

    const offer = Effect.fn("WaitingListMails.offer")(function* (offered: WaitingListOffered, envelopeId: string) {
      const user = yield* users.findById(offered.customerId)
      const event = yield* events.findById(offered.eventId)
      if (Option.isNone(user) || Option.isNone(event) || isErasedEmail(user.value.email)) return false
      const voucher = (yield* vouchers.listForEvent(offered.eventId)).find((v) => v.id === offered.voucherId)
      if (voucher === undefined) return false
      const type = (yield* events.listTicketTypes(offered.eventId)).find((t) => t.id === offered.ticketTypeId)
      const show = event.value
      const until = formatEventTime(offered.expiresAt, show.venue.timezone)
      const subject = oneLine(`A ticket for ${show.title} is waiting for you`)
      const lines = [
        `A ${type?.name ?? "ticket"} ticket for ${show.title} came back, and you are next on its waiting list.`,
        `It is kept for you until ${until}: hold it with the voucher code ${voucher.code} (only your account can use it).`,
        "If you do not hold it in time, it goes to the next person in line."
      ]
      yield* mailer.send({
        messageId: `<waiting-list-${envelopeId}@goticket>`,
        to: user.value.email,
        subject,
        text: `${lines.join("\n")}\n`,
        html: htmlDocument(
          subject,
          [
            paragraph(lines[0] as string),
            `<p>It is kept for you until ${escapeHtml(until)}: hold it with the voucher code <strong>${escapeHtml(voucher.code)}</strong> (only your account can use it).</p>`,
            paragraph(lines[2] as string)
          ].join("")
        ),
        attachments: []
      })
      yield* Effect.logInfo("waiting-list offer mailed").pipe(Effect.annotateLogs({ entryId: offered.entryId }))
      return true
    })

    return { offer } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

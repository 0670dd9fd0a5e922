import { Effect, Option } from "effect"
import { Mailer } from "../../domain/notifications/Mailer.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"
import type { Consumer } from "../events/EventConsumers.ts"
import { type NotificationMailRequirements, notificationMailFor } from "./NotificationMails.ts"

/**
 * Mails the customer: the order confirmation with the tickets (codes and QR images), refund and cancellation
 * notices. A mail that cannot be handed over fails the delivery, which is retried; its Message-ID comes from the
 * event, so a resend after a crash is recognisable as the same mail. Erased accounts get nothing. The mail is made
 * and handed over with no database transaction open (`effects: "outside"`): rendering QR images and talking to
 * the mail server must not hold one of the API's connections.
 */
export const notificationsConsumer: Consumer<NotificationMailRequirements | Mailer> = {
  name: "notifications",
  eventTypes: ["OrderConfirmed", "OrderRefunded", "OrderCancelled"],
  effects: "outside",
  handle: (event, envelope) =>
    Effect.gen(function* () {
      const mail = yield* notificationMailFor(event, envelope.id)
      // An erased account has no address any more: its refund still happens, unannounced.
      if (Option.isNone(mail) || isErasedEmail(mail.value.to)) return
      yield* (yield* Mailer).send(mail.value)
      yield* Effect.logInfo("notification mailed").pipe(Effect.annotateLogs({ messageId: mail.value.messageId }))
    })
}

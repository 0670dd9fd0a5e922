import { Effect } from "effect"
import type { Consumer } from "../events/EventConsumers.ts"
import { RegistrationMails } from "./RegistrationMails.ts"

/**
 * Mails each registration its confirmation link, from the AccountRegistered event the registration committed with
 * its account (migrations/0022): a process that stops after answering leaves the event, and the next relay sends it.
 * Through the inbox, once per event however often it is delivered; the mail is made and handed over with no
 * database transaction open (`effects: "outside"`). With EMAIL_VERIFICATION=off the events are skipped.
 */
export const registrationMailsConsumer: Consumer<RegistrationMails> = {
  name: "registration-mails",
  eventTypes: ["AccountRegistered"],
  effects: "outside",
  wanted: () => Effect.map(RegistrationMails, (mails) => mails.mailsRegistrations),
  handle: (event, envelope) =>
    event._tag === "AccountRegistered"
      ? Effect.flatMap(RegistrationMails, (mails) => mails.confirm(event, envelope.id))
      : Effect.void
}

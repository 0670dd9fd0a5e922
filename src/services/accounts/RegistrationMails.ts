import { Context, Effect, Layer, Option } from "effect"
import { UserRepository } from "../../domain/accounts/UserRepository.ts"
import type { AccountRegistered } from "../../domain/events/DomainEvents.ts"
import { Mailer, MailNotSent } from "../../domain/notifications/Mailer.ts"
import { isErasedEmail } from "../../domain/privacy/Erasure.ts"
import { maskEmail } from "../../domain/shared/Redaction.ts"
import { MailThrottle } from "../security/MailThrottle.ts"
import { scrubbed } from "./AccountMailSender.ts"
import { AccountsConfig } from "./AccountsConfig.ts"
import { makeVerificationMails } from "./VerificationMails.ts"

/**
 * A registration's confirmation mail, from its AccountRegistered event: the account as it is now gets the mail, at
 * its address, if that is still unconfirmed (an account confirmed or erased meanwhile gets nothing), within the
 * address's ACCOUNT_MAILS_PER_HOUR. The Message-ID comes from the event, so a
 * mail sent again after a crash is recognisable as the same one.
 */
export class RegistrationMails extends Context.Service<RegistrationMails>()("goticket/RegistrationMails", {
  make: Effect.gen(function* () {
    const users = yield* UserRepository
    const mailer = yield* Mailer
    const mailThrottle = yield* MailThrottle
    const { emailVerification } = yield* AccountsConfig
    const verification = yield* makeVerificationMails

    /**
     * Mails the confirmation link; answers whether a mail went out. Fails when the mailer did not take it (its reason
     * with the address masked and no token: the delivery is retried, and the failure logged).
     */
    const confirm = Effect.fn("RegistrationMails.confirm")(function* (event: AccountRegistered, eventId: string) {
      const found = yield* users.findById(event.userId)
      if (Option.isNone(found)) return false
      const user = found.value
      if (Option.isSome(user.emailVerifiedAt) || isErasedEmail(user.email)) return false
      const log = Effect.annotateLogs({ mail: "verification", to: maskEmail(user.email) })
      if (!(yield* mailThrottle.allow(user.email))) {
        yield* Effect.logWarning("account mail not sent: this address had its hourly share").pipe(log)
        return false
      }
      const mail = yield* verification.mailFor(user, `<account-verification-${eventId}@goticket>`)
      yield* mailer
        .send(mail)
        .pipe(Effect.mapError((e) => new MailNotSent({ message: scrubbed(e.message, user.email) })))
      yield* Effect.logInfo("registration mailed").pipe(log)
      return true
    })

    return {
      /** Whether registrations get a mail at all (EMAIL_VERIFICATION=required). */
      mailsRegistrations: emailVerification === "required",
      confirm
    } as const
  })
}) {
  static readonly layer = Layer.effect(this, this.make)
}

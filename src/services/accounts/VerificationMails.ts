import { Effect } from "effect"
import type { User } from "../../domain/accounts/User.ts"
import type { Mail } from "../../domain/notifications/Mailer.ts"
import { now } from "../../domain/shared/Now.ts"
import { verificationLink, verificationMail } from "./AccountMails.ts"
import { AccountsConfig } from "./AccountsConfig.ts"
import { loadEmailVerificationTokens } from "./EmailVerificationTokens.ts"
import { PublicBaseUrl } from "./PublicBaseUrl.ts"

/**
 * The mail that confirms an account's address, with a link made as the mail is (stateless token, valid
 * EMAIL_VERIFICATION_TTL_HOURS from then). Used for a registration's mail (from its AccountRegistered event) and for a
 * resend asked for on the log-in page.
 */
export const makeVerificationMails = Effect.gen(function* () {
  const { emailVerificationTtlHours } = yield* AccountsConfig
  const publicBaseUrl = yield* PublicBaseUrl
  const tokens = yield* loadEmailVerificationTokens

  /** The mail to the account's address; `messageId` when the mail must be recognisable if sent again. */
  const mailFor = (user: User, messageId?: string): Effect.Effect<Mail> =>
    Effect.gen(function* () {
      const { token } = tokens.issue(user.id, user.email, yield* now)
      const link = verificationLink(yield* publicBaseUrl.get, token)
      return verificationMail(user.email, link, emailVerificationTtlHours, messageId)
    })

  return { mailFor } as const
})

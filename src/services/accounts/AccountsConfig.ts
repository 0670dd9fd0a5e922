import { Config } from "effect"
import { bounded } from "../config/bounded.ts"
import { validate } from "../config/validate.ts"

/**
 * EMAIL_VERIFICATION: `required` (the default) or `off`.
 * - `required`: registration answers the same 202 whether or not the address already has an account, and mails the
 *   address a confirmation link (an unverified account is taken over by the new registration; a verified one only
 *   gets a notice); an account logs in only once confirmed.
 * - `off`: for development and load tests only. Registration answers 201 with the new account (409 for a known
 *   address, which tells anyone whether an address has an account) and accounts log in without confirming.
 */
export const EmailVerificationMode = Config.Literals(["required", "off"], "EMAIL_VERIFICATION").pipe(
  Config.withDefault("required" as const)
)
export type EmailVerificationMode = Config.Success<typeof EmailVerificationMode>

/** The accounts' settings; README.md lists them. */
export const AccountsConfig = Config.all({
  emailVerification: EmailVerificationMode,
  /** How long a mailed confirmation link stays valid. */
  emailVerificationTtlHours: bounded("EMAIL_VERIFICATION_TTL_HOURS", 48, 1, 720, "hours"),
  /**
   * Where people open the links in mails (the shop's web front), without a trailing slash. Unset: the service's own
   * address, which answers the links itself (PublicBaseUrl).
   */
  publicBaseUrl: Config.String("PUBLIC_BASE_URL").pipe(
    validate({
      message: "PUBLIC_BASE_URL must be an http(s) URL such as https://tickets.example.com",
      validation: (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)
    }),
    Config.map((value) => value.replace(/\/+$/, "")),
    Config.option
  )
})

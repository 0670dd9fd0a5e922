import { Config } from "effect"
import { bounded } from "../config/bounded.ts"

/** The settings of account recovery and security settings; README.md lists them. */
export const AccountSecurityConfig = Config.all({
  /** How long a mailed password reset link works. */
  passwordResetTtlMinutes: bounded("PASSWORD_RESET_TTL_MINUTES", 30, 5, 1440, "minutes"),
  /** How long the link confirming a new email address works. */
  emailChangeTtlHours: bounded("EMAIL_CHANGE_TTL_HOURS", 24, 1, 168, "hours"),
  /** How long the challenge of a login with two-factor authentication waits for its code. */
  twoFactorChallengeTtlSeconds: bounded("TWO_FACTOR_CHALLENGE_TTL_SECONDS", 300, 60, 1800, "seconds")
})
export type AccountSecurityConfig = Config.Success<typeof AccountSecurityConfig>

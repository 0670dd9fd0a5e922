import { Schema } from "effect"
import { withDefault } from "../shared/Defaults.ts"
import { SecurityTokenPurpose } from "./SecurityTokens.ts"

/** Why a one-time account token was refused. */
export const SecurityTokenRejection = Schema.Literals(["invalid", "expired", "used"])
export type SecurityTokenRejection = typeof SecurityTokenRejection.Type

const what: Record<SecurityTokenPurpose, { readonly thing: string; readonly again: string }> = {
  password_reset: { thing: "password reset link", again: "ask for a new one (POST /v1/auth/password-reset)" },
  email_change: { thing: "email change link", again: "ask for the change again (POST /v1/me/email)" },
  login_challenge: { thing: "two-factor login challenge", again: "log in again with your password" }
}

const messageOf = (purpose: SecurityTokenPurpose, reason: SecurityTokenRejection): string => {
  const { thing, again } = what[purpose]
  switch (reason) {
    case "invalid":
      return `The ${thing} is invalid (incomplete, altered or withdrawn); ${again}`
    case "expired":
      return `The ${thing} has expired; ${again}`
    case "used":
      return `The ${thing} was already used and works only once; ${again}`
  }
}

/** A one-time account token that is unknown, withdrawn, already used or expired. */
export class SecurityTokenRejected extends Schema.TaggedError<SecurityTokenRejected>()("SecurityTokenRejected", {
  purpose: SecurityTokenPurpose,
  reason: SecurityTokenRejection,
  message: Schema.String
}) {
  static readonly because = (purpose: SecurityTokenPurpose, reason: SecurityTokenRejection) =>
    new SecurityTokenRejected({ purpose, reason, message: messageOf(purpose, reason) })
}

/** A two-factor code (from the authenticator app, or a recovery code) that is wrong, malformed or already used. */
export class InvalidTwoFactorCode extends Schema.TaggedError<InvalidTwoFactorCode>()("InvalidTwoFactorCode", {
  message: withDefault(
    Schema.String,
    () =>
      "The code is not right: enter the 6-digit code your authenticator app shows now (each code works once), or one of your unused recovery codes"
  )
}) {}

/** Two-factor authentication is for organizer and admin accounts. */
export class TwoFactorNotAvailable extends Schema.TaggedError<TwoFactorNotAvailable>()("TwoFactorNotAvailable", {
  message: withDefault(Schema.String, () => "Two-factor authentication is available to organizer and admin accounts")
}) {}

/** Where an account's two-factor set-up stands, when it is not where the request needs it. */
export const TwoFactorConflictReason = Schema.Literals(["already_enabled", "not_enrolling", "not_enabled"])
export type TwoFactorConflictReason = typeof TwoFactorConflictReason.Type

const conflictMessages: Record<TwoFactorConflictReason, string> = {
  already_enabled:
    "Two-factor authentication is already on for this account; turn it off first to enrol another authenticator",
  not_enrolling: "There is no enrolment to confirm: start one first (POST /v1/me/two-factor/enrolment)",
  not_enabled: "Two-factor authentication is not on for this account"
}

export class TwoFactorConflict extends Schema.TaggedError<TwoFactorConflict>()("TwoFactorConflict", {
  reason: TwoFactorConflictReason,
  message: Schema.String
}) {
  static readonly because = (reason: TwoFactorConflictReason) =>
    new TwoFactorConflict({ reason, message: conflictMessages[reason] })
}

/** An email change that cannot be asked for: the new address is the one the account has. */
export class EmailChangeRefused extends Schema.TaggedError<EmailChangeRefused>()("EmailChangeRefused", {
  message: withDefault(Schema.String, () => "The new email address is the one this account already has")
}) {}

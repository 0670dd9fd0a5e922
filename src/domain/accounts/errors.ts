import { Schema } from "effect"
import { withDefault } from "../shared/Defaults.ts"

export class EmailAlreadyRegistered extends Schema.TaggedError<EmailAlreadyRegistered>()("EmailAlreadyRegistered", {
  message: withDefault(Schema.String, () => "An account with this email already exists")
}) {}

/** One answer for unknown email and wrong password, so login cannot be used to find accounts. */
export class InvalidCredentials extends Schema.TaggedError<InvalidCredentials>()("InvalidCredentials", {
  message: withDefault(Schema.String, () => "Email or password is incorrect")
}) {}

/**
 * The password is right but the address was never confirmed. Only someone who knows the password learns from it that
 * the account exists.
 */
export class EmailNotVerified extends Schema.TaggedError<EmailNotVerified>()("EmailNotVerified", {
  message: withDefault(
    Schema.String,
    () =>
      "Confirm your email address first: we sent you a link when you registered (POST /v1/auth/resend-verification sends a new one)"
  )
}) {}

/** Why an email verification token was refused. */
export const VerificationTokenRejection = Schema.Literals(["invalid", "expired"])
export type VerificationTokenRejection = typeof VerificationTokenRejection.Type

const verificationMessages: Record<VerificationTokenRejection, string> = {
  invalid: "The verification link is invalid (incomplete, altered, or for another address); ask for a new one",
  expired: "The verification link has expired; ask for a new one (POST /v1/auth/resend-verification)"
}

/** An email verification token that is malformed, tampered with, for an address the account no longer has, or expired. */
export class InvalidVerificationToken extends Schema.TaggedError<InvalidVerificationToken>()(
  "InvalidVerificationToken",
  { reason: VerificationTokenRejection, message: Schema.String }
) {
  static readonly because = (reason: VerificationTokenRejection) =>
    new InvalidVerificationToken({ reason, message: verificationMessages[reason] })
}

export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  message: Schema.String
}) {}

export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String
}) {}

export class UserNotFound extends Schema.TaggedError<UserNotFound>()("UserNotFound", {
  message: Schema.String
}) {}

/** Why a refresh token was refused: every reason means "log in again". */
export const RefreshTokenRejection = Schema.Literals(["unknown", "expired", "revoked", "reused"])
export type RefreshTokenRejection = typeof RefreshTokenRejection.Type

const rejectionMessages: Record<RefreshTokenRejection, string> = {
  unknown: "the refresh token is invalid; log in again",
  expired: "the refresh token has expired; log in again",
  revoked: "the refresh token has been revoked; log in again",
  reused:
    "the refresh token was already used: as it may have been stolen, every session of this login is ended; log in again"
}

/** A refresh token that cannot be exchanged (unknown, expired, revoked, or already used). */
export class RefreshTokenRejected extends Schema.TaggedError<RefreshTokenRejected>()("RefreshTokenRejected", {
  reason: RefreshTokenRejection,
  message: Schema.String
}) {
  static readonly because = (reason: RefreshTokenRejection, message = rejectionMessages[reason]) =>
    new RefreshTokenRejected({ reason, message })
}

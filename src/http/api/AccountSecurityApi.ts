import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { EmailAlreadyRegistered, InvalidCredentials } from "../../domain/accounts/errors.ts"
import {
  EmailChangeRefused,
  InvalidTwoFactorCode,
  SecurityTokenRejected,
  TwoFactorConflict,
  TwoFactorNotAvailable
} from "../../domain/accounts/securityErrors.ts"
import { Email, Password } from "../../domain/accounts/User.ts"
import { Timestamp } from "../../domain/shared/Text.ts"
import { Authentication } from "./Authentication.ts"
import { RateLimited } from "./errors.ts"
import { payload } from "./payload.ts"
import { AccessTokenView, UserView } from "./views.ts"

/** A one-time token from a mailed link or a login challenge (`gts_` and 43 characters); far longer is refused. */
export const SecurityTokenString = Schema.String.check(
  Schema.isMinLength(1, { message: "must not be empty" }),
  Schema.isMaxLength(128, { message: "must be at most 128 characters" })
).annotate({ description: "A one-time token (`gts_…`) from a mailed link or a login challenge" })

/** A password as typed to prove it (not a new one: its rules are the ones it was chosen under). */
const CurrentPassword = Schema.String.check(Schema.isMaxLength(256, { message: "must be at most 256 characters" }))

/** A code from an authenticator app (6 digits) or a recovery code (`xxxxx-xxxxx`). */
export const TwoFactorCodeString = Schema.String.check(
  Schema.isMinLength(1, { message: "must not be empty" }),
  Schema.isMaxLength(32, { message: "must be at most 32 characters" })
).annotate({ description: "The 6-digit code of the authenticator app, or an unused recovery code (xxxxx-xxxxx)" })

export const PasswordResetRequest = payload(Schema.Struct({ email: Email }), "PasswordResetRequest")
export const PasswordResetConfirmRequest = payload(
  Schema.Struct({ token: SecurityTokenString, newPassword: Password }),
  "PasswordResetConfirmRequest"
)
export const EmailChangeConfirmRequest = payload(
  Schema.Struct({ token: SecurityTokenString }),
  "EmailChangeConfirmRequest"
)
export const TwoFactorLoginRequest = payload(
  Schema.Struct({ challengeToken: SecurityTokenString, code: TwoFactorCodeString }),
  "TwoFactorLoginRequest"
)
export const ChangePasswordRequest = payload(
  Schema.Struct({ currentPassword: CurrentPassword, newPassword: Password }),
  "ChangePasswordRequest"
)
export const ChangeEmailRequest = payload(
  Schema.Struct({ newEmail: Email, password: CurrentPassword }),
  "ChangeEmailRequest"
)
export const TwoFactorEnrolRequest = payload(Schema.Struct({ password: CurrentPassword }), "TwoFactorEnrolRequest")
export const TwoFactorConfirmRequest = payload(Schema.Struct({ code: TwoFactorCodeString }), "TwoFactorConfirmRequest")
export const TwoFactorDisableRequest = payload(
  Schema.Struct({ password: CurrentPassword, code: TwoFactorCodeString }),
  "TwoFactorDisableRequest"
)

/** What a request that mails something answers, whatever happened: it tells nothing about other accounts. */
export const MailSentView = Schema.Struct({
  status: Schema.Literals(["reset_requested", "confirmation_sent"]),
  message: Schema.String
}).annotate({ identifier: "MailSent" })

/** The answer of a right password when two-factor authentication is on: the code is asked for next. */
export const TwoFactorChallengeView = Schema.Struct({
  status: Schema.Literal("two_factor_required"),
  challengeToken: Schema.String.annotate({
    description: "Send it with the code to POST /v1/auth/login/two-factor; single use"
  }),
  expiresIn: Schema.Int.annotate({ description: "Seconds the challenge waits for its code" }),
  message: Schema.String
}).annotate({ identifier: "TwoFactorChallenge" })

export const TwoFactorStatusView = Schema.Struct({
  available: Schema.Boolean.annotate({ description: "Whether this account may use it (organizers and admins)" }),
  enabled: Schema.Boolean,
  pending: Schema.Boolean.annotate({ description: "An enrolment waits for its confirming code" }),
  enabledAt: Schema.NullOr(Timestamp),
  recoveryCodesLeft: Schema.Int
}).annotate({ identifier: "TwoFactorStatus" })

export const TwoFactorEnrolmentView = Schema.Struct({
  secret: Schema.String.annotate({ description: "The shared secret, base32, to type into an app by hand" }),
  otpauthUri: Schema.String.annotate({ description: "otpauth://totp/… (SHA-1, 6 digits, 30 s)" }),
  qrCodeDataUrl: Schema.String.annotate({ description: "The URI as a QR code: data:image/png;base64,…" })
}).annotate({ identifier: "TwoFactorEnrolment" })

export const RecoveryCodesView = Schema.Struct({
  recoveryCodes: Schema.Array(Schema.String).annotate({
    description: "Shown this once: each works once in place of a code, e.g. when the phone is lost"
  })
}).annotate({ identifier: "RecoveryCodes" })

const Paused = RateLimited
const Conflict = TwoFactorConflict.pipe(HttpApiSchema.status(409))
const WrongPassword = InvalidCredentials.pipe(HttpApiSchema.status(401))
const TokenRefused = SecurityTokenRejected.pipe(HttpApiSchema.status(400))

/** Account recovery and the second step of a two-factor login: anonymous callers, under the auth rate limits. */
export class AccountRecoveryApi extends HttpApiGroup.make("accountRecovery")
  .add(
    HttpApiEndpoint.post("requestPasswordReset", "/v1/auth/password-reset", {
      payload: PasswordResetRequest,
      success: MailSentView.pipe(HttpApiSchema.status(202))
    })
      .annotate(OpenApi.Summary, "Mail a password reset link")
      .annotate(
        OpenApi.Description,
        "Always 202 with the same answer, at once, whether or not the address has an account (the look-up and the mail happen after the answer). An account with this address gets a link (`PUBLIC_BASE_URL/reset-password?token=gts_…`) that works once, for PASSWORD_RESET_TTL_MINUTES (30); asking again withdraws the earlier link. At most ACCOUNT_MAILS_PER_HOUR mails per address."
      )
  )
  .add(
    HttpApiEndpoint.post("resetPassword", "/v1/auth/password-reset/confirm", {
      payload: PasswordResetConfirmRequest,
      success: HttpApiSchema.NoContent,
      error: TokenRefused
    })
      .annotate(OpenApi.Summary, "Choose a new password with the token of a reset link")
      .annotate(
        OpenApi.Description,
        "204: the password is replaced, every session of the account ends (all refresh tokens revoked; access tokens run out within ACCESS_TOKEN_TTL_SECONDS), the address counts as confirmed, and a notice is mailed. 400 SecurityTokenRejected: `reason` `invalid`, `expired` or `used`. The new password follows the registration rules (10 to 256 characters)."
      )
  )
  .add(
    HttpApiEndpoint.post("confirmEmailChange", "/v1/auth/email-change/confirm", {
      payload: EmailChangeConfirmRequest,
      success: UserView,
      error: [TokenRefused, EmailAlreadyRegistered.pipe(HttpApiSchema.status(409))]
    })
      .annotate(OpenApi.Summary, "Move the account to the new address with the token mailed there")
      .annotate(
        OpenApi.Description,
        "200 with the account at its new (confirmed) address. 400 SecurityTokenRejected (`invalid`, `expired`, `used`); 409 EmailAlreadyRegistered when another account took the address meanwhile."
      )
  )
  .add(
    HttpApiEndpoint.post("completeTwoFactorLogin", "/v1/auth/login/two-factor", {
      payload: TwoFactorLoginRequest,
      success: AccessTokenView,
      error: [TokenRefused, InvalidTwoFactorCode.pipe(HttpApiSchema.status(401)), Paused]
    })
      .annotate(OpenApi.Summary, "The second step of a login with two-factor authentication")
      .annotate(
        OpenApi.Description,
        "`challengeToken` from the login's 202 answer, and the app's current code or an unused recovery code → 200 like a login. A wrong code is 401 InvalidTwoFactorCode and the challenge stays usable until it expires; wrong codes count as failed logins of the account (429 once it is paused). Each code works once. 400 SecurityTokenRejected for a challenge that is unknown, used or expired (log in again)."
      )
  )
  .annotate(OpenApi.Title, "Account recovery") {}

/** The signed-in caller's password, email address and two-factor authentication. */
export class AccountSecurityApi extends HttpApiGroup.make("accountSecurity")
  .add(
    HttpApiEndpoint.post("changePassword", "/v1/me/password", {
      payload: ChangePasswordRequest,
      success: AccessTokenView,
      error: [WrongPassword, Paused]
    })
      .annotate(OpenApi.Summary, "Change the password (the current one required)")
      .annotate(
        OpenApi.Description,
        "200 with a new login for this client: every other session ends (all refresh tokens revoked, including the caller's old one) and a notice is mailed. 401 InvalidCredentials for a wrong current password, which counts as a failed login (429 once the account is paused)."
      )
  )
  .add(
    HttpApiEndpoint.post("changeEmail", "/v1/me/email", {
      payload: ChangeEmailRequest,
      success: MailSentView.pipe(HttpApiSchema.status(202)),
      error: [WrongPassword, EmailChangeRefused.pipe(HttpApiSchema.status(422)), Paused]
    })
      .annotate(OpenApi.Summary, "Ask to change the email address (the password required)")
      .annotate(
        OpenApi.Description,
        "202: the new address gets a link (`PUBLIC_BASE_URL/confirm-email?token=gts_…`, EMAIL_CHANGE_TTL_HOURS, single use) whose token goes to POST /v1/auth/email-change/confirm; the account keeps its address until then, and the current address gets a notice. The answer is the same when the new address already has an account (it then gets a notice instead of a link). 422 EmailChangeRefused for the account's own address."
      )
  )
  .add(
    HttpApiEndpoint.get("twoFactorStatus", "/v1/me/two-factor", { success: TwoFactorStatusView }).annotate(
      OpenApi.Summary,
      "Whether two-factor authentication is on, and how many recovery codes are left"
    )
  )
  .add(
    HttpApiEndpoint.post("beginTwoFactorEnrolment", "/v1/me/two-factor/enrolment", {
      payload: TwoFactorEnrolRequest,
      success: TwoFactorEnrolmentView.pipe(HttpApiSchema.status(201)),
      error: [WrongPassword, TwoFactorNotAvailable.pipe(HttpApiSchema.status(403)), Conflict, Paused]
    })
      .annotate(OpenApi.Summary, "Start enrolling an authenticator app (organizers and admins)")
      .annotate(
        OpenApi.Description,
        "201 with a new secret, its otpauth URI and that URI as a QR code (PNG data URL) to scan; nothing is in force until a code confirms it (POST …/enrolment/confirm). Starting again replaces a pending enrolment. 403 TwoFactorNotAvailable for customers; 409 TwoFactorConflict (`already_enabled`)."
      )
  )
  .add(
    HttpApiEndpoint.post("confirmTwoFactorEnrolment", "/v1/me/two-factor/enrolment/confirm", {
      payload: TwoFactorConfirmRequest,
      success: RecoveryCodesView,
      error: [InvalidTwoFactorCode.pipe(HttpApiSchema.status(422)), Conflict, Paused]
    })
      .annotate(OpenApi.Summary, "Turn two-factor authentication on with a first code from the app")
      .annotate(
        OpenApi.Description,
        "200 with 10 recovery codes, shown this once (stored hashed; each works once). From now on the login asks for a code. 422 InvalidTwoFactorCode; 409 TwoFactorConflict (`not_enrolling`, `already_enabled`)."
      )
  )
  .add(
    HttpApiEndpoint.delete("disableTwoFactor", "/v1/me/two-factor", {
      payload: TwoFactorDisableRequest,
      success: HttpApiSchema.NoContent,
      error: [WrongPassword, InvalidTwoFactorCode.pipe(HttpApiSchema.status(422)), Conflict, Paused]
    })
      .annotate(OpenApi.Summary, "Turn two-factor authentication off (password and a code)")
      .annotate(
        OpenApi.Description,
        "204: the secret and the recovery codes are forgotten. 401 wrong password, 422 wrong code (either counts as a failed login), 409 TwoFactorConflict (`not_enabled`)."
      )
  )
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Account security") {}

import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import {
  EmailAlreadyRegistered,
  EmailNotVerified,
  InvalidCredentials,
  InvalidVerificationToken,
  RefreshTokenRejected
} from "../../domain/accounts/errors.ts"
import { AccountType, Email, Password, PersonName } from "../../domain/accounts/User.ts"
import { TwoFactorChallengeView } from "./AccountSecurityApi.ts"
import { Authentication } from "./Authentication.ts"
import { RateLimited } from "./errors.ts"
import { payload } from "./payload.ts"
import { AccessTokenView, UserView } from "./views.ts"

export const RegisterRequest = payload(
  Schema.Struct({ email: Email, password: Password, name: PersonName, accountType: AccountType }),
  "RegisterRequest"
)

/** The answer to a registration (EMAIL_VERIFICATION=required) or a resend: the same whatever the address. */
export const VerificationSentView = Schema.Struct({
  status: Schema.Literal("verification_sent"),
  message: Schema.String
}).annotate({ identifier: "VerificationSent" })

/** A token from the link of a confirmation mail (`ev1.` and 71 characters); anything far longer is refused. */
export const VerificationTokenString = Schema.String.check(
  Schema.isMinCodePoints(1, { message: "must not be empty" }),
  Schema.isMaxCodePoints(200, { message: "must be at most 200 characters" })
).annotate({ description: "The token from the link in the confirmation mail" })

export const VerifyEmailRequest = payload(Schema.Struct({ token: VerificationTokenString }), "VerifyEmailRequest")

export const ResendVerificationRequest = payload(Schema.Struct({ email: Email }), "ResendVerificationRequest")

export const LoginRequest = payload(
  Schema.Struct({
    email: Email,
    password: Schema.String.check(Schema.isMaxCodePoints(256, { message: "must be at most 256 characters" }))
  }),
  "LoginRequest"
)

/** A refresh token as handed out by login or refresh (`gtr_` and 43 characters); anything far longer is refused. */
export const RefreshTokenString = Schema.String.check(
  Schema.isMinCodePoints(1, { message: "must not be empty" }),
  Schema.isMaxCodePoints(128, { message: "must be at most 128 characters" })
).annotate({ description: "A refresh token from login or refresh" })

export const RefreshRequest = payload(Schema.Struct({ refreshToken: RefreshTokenString }), "RefreshRequest")

export const LogoutRequest = payload(Schema.Struct({ refreshToken: RefreshTokenString }), "LogoutRequest")

export class AuthApi extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("register", "/v1/auth/register", {
      payload: RegisterRequest,
      success: [VerificationSentView.pipe(HttpApiSchema.status(202)), UserView.pipe(HttpApiSchema.status(201))],
      error: EmailAlreadyRegistered.pipe(HttpApiSchema.status(409))
    })
      .annotate(OpenApi.Summary, "Create a customer or organizer account")
      .annotate(
        OpenApi.Description,
        'With EMAIL_VERIFICATION=required (the default): always 202 `{status: "verification_sent", message}`, the same answer whether or not the address already has an account. A new address gets an account that cannot log in yet and a mail with a link (`PUBLIC_BASE_URL/verify-email?token=…`, valid EMAIL_VERIFICATION_TTL_HOURS) whose token goes to POST /v1/auth/verify-email; an address whose account was never verified is taken over by this registration (new password, name and type) and gets a new link; a verified address gets a mail telling its owner, and nothing changes. With EMAIL_VERIFICATION=off (development and load tests only): 201 with the account, or 409 EmailAlreadyRegistered.'
      )
  )
  .add(
    HttpApiEndpoint.post("verifyEmail", "/v1/auth/verify-email", {
      payload: VerifyEmailRequest,
      success: AccessTokenView,
      error: InvalidVerificationToken.pipe(HttpApiSchema.status(400))
    })
      .annotate(OpenApi.Summary, "Confirm an email address with the token from the mailed link, and log in")
      .annotate(
        OpenApi.Description,
        "Answers like a login (an access token and a refresh token). A token already used answers the same while it is valid. 400 InvalidVerificationToken: `reason` is `invalid` (altered, incomplete, or the account no longer has that address) or `expired` (ask for a new one with POST /v1/auth/resend-verification)."
      )
  )
  .add(
    HttpApiEndpoint.get("followVerificationLink", "/verify-email", {
      query: { token: VerificationTokenString },
      success: AccessTokenView,
      error: InvalidVerificationToken.pipe(HttpApiSchema.status(400))
    })
      .annotate(
        OpenApi.Summary,
        "The mailed confirmation link itself: confirm the address (a page, or JSON with tokens)"
      )
      .annotate(
        OpenApi.Description,
        "What the link in the confirmation mail opens when PUBLIC_BASE_URL is not set (the link then points at this service). Confirms the address as POST /v1/auth/verify-email does. A caller that asks for JSON (`Accept: application/json` without `text/html`) gets the same JSON: the login's tokens, or 400 InvalidVerificationToken. Anyone else (a browser, `curl` without an Accept header) gets a small `text/html` page saying the address is confirmed and that they can log in (200), or why the link did not work (400); the page carries no token."
      )
  )
  .add(
    HttpApiEndpoint.post("resendVerification", "/v1/auth/resend-verification", {
      payload: ResendVerificationRequest,
      success: VerificationSentView.pipe(HttpApiSchema.status(202))
    })
      .annotate(OpenApi.Summary, "Mail a new confirmation link")
      .annotate(
        OpenApi.Description,
        "Always 202 with the same answer as registration. A mail is sent only when an account with this address exists and is not yet confirmed."
      )
  )
  .add(
    HttpApiEndpoint.post("login", "/v1/auth/login", {
      payload: LoginRequest,
      success: [AccessTokenView, TwoFactorChallengeView.pipe(HttpApiSchema.status(202))],
      error: [
        InvalidCredentials.pipe(HttpApiSchema.status(401)),
        EmailNotVerified.pipe(HttpApiSchema.status(403)),
        RateLimited
      ]
    })
      .annotate(OpenApi.Summary, "Exchange email and password for an access token and a refresh token")
      .annotate(
        OpenApi.Description,
        "After LOGIN_MAX_FAILURES (5) failed logins for one email within LOGIN_LOCKOUT_MINUTES (15), that email gets one attempt per LOGIN_LOCKOUT_MINUTES / LOGIN_MAX_FAILURES (3 min): until then the answer is 429 with Retry-After, whatever the password. Unknown and known emails are treated alike. A successful login clears the count. With two-factor authentication on, the right password answers 202 TwoFactorChallenge instead of the tokens: send its `challengeToken` and the code to POST /v1/auth/login/two-factor. With EMAIL_VERIFICATION=required, the right password of an account whose address is not confirmed yet gets 403 EmailNotVerified (a wrong one the usual 401)."
      )
  )
  .add(
    HttpApiEndpoint.post("refresh", "/v1/auth/refresh", {
      payload: RefreshRequest,
      success: AccessTokenView,
      error: RefreshTokenRejected.pipe(HttpApiSchema.status(401))
    })
      .annotate(OpenApi.Summary, "Exchange a refresh token for a new access token and the next refresh token")
      .annotate(
        OpenApi.Description,
        "A refresh token works once: the answer carries its successor. A refresh token presented a second time is taken for a stolen one and ends the whole login (every token descended from it); log in again. So refresh from one place at a time, never twice with the same token."
      )
  )
  .add(
    HttpApiEndpoint.post("logout", "/v1/auth/logout", { payload: LogoutRequest, success: HttpApiSchema.NoContent })
      .annotate(OpenApi.Summary, "End the login a refresh token belongs to")
      .annotate(
        OpenApi.Description,
        "Revokes the refresh token and every token of its login. Always 204, also for an unknown or already revoked token. Access tokens already issued stay valid until they expire (ACCESS_TOKEN_TTL_SECONDS)."
      )
  )
  .annotate(OpenApi.Title, "Accounts") {}

export class MeApi extends HttpApiGroup.make("me")
  .add(HttpApiEndpoint.get("me", "/v1/me", { success: UserView }).annotate(OpenApi.Summary, "The caller's account"))
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Me") {}

import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { EmailAlreadyRegistered, InvalidCredentials, RefreshTokenRejected } from "../../domain/accounts/errors.ts"
import { AccountType, Email, Password, PersonName } from "../../domain/accounts/User.ts"
import { Authentication, RouteTagger } from "./Authentication.ts"
import { RateLimited } from "./errors.ts"
import { payload } from "./payload.ts"
import { AccessTokenView, UserView } from "./views.ts"

export const RegisterRequest = payload(
  Schema.Struct({ email: Email, password: Password, name: PersonName, accountType: AccountType }),
  "RegisterRequest"
)

export const LoginRequest = payload(
  Schema.Struct({ email: Email, password: Schema.String.pipe(Schema.maxLength(256)) }),
  "LoginRequest"
)

/** A refresh token as handed out by login or refresh (`gtr_` and 43 characters); anything far longer is refused. */
export const RefreshTokenString = Schema.String.pipe(
  Schema.minLength(1, { message: () => "must not be empty" }),
  Schema.maxLength(128, { message: () => "must be at most 128 characters" }),
  Schema.annotations({ description: "A refresh token from login or refresh" })
)

export const RefreshRequest = payload(Schema.Struct({ refreshToken: RefreshTokenString }), "RefreshRequest")

export const LogoutRequest = payload(Schema.Struct({ refreshToken: RefreshTokenString }), "LogoutRequest")

export class AuthApi extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("register", "/v1/auth/register")
      .setPayload(RegisterRequest)
      .addSuccess(UserView, { status: 201 })
      .addError(EmailAlreadyRegistered, { status: 409 })
      .annotate(OpenApi.Summary, "Create a customer or organizer account")
  )
  .add(
    HttpApiEndpoint.post("login", "/v1/auth/login")
      .setPayload(LoginRequest)
      .addSuccess(AccessTokenView)
      .addError(InvalidCredentials, { status: 401 })
      .addError(RateLimited)
      .annotate(OpenApi.Summary, "Exchange email and password for an access token and a refresh token")
      .annotate(
        OpenApi.Description,
        "After LOGIN_MAX_FAILURES (5) failed logins for one email within LOGIN_LOCKOUT_MINUTES (15), that email gets one attempt per LOGIN_LOCKOUT_MINUTES / LOGIN_MAX_FAILURES (3 min): until then the answer is 429 with Retry-After, whatever the password. Unknown and known emails are treated alike. A successful login clears the count."
      )
  )
  .add(
    HttpApiEndpoint.post("refresh", "/v1/auth/refresh")
      .setPayload(RefreshRequest)
      .addSuccess(AccessTokenView)
      .addError(RefreshTokenRejected, { status: 401 })
      .annotate(OpenApi.Summary, "Exchange a refresh token for a new access token and the next refresh token")
      .annotate(
        OpenApi.Description,
        "A refresh token works once: the answer carries its successor. A refresh token presented a second time is taken for a stolen one and ends the whole login (every token descended from it); log in again. So refresh from one place at a time, never twice with the same token."
      )
  )
  .add(
    HttpApiEndpoint.post("logout", "/v1/auth/logout")
      .setPayload(LogoutRequest)
      .addSuccess(HttpApiSchema.NoContent)
      .annotate(OpenApi.Summary, "End the login a refresh token belongs to")
      .annotate(
        OpenApi.Description,
        "Revokes the refresh token and every token of its login. Always 204, also for an unknown or already revoked token. Access tokens already issued stay valid until they expire (ACCESS_TOKEN_TTL_SECONDS)."
      )
  )
  .middleware(RouteTagger)
  .annotate(OpenApi.Title, "Accounts") {}

export class MeApi extends HttpApiGroup.make("me")
  .add(HttpApiEndpoint.get("me", "/v1/me").addSuccess(UserView).annotate(OpenApi.Summary, "The caller's account"))
  .middleware(RouteTagger)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Me") {}

import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { EmailAlreadyRegistered, InvalidCredentials } from "../../domain/accounts/errors.ts"
import { AccountType, Email, Password, PersonName } from "../../domain/accounts/User.ts"
import { Authentication, RouteTagger } from "./Authentication.ts"
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
      .annotate(OpenApi.Summary, "Exchange email and password for an access token")
  )
  .middleware(RouteTagger)
  .annotate(OpenApi.Title, "Accounts") {}

export class MeApi extends HttpApiGroup.make("me")
  .add(HttpApiEndpoint.get("me", "/v1/me").addSuccess(UserView).annotate(OpenApi.Summary, "The caller's account"))
  .middleware(RouteTagger)
  .middleware(Authentication)
  .annotate(OpenApi.Title, "Me") {}
